package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestStrictModeMatchesReference: a request rewrite that leaves the head
// larger than the buffer fails as the reference's: a 500 under
// strict-mode on (the default), the rewrite dropped under strict-mode
// off; the boundary is the reference's, and wrew counts the failures.
func TestStrictModeMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := actBackend(t, "s1")
	// With "GET / HTTP/1.1" and "Host: x" alone, the reference takes a
	// value of up to 16261 bytes in an added header; a longer path, or
	// an extra header of n bytes (name and value, plus 8), takes from it.
	// The paths here are 4 bytes longer than "/" (/fits, /over, /soft).
	cfg := func(port, fits int) string {
		return fmt.Sprintf(`defaults
	mode http
	log stdout format raw local0
	option httplog
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	http-request set-header X-Big %s if { path /fits }
	http-request set-header X-Big %s if { path /over }
	http-request strict-mode off if { path_beg /soft }
	http-request set-header X-Big %s if { path /soft }
	http-request set-header X-Small yes if { path /soft }
	server s1 %s
`, port, strings.Repeat("f", fits), strings.Repeat("o", fits+1), strings.Repeat("s", fits+1), be)
	}
	play := func(addr string) []string {
		var out []string
		for _, req := range []string{"GET /fits HTTP/1.1\r\nHost: x\r\n\r\n", "GET /over HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET /soft HTTP/1.1\r\nHost: x\r\n\r\n", "GET /fits HTTP/1.1\r\nHost: x\r\nH1: v\r\n\r\n"} {
			c := sendRaw(t, addr, req)
			resp, _ := readRawResponse(bufio.NewReader(c))
			c.Close()
			status, _, _ := strings.Cut(resp, "\r\n")
			// What the server got: its head's length and the small header.
			_, body, _ := strings.Cut(resp, "\r\n\r\n")
			out = append(out, fmt.Sprintf("%s server-head=%d small=%v", status, len(body), strings.Contains(body, "x-small: yes")))
		}
		return out
	}
	port := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, cfg(port, 16257))
	ref := play(fmt.Sprintf("127.0.0.1:%d", port))
	ourPort := difftest.FreePort(t)
	e, _ := startOurs(t, cfg(ourPort, 16257), plainLine)
	ours := play(feAddr(e, "fe"))
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("answers:\nref\n%s\nours\n%s", strings.Join(ref, "\n"), strings.Join(ours, "\n"))
	}
	t.Logf("ref:\n%s", strings.Join(ref, "\n"))
	if got := e.FrontendCounters("fe").FailedRewrites.Load(); got != 3 {
		t.Errorf("wrew %d, want 3 (over, soft, fits with one more header)", got)
	}
}

// TestResponseStrictModeMatchesReference: the same for http-response
// rewrites: past the buffer, the answer is replaced by a 500 (logged PH)
// under strict-mode, and the rewrite dropped under strict-mode off.
func TestResponseStrictModeMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.Read(make([]byte, 4096))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}).Addr().String()
	// "HTTP/1.1 200 OK" with a Content-Length and its 2-byte body,
	// received with the head, leave 16240 bytes for an added header's
	// value, as found against the reference.
	const fits = 16240
	cases := []namedListen{
		{"fits", "http-response set-header X-Big " + strings.Repeat("f", fits) + "\n\tserver s " + srv},
		{"over", "http-response set-header X-Big " + strings.Repeat("o", fits+1) + "\n\tserver s " + srv},
		{"soft", "http-response strict-mode off\n\thttp-response set-header X-Big " + strings.Repeat("s", fits+1) +
			"\n\thttp-response set-header X-Small yes\n\tserver s " + srv},
	}
	config := func(ports []int) string {
		return listenConfig("\tmode http\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n", cases, ports)
	}
	play := func(addr string) string {
		c := sendRaw(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		defer c.Close()
		resp, _ := readRawResponse(bufio.NewReader(c))
		head, _, _ := strings.Cut(resp, "\r\n\r\n")
		status, _, _ := strings.Cut(head, "\r\n")
		return fmt.Sprintf("%s head=%d small=%v", status, len(head), strings.Contains(head, "x-small: yes"))
	}
	refPorts, ourPorts := portPairs(t, len(cases))
	difftest.StartReferenceConfig(t, bin, config(refPorts))
	startOurs(t, config(ourPorts), plainLine)
	for i, c := range cases {
		ref := play(fmt.Sprintf("127.0.0.1:%d", refPorts[i]))
		ours := play(fmt.Sprintf("127.0.0.1:%d", ourPorts[i]))
		if ref != ours {
			t.Errorf("%s: ref %s, ours %s", c.name, ref, ours)
		}
		t.Logf("%s: %s", c.name, ref)
	}
}
