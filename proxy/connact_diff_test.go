package proxy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// dropTerms is the log format of the connection actions comparison.
var dropTerms = []string{"L", "%ci", "%fi", "%b", "%s", "%ts", "%ST", "%B"}

// dropEnd is how a client saw its connection end: "reset", "closed"
// (an orderly end), "answered" (it got bytes), or "silent" (nothing came
// within the wait: the proxy went away without a word).
func dropEnd(t *testing.T, addr, send string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(send)); err != nil {
		t.Fatal(err)
	}
	// Long enough for any close or answer on loopback to arrive.
	c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	switch {
	case n > 0:
		return "answered"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "silent"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	}
	return "closed"
}

// TestConnectionActionsMatchReference: reject and silent-drop end the
// client connection as the reference's do (a reset; nothing at all), in
// http-request and tcp-request rules, and tcp-request content set-src and
// set-dst show in the log; the log lines are the reference's.
func TestConnectionActionsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, tc := range []struct {
		desc, mode, rules, send string
	}{
		{"http-request reject", "http", "http-request reject", get("/")},
		{"http-request silent-drop", "http", "http-request silent-drop", get("/")},
		{"http-response silent-drop", "http", "http-response silent-drop", get("/")},
		{"tcp-request content reject", "tcp", "tcp-request content reject", "ping\n"},
		{"tcp-request content silent-drop", "tcp", "tcp-request inspect-delay 1s\n\ttcp-request content silent-drop if { req.len gt 0 }", "ping\n"},
		{"tcp-request content set-src and set-dst", "tcp", "tcp-request content set-src ipv4(10.1.2.3)\n\ttcp-request content set-dst ipv4(10.7.7.7)\n\ttcp-request content reject", "ping\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			be := actBackend(t, "s1")
			cfg := func(port int) string {
				return fmt.Sprintf(`defaults
	mode %s
	log stdout format raw local0
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	log-format "%s"
	%s
	server s1 %s
`, tc.mode, port, strings.Join(dropTerms, fieldSep), tc.rules, be)
			}
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port))
			refEnd := dropEnd(t, fmt.Sprintf("127.0.0.1:%d", port), tc.send)
			refGot := refLines(ref, "L^", 1)

			e, ours := startOurs(t, cfg(difftest.FreePort(t)), plainLine)
			ourEnd := dropEnd(t, feAddr(e, "fe"), tc.send)
			var ourGot []string
			waitFor(t, "our log line", func() bool { ourGot = ours(); return len(ourGot) >= 1 })
			if refEnd != ourEnd {
				t.Errorf("the client saw its connection end %s with the reference, %s with ours", refEnd, ourEnd)
			}
			compareLines(t, dropTerms, refGot, ourGot)
		})
	}
}

// TestSetLogLevelMatchesReference: set-log-level gives a request's log
// line its severity, whatever its outcome, the last matching rule
// winning and silent dropping the line, in http-request, http-response
// and tcp-request content rules, as the reference does.
func TestSetLogLevelMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, tc := range []struct {
		desc, mode, rules string
		sends             []string
	}{
		{"http", "http", `http-request set-var(txn.p) path
	http-request set-log-level err if { path /err }
	http-request set-log-level debug if { path_beg /debug }
	http-request set-log-level silent if { path /debug/silent }
	http-request set-log-level silent if { path /silent-then-notice }
	http-response set-log-level warning if { var(txn.p) -m str /warn }
	http-request set-log-level notice if { path /silent-then-notice }`,
			[]string{get("/plain"), get("/err"), get("/debug/x"), get("/debug/silent"), get("/warn"), get("/silent-then-notice"), get("/end")}},
		{"tcp content", "tcp", `tcp-request inspect-delay 1s
	tcp-request content set-var(sess.p) req.payload(0,3)
	tcp-request content set-log-level crit if { req.payload(0,3) -m str crt }
	tcp-request content set-log-level silent if { req.payload(0,3) -m str sil }`,
			[]string{"crt\n", "sil\n", "any\n"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			be := actBackend(t, "s1")
			// The logged variable: the request's in http mode, the
			// session's in tcp mode.
			logVar := map[string]string{"http": "txn.p", "tcp": "sess.p"}[tc.mode]
			cfg := func(port int) string {
				return fmt.Sprintf(`defaults
	mode %s
	log stdout format rfc3164 local0
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	log-format "L^%%[var(%s)]"
	%s
	server s1 %s
`, tc.mode, port, logVar, tc.rules, be)
			}
			send := func(addr string) {
				for _, s := range tc.sends {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Fatal(err)
					}
					c.Write([]byte(s))
					c.SetReadDeadline(time.Now().Add(2 * time.Second))
					c.Read(make([]byte, 4096))
					c.Close()
				}
			}
			// The line's severity and text, from the reference's
			// "<PRI>date host prog[pid]: L^..." (local0: PRI is 128+level).
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port))
			send(fmt.Sprintf("127.0.0.1:%d", port))
			refEnd := "L^" + strings.TrimSpace(tc.sends[len(tc.sends)-1])[:3]
			if tc.mode == "http" {
				refEnd = "L^/end"
			}
			var refGot []string
			waitFor(t, "the reference's last line", func() bool {
				refGot = refGot[:0]
				for _, l := range strings.Split(ref.Output(), "\n") {
					pri, rest, ok := strings.Cut(strings.TrimPrefix(l, "<"), ">")
					_, msg, ok2 := strings.Cut(rest, ": L^")
					if n, err := fmt.Sscan(pri, new(int)); ok && ok2 && n == 1 && err == nil {
						refGot = append(refGot, pri+" L^"+msg)
					}
				}
				return strings.Contains(ref.Output(), refEnd)
			})
			e, ours := startOurs(t, cfg(difftest.FreePort(t)), func(r *Record) (string, bool) {
				level, skip := r.Level()
				if skip {
					return "", false
				}
				return fmt.Sprintf("%d %s", 128+level, r.AppendLine(nil)), true
			})
			send(feAddr(e, "fe"))
			// Lines of separate connections may come in either order:
			// compared sorted, once as many are in.
			var ourGot []string
			waitFor(t, "our lines", func() bool { ourGot = ours(); return len(ourGot) >= len(refGot) })
			slices.Sort(refGot)
			slices.Sort(ourGot)
			if strings.Join(refGot, "\n") != strings.Join(ourGot, "\n") {
				t.Errorf("log lines (severity, line):\nref\n%s\nours\n%s", strings.Join(refGot, "\n"), strings.Join(ourGot, "\n"))
			}
		})
	}
}
