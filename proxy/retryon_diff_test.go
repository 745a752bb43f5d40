package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// connCountsRE is a log line's %ac/%fc/%bc/%sc/%rc.
var connCountsRE = regexp.MustCompile(`\b\d+/\d+/\d+/\d+/(\+?\d+) `)

// TestRetryOnMatchesReference: retry-on sends a request again after the
// failures it names (a server closing without an answer, an answer that
// does not parse, no answer within timeout server, a listed status), on
// the same server or, with option redispatch, another one, up to
// retries; what the client gets and the log lines (server, status,
// termination, retries with the redispatch mark, which timers are set)
// are the reference's.
func TestRetryOnMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	serve := func(handle func(net.Conn)) string { return difftest.Serve(t, "127.0.0.1:0", handle).Addr().String() }
	closer := serve(func(c net.Conn) { c.Read(make([]byte, 4096)) })
	slow := serve(func(c net.Conn) {
		c.Read(make([]byte, 4096))
		time.Sleep(time.Second) // past timeout server
	})
	junk := serve(func(c net.Conn) {
		c.Read(make([]byte, 4096))
		c.Write([]byte("garbage\r\n\r\n"))
		time.Sleep(300 * time.Millisecond)
	})
	unavailable := serve(func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			if n, err := c.Read(buf); n == 0 || err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\n\r\nbad"))
		}
	})
	ok := actBackend(t, "ok")
	// echo answers each request with its body ("-" when it has none).
	echo := serve(func(c net.Conn) {
		rd := bufio.NewReader(c)
		for {
			n := 0
			for {
				line, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if line == "\r\n" {
					break
				}
				if k, v, _ := strings.Cut(line, ":"); strings.EqualFold(k, "content-length") {
					fmt.Sscan(strings.TrimSpace(v), &n)
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(rd, body); err != nil {
				return
			}
			if n == 0 {
				body = []byte("-")
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
	})
	cases := []namedListen{
		{"all-errors-same-server", "retry-on all-retryable-errors\n\tretries 2\n\tserver a " + closer + "\n\tserver b " + ok},
		{"empty-redispatch", "retry-on empty-response response-timeout 503\n\toption redispatch\n\tretries 2\n\tserver a " + closer + "\n\tserver b " + ok},
		{"timeout-redispatch", "retry-on response-timeout\n\toption redispatch\n\tretries 2\n\tserver a " + slow + "\n\tserver b " + ok},
		{"status-redispatch", "retry-on 503\n\toption redispatch\n\tretries 2\n\tserver a " + unavailable + "\n\tserver b " + ok},
		{"status-exhausted", "retry-on 503\n\tretries 1\n\tserver a " + unavailable},
		{"not-listed", "retry-on 503\n\tserver a " + closer},
		{"junk", "retry-on junk-response\n\tretries 1\n\tserver a " + junk},
		{"timeout-not-listed", "retry-on empty-response\n\tretries 1\n\tserver a " + slow},
		{"no-conn-failure", "retry-on 503\n\tretries 2\n\tserver a 127.0.0.1:1"},
		{"post-redispatch", "retry-on 503 empty-response\n\toption redispatch\n\tretries 2\n\tserver a " + unavailable + "\n\tserver c " + closer + "\n\tserver b " + echo},
		{"disable-l7-retry", "retry-on 503\n\toption redispatch\n\thttp-request disable-l7-retry if { path /p1 }\n\tserver a " + unavailable + "\n\tserver b " + ok},
	}
	config := func(ports []int) string { return listenConfig(retryOnDefaults, cases, ports) }
	play := func(addr, name string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		rd := bufio.NewReader(c)
		var got []string
		for i := range 3 {
			req := fmt.Sprintf("GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			if strings.HasPrefix(name, "post") {
				req = fmt.Sprintf("POST /p%d HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nbody%d", i, i)
			}
			if _, err := io.WriteString(c, req); err != nil {
				return strings.Join(append(got, "closed"), ", ")
			}
			resp, _ := readRawResponse(rd)
			if resp == "" {
				return strings.Join(append(got, "closed"), ", ")
			}
			line, _, _ := strings.Cut(resp, "\r\n")
			// The body shows what the server got (echo).
			if _, body, _ := strings.Cut(resp, "\r\n\r\n"); strings.HasPrefix(body, "body") {
				line += " " + body
			}
			got = append(got, line)
		}
		return strings.Join(got, ", ")
	}
	refPorts, ourPorts := portPairs(t, len(cases))
	ref := difftest.StartReferenceConfig(t, bin, config(refPorts))
	e, ours := startOurs(t, config(ourPorts), plainLine)
	// Log lines by proxy, masked, in order.
	byProxy := func(lines []string) map[string][]string {
		m := map[string][]string{}
		for _, l := range lines {
			// The connection counts (%ac/%fc/%bc/%sc) race with the
			// other cases' closing connections; the retries stay.
			masked := connCountsRE.ReplaceAllString(maskHTTPLog(t, l), "C/C/C/C/${1} ")
			f := strings.Fields(masked)
			if len(f) > 3 {
				m[f[2]] = append(m[f[2]], masked)
			}
		}
		return m
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := play(fmt.Sprintf("127.0.0.1:%d", refPorts[i]), c.name)
			o := play(feAddr(e, c.name), c.name)
			if r != o {
				t.Errorf("three requests on one connection:\nref  %s\nours %s", r, o)
			}
		})
	}
	var refGot, ourGot map[string][]string
	waitFor(t, "the log lines", func() bool {
		refGot, ourGot = byProxy(refLines(ref, "127.0.0.1:", 0)), byProxy(ours())
		n := func(m map[string][]string) (k int) {
			for _, v := range m {
				k += len(v)
			}
			return k
		}
		return n(refGot) > 0 && n(refGot) == n(ourGot)
	})
	names := make([]string, 0, len(cases))
	for _, c := range cases {
		names = append(names, c.name)
	}
	sort.Strings(names)
	for _, name := range names {
		if r, o := strings.Join(refGot[name], "\n"), strings.Join(ourGot[name], "\n"); r != o {
			t.Errorf("%s: log lines:\nref\n%s\nours\n%s", name, r, o)
		}
	}
}

// retryOnDefaults is the test's defaults section.
const retryOnDefaults = "\tmode http\n\tlog stdout format raw local0\n\toption httplog\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 400ms\n"
