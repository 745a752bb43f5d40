package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/confparse/haproxycfg"
	"fulcrum/internal/reftest"
)

// The differential test runs every corpus file and every case of ours
// through the reference `haproxy -c` and ours, both without network
// (unshare -n), from the same directory with the same relative path, and
// compares the exit status and the FILE:LINE of the first ALERT. The
// "stubs" variant also gives both a private /etc/hosts (in a mount
// namespace) mapping the configuration's host names to 127.0.0.1.

// caseEnv is the environment both programs get, for the cases that test
// environment expansion.
var caseEnv = []string{"FULCRUM_TEST_PORT=18080", "FULCRUM_TEST_WORDS=name web"}

var firstAlertLoc = regexp.MustCompile(`\[([^\]\s]+:\d+)\]`)

// verdict is what we compare.
type verdict struct {
	exit  int
	loc   string // FILE:LINE of the first ALERT, "" when it has none
	alert string // the first ALERT line, for the report
	out   string // normalised stdout+stderr
}

func (v verdict) same(o verdict) bool { return v.exit == o.exit && v.loc == o.loc }

func parseVerdict(exit int, stdout, stderr string) verdict {
	v := verdict{exit: exit, out: reftest.Normalize(stderr) + "\n--\n" + stdout}
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "[ALERT]") {
			v.alert = l
			if m := firstAlertLoc.FindStringSubmatch(l); m != nil {
				v.loc = m[1]
			}
			break
		}
	}
	return v
}

// run executes one check, isolated, with an optional hosts file; the
// "+dW" variants make warnings fatal.
func run(t *testing.T, bin, dir, file, hosts string, zeroWarning bool) verdict {
	t.Helper()
	args := []string{"-n"}
	if hosts != "" {
		args = append(args, "-m", "sh", "-c", `mount --bind "$0" /etc/hosts && exec "$@"`, hosts)
	}
	args = append(args, bin, "-c")
	if zeroWarning {
		args = append(args, "-dW")
	}
	args = append(args, "-f", file)
	cmd := exec.Command("unshare", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), caseEnv...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return verdict{exit: -1}
	}
	return parseVerdict(cmd.ProcessState.ExitCode(), so.String(), se.String())
}

