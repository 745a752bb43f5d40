package proxy

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// smuggleConfig is the http listener every malformed-input case runs
// behind, ours and the reference alike.
const smuggleConfig = `defaults
	mode http
	timeout connect 1s
	timeout client 2s
	timeout server 2s
	timeout http-request 1s
frontend fe
	bind 127.0.0.1:%d
	default_backend be
backend be
	server s1 %s
`

// followUp ends every case: a well-formed request that closes, so a case
// ends when the connection does, and a request the proxy let through
// behind a malformed one shows up at the backend.
const followUp = "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

// TestMalformedInputDifferential sends request-smuggling attempts and
// malformed requests through the whole engine (configuration, listener,
// codec, forwarding) and through the reference, and compares the status
// codes the client receives and every request the backend receives: ours
// must reject exactly what the reference rejects and forward exactly what
// it forwards.
func TestMalformedInputDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	many := strings.Repeat("X-Many: v\r\n", 120)
	cases := []struct{ desc, raw string }{
		{"control: a valid request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"CL.TE: both framings", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"},
		{"TE.CL: a request hidden in a chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2c\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n"},
		{"two different Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"},
		{"two equal Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
		{"Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc"},
		{"negative Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
		{"signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc"},
		{"Content-Length with a space inside", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n"},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"},
		{"NUL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"},
		{"control byte in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"},
		{"space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"},
		{"invalid header name", "GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n"},
		{"bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
		{"chunk size overflow", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n"},
		{"chunk extension", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n"},
		{"TE not ending in chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"},
		{"TE xchunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
		{"TE in an HTTP/1.0 request", "POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"absurd header count", "GET / HTTP/1.1\r\nHost: x\r\n" + many + "\r\n"},
		{"bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n"},
		{"unknown version", "GET / HTTP/1.2\r\nHost: x\r\n\r\n"},
		{"garbage version", "GET / HXXP/1.1\r\nHost: x\r\n\r\n"},
		{"URI longer than the buffer", "GET /" + strings.Repeat("a", 17000) + " HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"two different Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{"absolute URI and another Host", "GET http://a.example/p HTTP/1.1\r\nHost: b.example\r\n\r\n"},
		{"Expect: 100-continue", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			raw := tc.raw + followUp
			refBE, ourBE := startHTTPBackend(t, "s1"), startHTTPBackend(t, "s1")
			port := difftest.FreePort(t)
			difftest.StartReferenceConfig(t, bin, fmt.Sprintf(smuggleConfig, port, refBE.addr()))
			ref := statusesOf(t, fmt.Sprintf("127.0.0.1:%d", port), raw)

			e := startText(t, fmt.Sprintf(smuggleConfig, difftest.FreePort(t), ourBE.addr()))
			ours := statusesOf(t, feAddr(e, "fe"), raw)

			if ref != ours {
				t.Errorf("client received:\nref  %s\nours %s", ref, ours)
			}
			rh, rb := refBE.received()
			oh, ob := ourBE.received()
			if r, o := fmt.Sprintf("%q %q", rh, rb), fmt.Sprintf("%q %q", oh, ob); r != o {
				t.Errorf("backend received:\nref  %s\nours %s", r, o)
			}
		})
	}
}

var statusLineRE = regexp.MustCompile(`HTTP/1\.[01] (\d{3})`)

// statusesOf writes raw on a new connection, reads until the proxy closes it
// (bounded), and returns the status codes of the responses, in order.
func statusesOf(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// The proxy may answer and close before reading all of raw: a failed
	// write is part of the behaviour, not a test error.
	go io.WriteString(c, raw)
	got, _ := io.ReadAll(c)
	var codes []string
	for _, m := range statusLineRE.FindAllStringSubmatch(string(got), -1) {
		codes = append(codes, m[1])
	}
	return strings.Join(codes, " ")
}
