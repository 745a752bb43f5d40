package proxy

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestHeadReplyMatchesReference: the answers the proxy writes itself (a
// deny's page, a return's content) to a HEAD request have their head
// only, and %B does not count the body, as the reference's.
func TestHeadReplyMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	terms := []string{"L", "%ST", "%ts", "%B", "%r"}
	cfg := func(port int) string {
		return fmt.Sprintf(`defaults
	mode http
	log stdout format raw local0
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	log-format "%s"
	http-request deny if { path /deny }
	http-request return status 200 content-type text/plain string hello if { path /return }
	http-request deny deny_status 404 if { path /page }
	server s1 127.0.0.1:1
`, port, strings.Join(terms, fieldSep))
	}
	paths := []string{"/deny", "/return", "/page"}
	play := func(addr string, lines func(n int) []string) ([]string, []string) {
		var answers []string
		for _, p := range paths {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "HEAD "+p+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			b, _ := io.ReadAll(c)
			c.Close()
			answers = append(answers, string(b))
		}
		return answers, lines(len(paths))
	}
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port))
	refAnswers, refGot := play(fmt.Sprintf("127.0.0.1:%d", port), func(n int) []string { return refLines(ref, "L^", n) })
	e, ours := startOurs(t, cfg(difftest.FreePort(t)), plainLine)
	ourAnswers, ourGot := play(feAddr(e, "fe"), func(n int) []string {
		var got []string
		waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= n })
		return got
	})
	for i, p := range paths {
		if refAnswers[i] != ourAnswers[i] {
			t.Errorf("HEAD %s: the client read\n%q from the reference,\n%q from ours", p, refAnswers[i], ourAnswers[i])
		}
	}
	compareLines(t, terms, refGot, ourGot)
}
