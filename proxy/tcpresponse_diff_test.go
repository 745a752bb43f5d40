package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// tlsHello is a TLS handshake record holding a hello of type typ (1
// client, 2 server) with session ID sid: its length byte sits at offset
// 43, as the recipes' payload_lv(43,1) expects.
func tlsHello(typ byte, sid []byte) []byte {
	body := append([]byte{3, 3}, bytes.Repeat([]byte{'R'}, 32)...)
	body = append(append(append(body, byte(len(sid))), sid...), 0, 0x2f, 0)
	hs := append([]byte{typ, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

// helloServer answers each connection's first bytes with a ServerHello
// carrying sid, then, a moment later, its name, and closes.
func helloServer(t *testing.T, name string, sid []byte) string {
	t.Helper()
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 4096)); err != nil {
			return
		}
		c.Write(tlsHello(2, sid))
		time.Sleep(100 * time.Millisecond)
		c.Write([]byte("from " + name))
	})
	return ln.Addr().String()
}

// TestTCPResponseRulesMatchReference: the SSL session-ID stickiness
// recipe (tcp-response content rules on rep_ssl_hello_type, stick
// store-response payload_lv(43,1)) with and without a response inspect
// delay, and the reject and close actions. Two connections go through
// each proxy, the second resuming the first's session: what the clients
// read (the server that answered tells whether the session stuck) and
// the log lines must be the reference's.
func TestTCPResponseRulesMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	sid := bytes.Repeat([]byte{0xab}, 32)
	reqInspect := "tcp-request inspect-delay 2s\n\ttcp-request content accept if clienthello"
	for _, tc := range []struct{ desc, request, rules string }{
		{"no inspect delay", reqInspect, "tcp-response content accept if serverhello"},
		{"inspect delay", reqInspect, "tcp-response inspect-delay 2s\n\ttcp-response content accept if serverhello"},
		{"reject", reqInspect, "tcp-response inspect-delay 2s\n\ttcp-response content reject if serverhello"},
		{"close", reqInspect, "tcp-response inspect-delay 2s\n\ttcp-response content close if serverhello"},
		{"set-var then accept on res.len", reqInspect, "tcp-response inspect-delay 2s\n\ttcp-response content set-var(sess.n) res.len\n\ttcp-response content accept if { res.len ge 10 }"},
		// Nothing holds the request: it reaches the server while the
		// response is awaited.
		{"reject, request not inspected", "", "tcp-response inspect-delay 2s\n\ttcp-response content reject if serverhello"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s1, s2 := helloServer(t, "s1", sid), helloServer(t, "s2", sid)
			cfg := func(port int) string {
				return fmt.Sprintf("defaults\n\tmode tcp\n\tlog stdout format raw local0\n\ttimeout connect 2s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
					"frontend fe\n\tbind 127.0.0.1:%d\n\tlog-format \"L^%%s^%%B^%%ts\"\n\tdefault_backend be\n"+
					"backend be\n\tbalance roundrobin\n\tstick-table type binary len 32 size 1k expire 1m\n"+
					"\tacl clienthello req_ssl_hello_type 1\n\tacl serverhello rep_ssl_hello_type 2\n"+
					"\t%s\n\t%s\n"+
					"\tstick on payload_lv(43,1) if clienthello\n\tstick store-response payload_lv(43,1) if serverhello\n"+
					"\tserver s1 %s\n\tserver s2 %s\n", port, tc.request, tc.rules, s1, s2)
			}
			exchange := func(port int) []string {
				var got []string
				for _, hello := range [][]byte{tlsHello(1, nil), tlsHello(1, sid)} {
					c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
					if err != nil {
						t.Fatal(err)
					}
					c.SetDeadline(time.Now().Add(5 * time.Second))
					c.Write(hello)
					b, err := io.ReadAll(c)
					c.Close()
					if err != nil {
						t.Fatal(err)
					}
					// The hello's bytes are the servers' own; what follows
					// names the server.
					got = append(got, fmt.Sprintf("%d bytes, %q", len(b), strings.TrimPrefix(string(b), string(tlsHello(2, sid)))))
				}
				return got
			}
			refPort := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(refPort))
			refGot := exchange(refPort)
			ourPort := difftest.FreePort(t)
			_, ours := startOurs(t, cfg(ourPort), plainLine)
			ourGot := exchange(ourPort)
			if strings.Join(refGot, "\n") != strings.Join(ourGot, "\n") {
				t.Errorf("clients read\nref  %q\nours %q", refGot, ourGot)
			}
			want := refLines(ref, "L^", 2)
			var got []string
			waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= len(want) })
			compareLines(t, []string{"L", "%s", "%B", "%ts"}, want, got)
		})
	}
}
