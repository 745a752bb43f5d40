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

// TestResponseFramingAsReference: what the client reads of answers whose
// framing the proxy rewrites, and the byte counts the log gives them, as
// the reference: a chunked body counts its data, its trailers' names and
// values and one byte for its end, not its chunk framing; a 204 loses its
// framing headers; the Connection header is written only where the
// response's version would not say it (HTTP/1.0 answers close by
// default, and a 1.0 client or server must be told of keep-alive).
func TestResponseFramingAsReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	answers := map[string]string{
		"/chunked":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		"/trailers": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T:  abc \r\nX-Second: 12\r\n\r\n",
		"/204":      "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		"/204te":    "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
		"/http10":   "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"/http11":   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	}
	server := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		rd := bufio.NewReader(c)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			for {
				if l, err := rd.ReadString('\n'); err != nil || l == "\r\n" {
					break
				}
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				return
			}
			if _, err := c.Write([]byte(answers[f[1]])); err != nil {
				return
			}
		}
	}).Addr().String()
	requests := []string{
		"GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n",
		"GET /204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /204te HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /204 HTTP/1.0\r\n\r\n",
		"GET /http10 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /http10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /http10 HTTP/1.0\r\n\r\n",
		"GET /http10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /http11 HTTP/1.0\r\n\r\n",
		"GET /http11 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	}
	config := func(port int) string {
		return fmt.Sprintf("defaults\n\tmode http\n\tlog stdout format raw local0\n\tlog-format \"F^%%HU^%%HV^%%ST^%%B^%%U\"\n"+
			"\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\nlisten l\n\tbind 127.0.0.1:%d\n\tserver s %s\n", port, server)
	}
	refPort, ourPort := difftest.FreePort(t), difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, config(refPort))
	_, ourLines := startOurs(t, config(ourPort), plainLine)
	// head reads one answer's head (the body of the chunked ones too,
	// whose framing is the reference's own).
	exchange := func(port int, req string) string {
		c := sendRaw(t, fmt.Sprintf("127.0.0.1:%d", port), req)
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(time.Second))
		resp, _ := readRawResponse(bufio.NewReader(c))
		head, _, _ := strings.Cut(resp, "\r\n\r\n")
		return strings.ReplaceAll(head, "\r\n", " | ")
	}
	for _, req := range requests {
		line, _, _ := strings.Cut(req, "\r\n")
		if r, o := exchange(refPort, req), exchange(ourPort, req); r != o {
			t.Errorf("%q (%s): head\nref  %s\nours %s", line, strings.ReplaceAll(req, "\r\n", " "), r, o)
		}
	}
	got := refLines(ref, "F^", len(requests))
	var ours []string
	waitFor(t, "our log lines", func() bool { ours = ourLines(); return len(ours) >= len(requests) })
	if r, o := strings.Join(got, "\n"), strings.Join(ours, "\n"); r != o {
		t.Errorf("log lines (request, status, bytes out, bytes in):\nref\n%s\nours\n%s", r, o)
	}
}
