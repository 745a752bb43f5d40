package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestBufferTuningAsReference: tune.bufsize, tune.maxrewrite and
// tune.http.maxhdr set the largest request and response heads the proxy
// lets through. For each global setting the largest request header, the
// largest response header and the most request headers the reference
// accepts are found by bisection against it; ours must accept the same and
// refuse one more, with the reference's status.
func TestBufferTuningAsReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	// The server answers /N with a header of N bytes.
	server := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		rd := bufio.NewReader(c)
		line, _ := rd.ReadString('\n')
		for {
			if l, err := rd.ReadString('\n'); err != nil || l == "\r\n" {
				break
			}
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.Fields(line + " / ")[1], "/"))
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", strings.Repeat("b", n))
	}).Addr().String()
	variants := []struct{ desc, global string }{
		{"larger buffer", "tune.bufsize 32768"},
		{"smaller buffer, reserve and header count", "tune.bufsize 8192\n\ttune.maxrewrite 512\n\ttune.http.maxhdr 20"},
		{"reserve over half the buffer", "tune.bufsize 4096\n\ttune.maxrewrite 3000"},
		{"the last line wins, rounded up", "tune.bufsize 20000\n\ttune.bufsize 9000"},
	}
	status := func(addr, raw string) string {
		head, _, err := difftest.RawHTTP(addr, raw)
		if head == "" {
			return fmt.Sprintf("closed (%v)", err)
		}
		line, _, _ := strings.Cut(head, "\r\n")
		return line
	}
	shapes := []struct {
		desc string
		req  func(n int) string
	}{
		{"request header bytes", func(n int) string {
			return "GET /0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Req: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
		{"response header bytes", func(n int) string { return fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", n) }},
		{"request header count", func(n int) string {
			return "GET /0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + strings.Repeat("X: a\r\n", n) + "\r\n"
		}},
	}
	for _, v := range variants {
		t.Run(v.desc, func(t *testing.T) {
			t.Parallel()
			refPort, ourPort := difftest.FreePort(t), difftest.FreePort(t)
			config := func(port int) string {
				return fmt.Sprintf("global\n\t%s\ndefaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
					"listen l\n\tbind 127.0.0.1:%d\n\tserver s %s\n", v.global, port, server)
			}
			difftest.StartReferenceConfig(t, bin, config(refPort))
			startOurs(t, config(ourPort), plainLine)
			ref, ours := fmt.Sprintf("127.0.0.1:%d", refPort), fmt.Sprintf("127.0.0.1:%d", ourPort)
			for _, s := range shapes {
				ok := func(n int) bool { return strings.HasPrefix(status(ref, s.req(n)), "HTTP/1.1 200") }
				lo, hi := 0, 1000
				for ok(hi) {
					lo, hi = hi, hi*2
				}
				for lo+1 < hi {
					if m := (lo + hi) / 2; ok(m) {
						lo = m
					} else {
						hi = m
					}
				}
				for _, n := range []int{lo, hi} {
					if r, o := status(ref, s.req(n)), status(ours, s.req(n)); r != o {
						t.Errorf("%s = %d (the reference's limit is %d): reference %q, ours %q", s.desc, n, lo, r, o)
					}
				}
			}
		})
	}
}
