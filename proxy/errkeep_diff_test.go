package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestErrorAnswersKeepConnectionsAsReference: after an error the proxy
// answers itself, the client connection persists or closes as with the
// reference: it persists after a 503 (no server, or none reachable), a
// 504 and a 502, but a later request whose server closes without
// answering ends the connection without a word. Each case sends two
// requests on one connection and records what came back.
func TestErrorAnswersKeepConnectionsAsReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	closes := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.Read(make([]byte, 4096))
	}).Addr().String()
	slow := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.Read(make([]byte, 4096))
		time.Sleep(time.Second) // past timeout server
	}).Addr().String()
	garbage := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.Read(make([]byte, 4096))
		c.Write([]byte("garbage\r\n\r\n"))
		time.Sleep(500 * time.Millisecond)
	}).Addr().String()
	cases := []namedListen{
		{"refused", "retries 0\n\tserver s 127.0.0.1:1"},
		{"closes", "server s " + closes},
		{"slow", "server s " + slow},
		{"garbage", "server s " + garbage},
		{"nosrv", ""},
		{"refused-http10", "retries 0\n\tserver s 127.0.0.1:1"},
		// The second request goes to the server that closes: a kept-
		// alive client's later request is dropped without an answer or
		// a log line, so that the client may retry it.
		{"closes-second", "server ok " + actBackend(t, "ok") + "\n\tserver s " + closes},
		// The first request's server closes: a 502, and the next
		// request reaches the other server on the same connection.
		{"closes-first", "server s " + closes + "\n\tserver ok " + actBackend(t, "ok")},
	}
	config := func(ports []int) string { return listenConfig(errkeepDefaults, cases, ports) }
	play := func(addr, name string) string {
		req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
		if strings.HasSuffix(name, "http10") {
			req = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		rd := bufio.NewReader(c)
		var got []string
		for range 2 {
			if _, err := c.Write([]byte(req)); err != nil {
				return strings.Join(append(got, "closed"), ", ")
			}
			resp, err := readRawResponse(rd)
			if resp == "" {
				return strings.Join(append(got, "closed"), ", ")
			}
			head, _, _ := strings.Cut(resp, "\r\n\r\n")
			got = append(got, strings.ReplaceAll(head, "\r\n", " | "))
			if err != nil {
				return strings.Join(got, ", ")
			}
		}
		return strings.Join(got, ", ")
	}
	refPorts, ourPorts := portPairs(t, len(cases))
	refProc := difftest.StartReferenceConfig(t, bin, config(refPorts))
	e, ourLines := startOurs(t, config(ourPorts), plainLine)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := play(fmt.Sprintf("127.0.0.1:%d", refPorts[i]), c.name)
			ours := play(feAddr(e, c.name), c.name)
			if ref != ours {
				t.Errorf("two requests on one connection:\nref  %s\nours %s", ref, ours)
			}
		})
	}
	// The log lines, once all are in: the same per proxy.
	byProxy := func(lines []string) map[string][]string {
		m := map[string][]string{}
		for _, l := range lines {
			if f := strings.Split(l, fieldSep); len(f) == 3 {
				m[f[1]] = append(m[f[1]], f[2])
			}
		}
		return m
	}
	refGot := byProxy(refLines(refProc, "L^", 14))
	var ourGot map[string][]string
	waitFor(t, "our log lines", func() bool { ourGot = byProxy(ourLines()); return len(ourLines()) >= 14 })
	for _, c := range cases {
		if r, o := strings.Join(refGot[c.name], " "), strings.Join(ourGot[c.name], " "); r != o {
			t.Errorf("%s: logged statuses: ref %q, ours %q", c.name, r, o)
		}
	}
}

// errkeepDefaults is the test's defaults section.
const errkeepDefaults = "\tmode http\n\tlog stdout format raw local0\n\tlog-format \"L^%b^%ST\"\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 300ms\n"
