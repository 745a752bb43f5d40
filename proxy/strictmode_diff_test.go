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
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte(req))
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
