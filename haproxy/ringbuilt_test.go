package haproxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRingPending: the ring keywords the daemon acts on are not listed
// as pending; a ring's server with other options than log-proto is.
func TestRingPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ring.cfg")
	cfg := "ring r\n    description d\n    format rfc3164\n    maxlen 100\n    size 32768\n    timeout connect 1s\n    server s 127.0.0.1:514 log-proto octet-count\n    server t 127.0.0.1:515 ssl\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := Load(path)
	var pending []string
	for _, d := range c.Pending {
		pending = append(pending, d.Message)
	}
	all := strings.Join(pending, "\n")
	for _, kw := range []string{"description", "format", "maxlen", "size", "timeout"} {
		if strings.Contains(all, "'ring "+kw+"'") {
			t.Errorf("'ring %s' is listed as not acted on:\n%s", kw, all)
		}
	}
	if strings.Count(all, "'ring server'") != 1 || !strings.Contains(all, ":8] : 'ring server'") {
		t.Errorf("want only the server with ssl listed:\n%s", all)
	}
}
