package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// A proxy's events (a server going DOWN, no server left) go to that
// proxy's log targets only: a proxy with `log global` sends them to the
// global syslog target, one without any log line sends nothing there
// (stderr still shows both). Same for ours and the reference.
func TestProxyEventsFollowProxyLogTargets(t *testing.T) {
	run := func(bin string) []string {
		udp, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer udp.Close()
		cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`global
  log %s local0
defaults
  mode tcp
  timeout client 1s
  timeout server 1s
  timeout connect 1s
listen logged
  log global
  bind 127.0.0.1:%s
  server s1 127.0.0.1:%s check inter 200ms fall 1
listen silent
  bind 127.0.0.1:%s
  server s2 127.0.0.1:%s check inter 200ms fall 1
`, udp.LocalAddr(), freePort(t), freePort(t), freePort(t), freePort(t))), 0o644)
		p := startBin(t, bin, nil, "-db", "-f", cfg)
		waitFor(t, "both servers DOWN", func() bool {
			out := p.out.String()
			return strings.Contains(out, "logged/s1 is DOWN") && strings.Contains(out, "silent/s2 is DOWN")
		})
		var got []string
		buf := make([]byte, 4096)
		udp.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		for {
			n, _, err := udp.ReadFrom(buf)
			if err != nil {
				break
			}
			msg := string(buf[:n])
			if i := strings.Index(msg, "]: "); i >= 0 {
				msg = msg[i+3:]
			}
			got = append(got, regexp.MustCompile(`check duration: \d+ms`).ReplaceAllString(strings.TrimSpace(msg), "#"))
		}
		slices.Sort(got)
		return got
	}
	want := run(reftest.HAProxy(t))
	got := run(reftest.Ours(t, "haproxy"))
	if len(want) == 0 || strings.Contains(strings.Join(want, "\n"), "silent") {
		t.Fatalf("the reference sent %q: expected the logged proxy's events only", want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("syslog messages differ\nours:\n%s\nreference:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