// stubHosts writes a hosts file naming every host a configuration's
// server, log, bind, peer, mailer and nameserver lines use.
func stubHosts(t *testing.T, path, dir string) string {
	t.Helper()
	f, err := haproxycfg.ReadFile(path, &haproxycfg.Build{})
	names := map[string]bool{}
	if err == nil {
		for _, l := range f.Lines {
			w := make([]string, len(l.Words))
			for i, x := range l.Words {
				w[i] = x.Text
			}
			if w[0] == "no" || w[0] == "default" {
				w = w[1:]
			}
			at := map[string]int{"server": 2, "server-template": 3, "log": 1, "bind": 1, "peer": 2, "mailer": 2, "nameserver": 2, "dispatch": 1}
			i, ok := at[w[0]]
			if !ok || i >= len(w) {
				continue
			}
			for _, a := range strings.Split(w[i], ",") {
				if j := strings.IndexByte(a, '@'); j >= 0 {
					a = a[j+1:]
				}
				host := a
				if strings.HasPrefix(a, "[") {
					continue
				}
				if k := strings.LastIndexByte(a, ':'); k >= 0 {
					host = a[:k]
				}
				if host != "" && host != "*" && !strings.HasPrefix(host, "/") && !strings.Contains(host, ":") && strings.Trim(host, "0123456789.") != "" {
					names[host] = true
				}
			}
		}
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	out := filepath.Join(dir, strings.ReplaceAll(filepath.Base(path), ".cfg", ".hosts"))
	content := "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"
	if len(list) > 0 {
		content += "127.0.0.1 " + strings.Join(list, " ") + "\n"
	}
	if err := os.WriteFile(out, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

type job struct {
	variant string // "corpus", "corpus+stubs", "corpus+dW", "cases", "cases+stubs", "cases+dW"
	dir     string // working directory
	file    string // path relative to dir
}

type outcome struct {
	job
	ref, ours verdict
}

func TestDifferential(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	root := reftest.Root()
	var jobs []job
	cases, _ := filepath.Glob(filepath.Join(root, "testdata", "haproxy", "cases", "*.cfg"))
	if len(cases) < 100 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		rel, _ := filepath.Rel(root, c)
		jobs = append(jobs, job{"cases", root, rel}, job{"cases+stubs", root, rel}, job{"cases+dW", root, rel})
	}
	if corpus := corpusDir(); corpus != "" {
		files, _ := filepath.Glob(filepath.Join(corpus, "haproxy", "*.cfg"))
		for _, f := range files {
			rel, _ := filepath.Rel(corpus, f)
			jobs = append(jobs, job{"corpus", corpus, rel}, job{"corpus+stubs", corpus, rel}, job{"corpus+dW", corpus, rel})
		}
	} else {
		t.Log("SKIPPED (corpus): ../shared/corpus not found; only our own cases run")
	}
	hostsDir := t.TempDir()
	results := make([]outcome, len(jobs))
	for _, v := range []string{"cases+stubs", "corpus+stubs"} {
		os.MkdirAll(filepath.Join(hostsDir, v), 0o755)
	}
	inParallel(len(jobs), func(i int) {
		j := jobs[i]
		hosts := ""
		if strings.HasSuffix(j.variant, "+stubs") {
			hosts = stubHosts(t, filepath.Join(j.dir, j.file), filepath.Join(hostsDir, j.variant))
		}
		dW := strings.HasSuffix(j.variant, "+dW")
		results[i] = outcome{job: j, ref: run(t, ref, j.dir, j.file, hosts, dW), ours: run(t, ours, j.dir, j.file, hosts, dW)}
	})

	known := reftest.KnownDisagreements(t, "haproxy")
	type tally struct{ agree, total, sameOutput int }
	tallies := map[string]*tally{}
	for _, r := range results {
		tl := tallies[r.variant]
		if tl == nil {
			tl = &tally{}
			tallies[r.variant] = tl
		}
		tl.total++
		if strings.Contains(r.ours.out, "panic:") || strings.Contains(r.ours.out, "goroutine ") {
			t.Errorf("%s %s: ours crashed:\n%s", r.variant, r.file, r.ours.out)
		}
		key := r.variant + "\t" + r.file
		reason, listed := known[key]
		outKey := r.variant + "/output\t" + r.file
		_, outListed := known[outKey]
		switch {
		case r.ref.out == r.ours.out:
			tl.sameOutput++
			if outListed {
				t.Errorf("%s %s: output listed as differing but now identical; remove it from the list", r.variant, r.file)
			}
		case (r.variant == "cases" || r.variant == "cases+stubs") && !outListed:
			// Our own cases must reproduce the reference's whole output.
			t.Errorf("%s %s: output differs\n--- reference\n%s\n--- ours\n%s", r.variant, r.file, r.ref.out, r.ours.out)
		case os.Getenv("FULCRUM_SHOW_OUTPUT_DIFF") == "1":
			t.Logf("%s %s: output differs\n--- reference\n%s\n--- ours\n%s", r.variant, r.file, r.ref.out, r.ours.out)
		}
		switch agree := r.ref.same(r.ours); {
		case agree && listed:
			t.Errorf("%s %s: listed as a known disagreement (%s) but now agrees; remove it from the list", r.variant, r.file, reason)
			tl.agree++
		case agree:
			tl.agree++
		case listed:
			t.Logf("%s %s: known disagreement (%s)", r.variant, r.file, reason)
		default:
			t.Errorf("%s %s: reference exit %d at %q, ours exit %d at %q\n  ref:  %s\n  ours: %s",
				r.variant, r.file, r.ref.exit, r.ref.loc, r.ours.exit, r.ours.loc, r.ref.alert, r.ours.alert)
		}
	}
	var names []string
	for v := range tallies {
		names = append(names, v)
	}
	sort.Strings(names)
	var summary []string
	for _, v := range names {
		tl := tallies[v]
		summary = append(summary, fmt.Sprintf("%s %d/%d (%.1f%%, identical output %d)", v, tl.agree, tl.total, 100*float64(tl.agree)/float64(tl.total), tl.sameOutput))
	}
	t.Logf("agreement: %s", strings.Join(summary, "; "))
	fmt.Printf("haproxy -c agreement: %s\n", strings.Join(summary, "; "))
}

// inParallel calls job(0) ... job(n-1) from three goroutines: the
// checks are separate processes and the machine has few cores.
func inParallel(n int, job func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				job(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// corpusDir is ../shared/corpus beside the repository, or "".
func corpusDir() string {
	dir := filepath.Join(reftest.Root(), "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		if reftest.InCI() {
			return dir
		}
		return ""
	}
	return dir
}

// TestDifferentialMultiFile checks several -f files, directories and "--"
// against the reference: exit status and the whole normalised output.
func TestDifferentialMultiFile(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	root := reftest.Root()
	m := "testdata/haproxy/multi/"
	for _, tc := range []struct {
		desc string
		args []string
	}{
		{"directory", []string{"-c", "-f", m + "confd"}},
		{"files", []string{"-c", "-f", m + "confd/10-global.cfg", "-f", m + "confd/20-frontend.cfg", "-f", m + "confd/30-backend.cfg"}},
		{"double dash", []string{"-c", "--", m + "confd/20-frontend.cfg", m + "confd/30-backend.cfg"}},
		{"error in second file", []string{"-c", "-f", m + "confd", "-f", m + "bad.cfg"}},
		{"keyword before any section", []string{"-c", "-f", m + "confd", "-f", m + "no-section.cfg"}},
		{"missing file", []string{"-c", "-f", m + "nonexistent.cfg"}},
		{"same file twice", []string{"-c", "-f", m + "confd/20-frontend.cfg", "-f", m + "confd/20-frontend.cfg"}},
		{"quiet", []string{"-c", "-q", "-f", m + "bad.cfg"}},
		{"zero warning", []string{"-c", "-dW", "-f", m + "confd/20-frontend.cfg", "-f", m + "confd/30-backend.cfg"}},
		{"unknown flag", []string{"-c", "-Z", "-f", m + "bad.cfg"}},
		{"no file", []string{"-c"}},
		{"empty directory", []string{"-c", "-f", m + "empty"}},
		{"ignore resolution failures", []string{"-c", "-dr", "-f", "testdata/haproxy/cases/srv-unresolvable.cfg"}},
		{"diagnostic mode", []string{"-c", "-dD", "-f", "testdata/haproxy/cases/dir-diag.cfg"}},
		{"version", []string{"-v"}},
		{"condition true", []string{"-cc", "version_atleast(2.4) && feature(LUA)"}},
		{"condition false", []string{"-cc", "version_before(2.0)"}},
		{"condition error", []string{"-cc", "foo("}},
	} {
		r := reftest.Run(t, ref, reftest.Options{Dir: root, Isolate: true}, tc.args...)
		o := reftest.Run(t, ours, reftest.Options{Dir: root, Isolate: true}, tc.args...)
		rv, ov := parseVerdict(r.Exit, r.Stdout, r.Stderr), parseVerdict(o.Exit, o.Stdout, o.Stderr)
		if !rv.same(ov) {
			t.Errorf("%s: reference exit %d at %q, ours exit %d at %q", tc.desc, rv.exit, rv.loc, ov.exit, ov.loc)
		}
		// The build banner (date, kernel) is left out of the comparison.
		if stripBanner(rv.out) != stripBanner(ov.out) {
			t.Errorf("%s: output differs\n--- reference\n%s\n--- ours\n%s", tc.desc, rv.out, ov.out)
		}
	}
}

var bannerLine = regexp.MustCompile(`(?m)^(HAProxy version|Status:|Known bugs:|Running on:).*\n`)

func stripBanner(s string) string { return bannerLine.ReplaceAllString(s, "") }

// TestDifferentialRandomLines feeds both programs lines made of the
// lexer's special characters (quotes, escapes, expansions, comments) and
// expects the same whole output: a fixed seed keeps it reproducible.
func TestDifferentialRandomLines(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	pieces := []string{"a", "b", `"`, "'", `\`, "$", "{", "}", "[", "*", "]", "-", "#", " ", "\t", "x", "4", ".",
		"FULCRUM_V", "FULCRUM_W", `\x`, `\t`, `\ `, "${", "$FULCRUM_V", "(", ")", ":"}
	keywords := []string{".notice ", " description ", " log-tag "}
	rng := rand.New(rand.NewPCG(2026, 11))
	dir := t.TempDir()
	env := []string{"FULCRUM_V=v1", "FULCRUM_W=a b"}
	for i := 0; i < 150; i++ {
		var b strings.Builder
		if rng.IntN(10) < 7 {
			b.WriteString("backend b\n")
		}
		b.WriteString(keywords[rng.IntN(len(keywords))])
		for n := 1 + rng.IntN(12); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		b.WriteString("\nfrontend f\n bind 127.0.0.1:18080\n timeout client 1s\n")
		if err := os.WriteFile(filepath.Join(dir, "r.cfg"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		r := reftest.Run(t, ref, reftest.Options{Dir: dir, Isolate: true, Env: env}, "-c", "-f", "r.cfg")
		o := reftest.Run(t, ours, reftest.Options{Dir: dir, Isolate: true, Env: env}, "-c", "-f", "r.cfg")
		rv, ov := parseVerdict(r.Exit, r.Stdout, r.Stderr), parseVerdict(o.Exit, o.Stdout, o.Stderr)
		if rv.exit != ov.exit || rv.out != ov.out {
			t.Errorf("line %q:\n--- reference (exit %d)\n%s\n--- ours (exit %d)\n%s", b.String(), rv.exit, rv.out, ov.exit, ov.out)
		}
	}
}
