package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"fulcrum/internal/reftest"
)

// A listener that cannot be opened (an address the machine does not
// have, a unix socket in a missing directory) is reported as the
// reference does: the bind line's position and section, the system's
// words, then the exit notice naming the program as invoked. Run in a
// fresh network namespace, where 10.42.0.1 is nobody's address.
func TestBindFailureMatchesReference(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPING: needs root for unshare -n")
	}
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	dir := t.TempDir()
	for _, tc := range []struct{ desc, bind string }{
		{"address not on the machine", "bind 10.42.0.1:9100"},
		{"unix socket in a missing directory", "bind unix@" + filepath.Join(dir, "missing", "fe.sock")},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := filepath.Join(dir, "haproxy.cfg")
			os.WriteFile(cfg, []byte("defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"+
				"frontend fe\n  "+tc.bind+"\n  default_backend be\nbackend be\n  server s 127.0.0.1:1\n"), 0o644)
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
				return alertsOf(string(out), link)
			}
			sameBindAlerts(t, run(ref), run(ours))
		})
	}
}
