package proxy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// dropTerms is the log format of the connection actions comparison.
var dropTerms = []string{"L", "%ci", "%fi", "%b", "%s", "%ts", "%ST"}

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
		{"tcp-request content reject", "tcp", "tcp-request content reject", "ping\n"},
		{"tcp-request content silent-drop", "tcp", "tcp-request inspect-delay 1s\n\ttcp-request content silent-drop if { req.len gt 0 }", "ping\n"},
		{"tcp-request content set-src and set-dst", "tcp", "tcp-request content set-src ipv4(10.1.2.3)\n\ttcp-request content set-dst ipv4(10.7.7.7)\n\ttcp-request content reject", "ping\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
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
	server s1 127.0.0.1:1
`, tc.mode, port, strings.Join(dropTerms, fieldSep), tc.rules)
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
