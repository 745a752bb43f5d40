package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

// TestCheckSPOEFile: `-c` reads a filter's SPOE file and reports its
// problems (with the SPOE file's lines, then the filter line's) and the
// agent's backend and timeouts as the reference does, exit code included.
func TestCheckSPOEFile(t *testing.T) {
	ref, ours := reftest.HAProxy(t), reftest.Ours(t, "haproxy")
	base, err := os.ReadFile("../../haproxy/spoe/testdata/agent.cfg") // the model's tests' file
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ desc, from, to, rule string }{
		{"valid", "", "", ""},
		{"bad timeout", "timeout hello 1s", "timeout hello 1x", ""},
		{"timeout without value", "timeout hello 1s", "timeout hello", ""},
		{"unknown timeout", "timeout hello 1s", "timeout bogus 1s", ""},
		{"undefined message", "messages m1", "messages m9", ""},
		{"undefined group", "groups g1", "groups g9", ""},
		{"group with an undefined message", "  messages m2", "  messages m9", ""},
		{"message without event", "messages m1", "messages m1 m2", ""},
		{"unknown backend", "use-backend agents", "use-backend nob", ""},
		{"http backend", "use-backend agents", "use-backend be", ""},
		{"no backend", "  use-backend agents\n", "", ""},
		{"missing timeout", "  timeout processing 500\n", "", ""},
		{"unknown event", "event on-frontend-http-request", "event on-foo", ""},
		{"event without condition keyword", "event on-frontend-http-request", "event on-frontend-http-request foo", ""},
		{"no such ACL", "event on-frontend-http-request", "event on-frontend-http-request if foo", ""},
		{"anonymous ACL", "event on-frontend-http-request", "event on-frontend-http-request if { path_beg /x }", ""},
		{"unknown fetch", "ip=src", "ip=srcx", ""},
		{"unknown keyword", "option var-prefix e1", "bogus 1", ""},
		{"unknown option", "option var-prefix e1", "option bogus", ""},
		{"prefix characters", "option var-prefix e1", "option var-prefix e/1", ""},
		{"prefix without value", "option var-prefix e1", "option var-prefix", ""},
		{"frame size", "option var-prefix e1", "max-frame-size 100", ""},
		{"agent without name", "spoe-agent a1", "spoe-agent", ""},
		{"agent with two names", "spoe-agent a1", "spoe-agent a1 x", ""},
		{"second agent", "spoe-group g1", "spoe-agent a2", ""},
		{"duplicate message", "spoe-message m2", "spoe-message m1", ""},
		{"out of section", "[other]\n", "foo bar\n[other]\n", ""},
		{"section from another scope", "[e1]\n", "[e1]\nfoo bar\n", ""},
		{"another scope's errors", "  bogus line ignored in another scope", "  bogus\n  timeout hello 1x", ""},
		{"no agent in the scope", "[e1]", "[e2]", ""},
		{"unknown group", "", "", "http-request send-spoe-group e1 nosuch"},
		{"unknown engine", "", "", "http-request send-spoe-group e9 g1"},
		{"group rule arguments", "", "", "http-request send-spoe-group e1 g1 x"},
		{"group rule", "", "", "http-request send-spoe-group e1 g1 if { path_beg /x }"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			spoe := filepath.Join(dir, "spoe.cfg")
			if err := os.WriteFile(spoe, []byte(strings.Replace(string(base), tc.from, tc.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "t.cfg")
			text := "defaults\n\tmode http\n\ttimeout client 1s\n\ttimeout server 1s\n\ttimeout connect 1s\n" +
				"frontend fe\n\tbind 127.0.0.1:9\n\tfilter spoe engine e1 config " + spoe + "\n\t" + tc.rule + "\n\tdefault_backend be\n" +
				"backend be\n\tserver s 127.0.0.1:1\nbackend agents\n\tmode tcp\n\tserver a 127.0.0.1:2\n"
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			r := reftest.Run(t, ref, reftest.Options{Isolate: true}, "-c", "-f", path)
			o := reftest.Run(t, ours, reftest.Options{Isolate: true}, "-c", "-f", path)
			if r.Exit != o.Exit || reftest.Normalize(r.Stderr) != reftest.Normalize(o.Stderr) || r.Stdout != o.Stdout {
				t.Errorf("reference: exit %d\n%s%s\nours: exit %d\n%s%s", r.Exit, r.Stdout, r.Stderr, o.Exit, o.Stdout, o.Stderr)
			}
		})
	}
}
