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
// the reference: "General socket error (...)" for the first. Both run in
// a fresh network namespace with only loopback, so the unroutable address
// stays unreachable and nothing leaves the machine.
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
`), 0o644)
	down := regexp.MustCompile(`Server a/\S+ is DOWN, reason: [^,]+, info: "[^"]*"`)
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
			if lines = down.FindAllString(out.String(), -1); len(lines) == 3 {
				break
			}
		}
		slices.Sort(lines)
		return lines
	}
	want, got := run(ref), run(ours)
	if len(want) != 3 {
		t.Fatalf("the reference logged %d DOWN lines, want 3: %q", len(want), want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("check messages differ\nours:\n%s\nreference:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
