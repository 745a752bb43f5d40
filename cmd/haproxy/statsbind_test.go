package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// TestStatsSocketBindFailureMatchesReference: a stats socket that cannot
// be bound (a unix path in a missing directory, a port another socket
// holds) is reported as the reference does: the `stats socket` line, the
// system's words, the exit notice, and exit code 1; in master-worker
// mode too.
func TestStatsSocketBindFailureMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	dir := t.TempDir()
	for _, tc := range []struct {
		desc, socket string
		args         []string
	}{
		{"unix socket in a missing directory", filepath.Join(dir, "missing", "admin.sock") + " mode 600 level admin", nil},
		{"port in use", held.Addr().String(), nil},
		{"port in use, ipv4@", "ipv4@" + held.Addr().String() + " level operator", nil},
		{"master-worker", filepath.Join(dir, "missing", "admin.sock"), []string{"-W"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
			text := "global\n\tstats socket " + tc.socket + "\ndefaults\n\tmode tcp\n\ttimeout client 1s\n\ttimeout server 1s\n\ttimeout connect 1s\n" +
				"listen a\n\tbind 127.0.0.1:" + freePort(t) + "\n\tserver s 127.0.0.1:1\n"
			if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(bin string) string {
				link := filepath.Join(t.TempDir(), "haproxy")
				if err := os.Symlink(bin, link); err != nil {
					t.Fatal(err)
				}
				// Bounded: a binary that binds after all keeps running.
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				out, err := exec.CommandContext(ctx, link, append([]string{"-db", "-f", cfg}, tc.args...)...).CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
				return fmt.Sprint("exit ", code, "\n", alertsOf(string(out), link))
			}
			sameBindAlerts(t, run(ref), run(ours))
		})
	}
}

// alertsOf keeps the alerts of a run's output, with PIDs and the
// program's path (link) masked.
func alertsOf(out, link string) string {
	pid := regexp.MustCompile(`\(\d+\)`)
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[ALERT]") {
			keep = append(keep, strings.ReplaceAll(pid.ReplaceAllString(l, "(P)"), link, "PROG"))
		}
	}
	return strings.Join(keep, "\n")
}

// sameBindAlerts compares the alerts of a bind failure.
func sameBindAlerts(t *testing.T, want, got string) {
	t.Helper()
	if !strings.Contains(want, "Some protocols failed") {
		t.Fatalf("the reference did not fail to bind:\n%s", want)
	}
	if got != want {
		t.Errorf("alerts differ\nours:\n%s\nreference:\n%s", got, want)
	}
}
