package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// limitsRun is what one start under a given RLIMIT_NOFILE showed: the
// alerts and warnings, the exit code when it stopped by itself (-1 when
// it kept running), and the limit figures of `show info`.
type limitsRun struct {
	messages string
	exit     int
	info     string
}

// runWithLimits starts bin (through a link named haproxy, so messages
// naming argv[0] read the same) under `prlimit --nofile=nofile` with the
// configuration body plus a stats socket, reads the limits of `show
// info` once the socket answers, and stops it.
func runWithLimits(t *testing.T, bin, nofile, body string, args ...string) limitsRun {
	t.Helper()
	dir, err := os.MkdirTemp("", "fulcrum-limits-") // short: a unix socket path lives here
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	link := filepath.Join(dir, "haproxy")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	cfg := filepath.Join(dir, "haproxy.cfg")
	text := fmt.Sprintf("global\n\tstats socket %s level admin\n%s", sock, body)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startBin(t, "prlimit", nil, append([]string{"--nofile=" + nofile, link, "-db", "-f", cfg}, args...)...)
	run := limitsRun{exit: -1}
	up := false
	for range 200 {
		if _, err := os.Stat(sock); err == nil {
			up = true
			break
		}
		select {
		case <-p.done:
		case <-time.After(25 * time.Millisecond):
			continue
		}
		break
	}
	if up {
		want := map[string]bool{"Nbthread": true, "Ulimit-n": true, "Maxsock": true, "Maxconn": true, "Hard_maxconn": true,
			"Maxpipes": true}
		var kept []string
		for _, l := range strings.Split(cli(t, sock, "show info"), "\n") {
			if k, _, ok := strings.Cut(l, ":"); ok && want[k] {
				kept = append(kept, l)
			}
		}
		// A frontend's and a backend's session limits follow maxconn.
		for _, l := range strings.Split(cli(t, sock, "show stat"), "\n") {
			if f := strings.Split(l, ","); len(f) > 6 && (f[1] == "FRONTEND" || f[1] == "BACKEND") {
				kept = append(kept, f[0]+"/"+f[1]+" slim="+f[6])
			}
		}
		run.info = strings.Join(kept, "\n")
		// The reference binds before its last check of the limit, so
		// its socket may exist and go with the process.
		up = run.info != ""
	}
	if up {
		_ = p.cmd.Process.Signal(syscall.SIGTERM) // the master stops its worker
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop", bin)
	}
	if !up {
		run.exit = p.cmd.ProcessState.ExitCode()
	}
	pid := regexp.MustCompile(`^(\[[A-Z]+\]\s+)\(\d+\)`)
	var msgs []string
	for _, l := range strings.Split(p.out.String(), "\n") {
		// The limit's messages and notes (the rest, shutdown lines of
		// a master included, is other tests' business).
		if strings.Contains(l, "FD limit") || strings.HasPrefix(l, "Note: setting global.maxconn") {
			msgs = append(msgs, strings.ReplaceAll(pid.ReplaceAllString(l, "$1(P)"), link, "PROG"))
		}
	}
	run.messages = strings.Join(msgs, "\n")
	return run
}

// TestLimitsMatchReference: under the same RLIMIT_NOFILE, the maxconn
// derived when none is set, the descriptors counted for listeners,
// checks, `port` options and the stats socket, the pipes of splicing
// proxies, ulimit-n, the limit that
// cannot be raised (an alert and exit with strict-limits, the default; a
// warning without), and the limit too low for maxconn give the
// reference's messages, exit and `show info` figures.
func TestLimitsMatchReference(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("SKIPPING: prlimit (util-linux) is not installed")
	}
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	// 1024:4096, or lower where the hard limit is (only a privileged
	// process may raise it): the same for both, whatever it is.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	nofile := fmt.Sprintf("%d:%d", min(1024, lim.Max), min(4096, lim.Max))
	const proxies = "defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\n" +
		"listen a\n\tbind 127.0.0.1:%d-%d,127.0.0.1:%d\n\tdefault-server port %d\n" +
		"\tserver s1 127.0.0.1:%d check\n\tserver s2 127.0.0.1:%d check agent-check agent-port %d\n"
	for _, tc := range []struct {
		desc, global string
		args         []string
		extra        string // lines of the listen section
	}{
		{"maxconn derived from the limit", "", nil, ""},
		{"nbthread and stats maxconn", "\tnbthread 1\n\tstats maxconn 25\n", nil, ""},
		{"maxconn set", "\tmaxconn 1000\n", nil, ""},
		{"maxconn from -n", "", []string{"-n", "700"}, ""},
		{"maxconn above the hard limit", "\tmaxconn 5000\n", nil, ""},
		{"ulimit-n below what maxconn needs", "\tulimit-n 1500\n", nil, ""},
		{"ulimit-n below the start limit", "\tulimit-n 500\n\tmaxconn 100\n", nil, ""},
		{"ulimit-n that cannot be set", "\tulimit-n 2000000\n", nil, ""},
		{"ulimit-n that cannot be set, no strict-limits", "\tulimit-n 2000000\n\tno strict-limits\n", nil, ""},
		{"fd-hard-limit", "\tfd-hard-limit 3000\n", nil, ""},
		{"master-worker", "", []string{"-W"}, ""},
		{"debug mode notes a derived maxconn", "", []string{"-d"}, ""},
		{"verbose mode, maxconn set", "\tmaxconn 1000\n", []string{"-V"}, ""},
		{"splicing, unbounded", "", nil, "\toption splice-auto\n"},
		{"splicing, bounded by maxconn and fullconn", "", nil, "\toption splice-response\n\tmaxconn 400\n\tfullconn 300\n"},
		{"splicing, maxpipes", "\tmaxpipes 50\n", nil, "\toption splice-request\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			body := func() string {
				p := reftest.FreePort(t)
				srv := reftest.FreePort(t)
				return tc.global + fmt.Sprintf(proxies, p, p, reftest.FreePort(t), srv, srv, srv, srv) + tc.extra
			}
			// The global lines go in the global section the run opens.
			want := runWithLimits(t, ref, nofile, body(), tc.args...)
			got := runWithLimits(t, ours, nofile, body(), tc.args...)
			if want.exit == -1 && want.info == "" {
				t.Fatalf("the reference neither ran nor stopped:\n%s", want.messages)
			}
			if got != want {
				t.Errorf("\nours:      exit %d\n%s\n%s\nreference: exit %d\n%s\n%s", got.exit, got.messages, got.info,
					want.exit, want.messages, want.info)
			}
		})
	}
}
