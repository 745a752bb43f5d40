package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// A server the kernel refuses to connect to at once (no route) and one
// that refuses later (a closed port) give different check messages in
// the reference: "General socket error (...)" for the first. And each
// kind of check words a failed connect its own way (an implicit or
// explicit tcp-check connect step, with its port; presets and httpchk
// without a step). Both run in a fresh network namespace with only
// loopback, so the unroutable address stays unreachable and nothing leaves
// the machine.
func TestCheckConnectErrorsMatchReference(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPING: needs root for unshare -n")
	}
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	os.WriteFile(cfg, []byte(`defaults
  mode tcp
  timeout client 1s
  timeout server 1s
  timeout connect 1s
listen a
  bind 127.0.0.1:8080
  server refused 127.0.0.1:1 check
  server noroute 10.255.255.1:80 check
  server refused6 [::1]:1 check
`+checkKinds), 0o644)
	// A DOWN line per server, a "no server available" alert per backend.
	const wantLines = 3 + 12 + 1 + 12
	down := regexp.MustCompile(`Server [^/ ]+/\S+ is DOWN, reason: [^,]+, info: "[^"]*"|\w+ '[^']+' has no server available!`)
	run := func(bin string) []string {
		dir := t.TempDir()
		out, err := reftest.NewFileOutput(t, dir)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" -db -f "$1"`, bin, cfg)
		cmd.Stdout, cmd.Stderr = out.File(), out.File()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		var lines []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if lines = down.FindAllString(out.String(), -1); len(lines) == wantLines {
				break
			}
		}
		slices.Sort(lines)
		return lines
	}
	want, got := run(ref), run(ours)
	if len(want) != wantLines {
		t.Fatalf("the reference logged %d DOWN lines, want %d: %q", len(want), wantLines, want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("check messages differ\nours:\n%s\nreference:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkKinds are backends whose servers (unroutable) fail their first
// connect, one per kind of check. A frontend shares b1's name: the
// alert still calls b1 a backend (a listen section is a "proxy").
const checkKinds = `frontend b1
  bind 127.0.0.1:8081
  default_backend b1
backend b1
  option tcp-check
  server s 10.255.255.1:80 check
backend b2
  option mysql-check
  server s 10.255.255.1:80 check
backend b3
  option smtpchk
  server s 10.255.255.1:80 check
backend b4
  option httpchk
  server s 10.255.255.1:80 check
backend b5
  option redis-check
  server s 10.255.255.1:80 check
backend b6
  option ssl-hello-chk
  server s 10.255.255.1:80 check
backend b7
  option ldap-check
  server s 10.255.255.1:80 check
backend b8
  option pgsql-check user x
  server s 10.255.255.1:80 check
backend b9
  option tcp-check
  tcp-check connect port 6443
  server s 10.255.255.1:80 check
backend b10
  option tcp-check
  tcp-check send PING\r\n
  server s 10.255.255.1:80 check
backend b11
  option httpchk
  http-check connect port 81
  server s 10.255.255.1:80 check
backend b13
  option tcp-check
  tcp-check connect
  server s 10.255.255.1:80 check
`
