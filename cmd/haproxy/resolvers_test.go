package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fulcrum/haproxy"
)

// The resolvers section is built: the model's "not acted on yet"
// notices for its lines are stale and not printed by the daemon.
func TestResolversNoticesActedOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	text := "resolvers dns\n\tnameserver ns1 127.0.0.1:53\n\thold valid 5s\n\ttimeout resolve 1s\n\tresolve_retries 2\n\taccepted_payload_size 1232\n" +
		"defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\n" +
		"listen fe\n\tbind 127.0.0.1:8999\n\tserver s1 web.test:80 resolvers dns init-addr none\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := haproxy.Load(path)
	seen := 0
	for _, d := range cfg.Pending {
		if strings.Contains(d.Message, "'resolvers ") {
			seen++
			if !actedOn(cfg, d) {
				t.Errorf("still reported: %s", d.Message)
			}
		}
	}
	if seen != 5 {
		t.Errorf("%d resolvers notices from the model, want 5 (the test no longer covers them)", seen)
	}
}
