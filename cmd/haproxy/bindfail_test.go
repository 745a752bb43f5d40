package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

// A listener that cannot be opened (an address the machine does not
// have, a unix socket in a missing directory) is reported as the
// reference does: the version notices, the bind line's position and
// section, the system's words, then the exit notice naming the program
// as invoked; so is a configuration without any listener. Run in a fresh
// network namespace, where 10.42.0.1 is nobody's address.
func TestBindFailureMatchesReference(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPING: needs root for unshare -n")
	}
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	dir := t.TempDir()
	const defaults = "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
	frontend := func(bind string) string {
		return defaults + "frontend fe\n  " + bind + "\n  default_backend be\nbackend be\n  server s 127.0.0.1:1\n"
	}
	for _, tc := range []struct{ desc, config, exit string }{
		{"address not on the machine", frontend("bind 10.42.0.1:9100"), "Some protocols failed"},
		{"unix socket in a missing directory", frontend("bind unix@" + filepath.Join(dir, "missing", "fe.sock")), "Some protocols failed"},
		{"two failed binds, both reported", frontend("bind 10.42.0.1:9100\n  bind unix@" + filepath.Join(dir, "missing", "fe2.sock")), "Some protocols failed"},
		{"no listener at all", defaults + "backend be\n  server s 127.0.0.1:1\n", "No enabled listener"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := filepath.Join(dir, "haproxy.cfg")
			os.WriteFile(cfg, []byte(tc.config), 0o644)
			pid := regexp.MustCompile(`\(\d+\)`)
			exe := regexp.MustCompile(`path to executable is .*`)
			run := func(bin string) string {
				// Invoked through a link of one name, so the exit
				// notice (which names argv[0]) reads the same.
				link := filepath.Join(t.TempDir(), "haproxy")
				if err := os.Symlink(bin, link); err != nil {
					t.Fatal(err)
				}
				// Not reftest.Run's Isolate: loopback must be up, or
				// the namespace is not the machine this test means.
				out, _ := exec.Command("unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" -db -f "$1"`, link, cfg).CombinedOutput()
				var keep []string
				for _, l := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(l, "[ALERT]") || strings.HasPrefix(l, "[NOTICE]") {
						l = exe.ReplaceAllString(pid.ReplaceAllString(l, "(P)"), "path to executable is EXE")
						keep = append(keep, strings.ReplaceAll(l, link, "PROG"))
					}
				}
				return strings.Join(keep, "\n")
			}
			want, got := run(ref), run(ours)
			if !strings.Contains(want, tc.exit) {
				t.Fatalf("the reference did not fail with %q:\n%s", tc.exit, want)
			}
			if got != want {
				t.Errorf("alerts differ\nours:\n%s\nreference:\n%s", got, want)
			}
		})
	}
}
