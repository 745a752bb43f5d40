package proxy

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// httplogRE splits an httplog line around what differs by nature: client
// port, date and timer values. The client is an IPv4 or IPv6 address
// (set-src may set either).
var httplogRE = regexp.MustCompile(`^([0-9a-f.:]+):\d+ \[[^\]]+\] (\S+ \S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (.*)$`)

func maskHTTPLog(t *testing.T, line string) string {
	m := httplogRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not an httplog line: %q", line)
	}
	var timers []string
	for _, v := range m[3:8] {
		if v != "-1" {
			v = "T"
		}
		timers = append(timers, v)
	}
	return fmt.Sprintf("%s:PORT [DATE] %s %s %s", m[1], m[2], strings.Join(timers, "/"), m[8])
}

// runHTTPSession sends the differential requests to addr: three on one
// keep-alive connection (GET with a query, POST with a body, a redirect, a
// deny, HTTP/1.0),
// then a malformed one on its own connection once idle says the proxy
// ended the first.
func runHTTPSession(t *testing.T, addr string, idle func()) []string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	var out []string
	for _, raw := range []string{
		"GET /a?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: T/1\r\nConnection: keep-alive\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
		"GET /old HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /admin HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /b HTTP/1.0\r\nHost: example.com\r\n\r\n",
	} {
		resp, body := httpRoundTrip(t, c, rd, raw)
		out = append(out, fmt.Sprintf("%d %q close=%v", resp.StatusCode, body, resp.Close))
	}
	c.Close()
	idle()
	return append(out, sendMalformed(t, addr))
}

// TestHTTPDifferential: the same requests through the reference and
// through our engine (same configuration: mode http, option forwardfor,
// option httplog) give the same answers, the backend receives the same
// request heads and bodies, and the httplog lines match (timers masked).
func TestHTTPDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	refBE, ourBE := startHTTPBackend(t, "s1"), startHTTPBackend(t, "s1")

	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(`defaults
	mode http
	log stdout format raw local0
	option httplog
	option forwardfor
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	http-request redirect location /new code 301 if { path_beg /old }
	http-request deny if { path_beg /admin }
	default_backend be
backend be
	server s1 %s
`, port, refBE.addr()))
	refAnswers := runHTTPSession(t, fmt.Sprintf("127.0.0.1:%d", port), func() { waitRefFrontendIdle(t, ref, "fe") })

	cfg := httpConfig(t, ourBE.addr())
	cfg.Frontends[0].HTTP.TimeoutRequest = 0
	cfg.Frontends[0].HTTP.ForwardFor = &ForwardFor{}
	cfg.Frontends[0].HTTP.RequestRules = []HTTPRule{
		{Action: HTTPRedirect, Cond: PathBeg("/old"), Status: 301, Location: "/new"},
		{Action: HTTPDeny, Cond: PathBeg("/admin")},
	}
	ours := &httpLogLines{}
	e := startEngineOpts(t, cfg, Options{AccessLog: ours.add})
	ourAnswers := runHTTPSession(t, feAddr(e, "fe"), func() { waitFrontendIdle(t, e, "fe") })

	for i := range refAnswers {
		if refAnswers[i] != ourAnswers[i] {
			t.Errorf("answer %d:\nref  %q\nours %q", i, refAnswers[i], ourAnswers[i])
		}
	}
	rh, rb := refBE.received()
	oh, ob := ourBE.received()
	if strings.Join(rh, "|") != strings.Join(oh, "|") || strings.Join(rb, "|") != strings.Join(ob, "|") {
		t.Errorf("backend received:\nref  %q %q\nours %q %q", rh, rb, oh, ob)
	}

	// The reference's log lines, in order, once all four are out.
	var refLog []string
	for range 200 {
		refLog = refLog[:0]
		for _, l := range strings.Split(ref.Output(), "\n") {
			if httplogRE.MatchString(l) {
				refLog = append(refLog, l)
			}
		}
		if len(refLog) >= 6 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	// Ours logs a request once its connection's turn is over, which may be
	// just after the client read the answer: wait (bounded) for as many.
	var ourLog []string
	for range 200 {
		if ourLog = ours.get(); len(ourLog) >= len(refLog) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if len(refLog) != len(ourLog) {
		t.Fatalf("log lines:\nref  %q\nours %q", refLog, ourLog)
	}
	for i := range refLog {
		// The malformed request is on a second connection: feconn
		// counts and ports are the same in both runs.
		if r, o := maskHTTPLog(t, refLog[i]), maskHTTPLog(t, ourLog[i]); r != o {
			t.Errorf("log line %d:\nref  %s\nours %s", i, r, o)
		}
	}
}
