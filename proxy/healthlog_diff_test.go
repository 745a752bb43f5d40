package proxy

import (
	"fmt"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestLogHealthChecksMatchesReference: with option log-health-checks,
// every check result that moves a server's health is logged ("Health
// check for server be/s1 failed, ..., status: 1/2 UP.") and the state
// changes then say no reason; the lines of a server dying and coming back
// and of a backup failing its HTTP check are the reference's.
func TestLogHealthChecksMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	config := func(m map[string]*switchable, port int) string {
		return fmt.Sprintf(`defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	default_backend be
backend be
	option log-health-checks
	option httpchk GET /health
	server s1 %s check inter 100ms fall 2 rise 2
	server b1 %s check inter 100ms fall 1 rise 1 backup
`, port, m["s1"].addr, m["b1"].addr)
	}
	// The lines about one server, in order, durations normalised.
	about := func(out, server string) []string {
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if _, msg, ok := strings.Cut(l, ") : "); ok {
				l = msg
			} else if _, msg, ok := strings.Cut(l, "] "); ok {
				l = msg
			}
			if strings.Contains(l, "be/"+server+" ") {
				lines = append(lines, normCheck(l))
			}
		}
		return lines
	}
	run := func(t *testing.T, start func(cfg string) (wait func(string), output func() string)) map[string][]string {
		m := map[string]*switchable{"s1": newSwitchable(t), "b1": newSwitchable(t)}
		wait, output := start(config(m, difftest.FreePort(t)))
		wait("Health check for server be/s1 succeeded")
		m["s1"].stop()
		wait("Server be/s1 is DOWN")
		m["s1"].restart()
		wait("Server be/s1 is UP")
		m["b1"].status.Store(503)
		wait("Backup Server be/b1 is DOWN")
		m["b1"].status.Store(200)
		wait("Backup Server be/b1 is UP")
		out := output()
		return map[string][]string{"s1": about(out, "s1"), "b1": about(out, "b1")}
	}
	want := run(t, func(cfg string) (func(string), func() string) {
		ref := difftest.StartReferenceConfig(t, bin, cfg)
		return func(s string) { ref.WaitLog(s) }, ref.Output
	})
	got := run(t, func(cfg string) (func(string), func() string) {
		sink := &logSink{}
		c, diags := adapt(t, cfg)
		if c == nil {
			t.Fatalf("adapter refused the configuration: %v", diags)
		}
		startEngine(t, c, sink)
		return func(s string) { sink.wait(t, s) }, func() string {
			sink.mu.Lock()
			defer sink.mu.Unlock()
			return strings.Join(sink.lines, "\n")
		}
	})
	for _, server := range []string{"s1", "b1"} {
		w, g := strings.Join(want[server], "\n"), strings.Join(got[server], "\n")
		if !strings.Contains(w, "Health check for") {
			t.Fatalf("the reference logged no health check line for %s:\n%s", server, w)
		}
		if w != g {
			t.Errorf("%s: lines differ\nours:\n%s\nreference:\n%s", server, g, w)
		}
	}
}
