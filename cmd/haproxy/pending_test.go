package main

import (
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

// Keywords the engines do not act on yet are reported with their
// position only on request, so that -c matches the reference, and the
// list leaves out what the engines act on (tune.bufsize here).
func TestPendingNotices(t *testing.T) {
	ours := reftest.Ours(t, "haproxy")
	cfg := "testdata/haproxy/cases/pending-notice.cfg"
	plain := reftest.Run(t, ours, reftest.Options{Dir: reftest.Root(), Isolate: true}, "-c", "-f", cfg)
	if strings.Contains(plain.Stderr, "not acted on yet") {
		t.Errorf("pending notices printed by plain -c:\n%s", plain.Stderr)
	}
	shown := reftest.Run(t, ours, reftest.Options{Dir: reftest.Root(), Isolate: true, Env: []string{"FULCRUM_SHOW_PENDING=1"}}, "-c", "-f", cfg)
	if !strings.Contains(shown.Stderr, "[WARNING]") || !strings.Contains(shown.Stderr, "pending-notice.cfg:2] : 'tune.ssl.default-dh-param' is accepted but not acted on yet") {
		t.Errorf("FULCRUM_SHOW_PENDING=1 did not list tune.ssl.default-dh-param with its position:\n%s", shown.Stderr)
	}
	if !strings.Contains(shown.Stderr, "pending-notice.cfg:15] : 'tcp-response' is accepted but not acted on yet") {
		t.Errorf("FULCRUM_SHOW_PENDING=1 did not list tcp-response, which the engine does not run:\n%s", shown.Stderr)
	}
	if strings.Contains(shown.Stderr, "'tune.bufsize' is accepted") {
		t.Errorf("FULCRUM_SHOW_PENDING=1 listed tune.bufsize, which the engine acts on:\n%s", shown.Stderr)
	}
	if plain.Exit != shown.Exit {
		t.Errorf("the notices changed the exit status: %d vs %d", plain.Exit, shown.Exit)
	}
}
