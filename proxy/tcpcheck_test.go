package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
	"fulcrum/proxy/internal/difftest"
)

// scripted answers every line it reads with the current reply.
type scripted struct {
	addr  string
	reply atomic.Value
}

func newScripted(t *testing.T, reply string) *scripted {
	s := &scripted{}
	s.reply.Store(reply)
	ln := difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		rd := bufio.NewReader(c)
		if b, err := rd.Peek(1); err == nil && b[0] == 0x16 {
			// A TLS hello: answer at once.
			fmt.Fprint(c, s.reply.Load().(string))
			io.Copy(io.Discard, rd)
			return
		}
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			// RESP arrays: answer once the command word arrives.
			if strings.HasPrefix(line, "*") || strings.HasPrefix(line, "$") {
				continue
			}
			fmt.Fprint(c, s.reply.Load().(string))
		}
	})
	s.addr = ln.Addr().String()
	return s
}

// TestTCPCheckLogsMatchReference compares the DOWN and UP lines of
// tcp-check scripts and option redis-check with the reference's.
func TestTCPCheckLogsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	tcpExpect, _ := check.NewExpect(check.ExpectString, false, "+PONG")
	cases := []struct {
		desc    string
		options string
		spec    check.Spec
	}{
		{"tcp-check send/expect", "\toption tcp-check\n\ttcp-check send PING\\r\\n\n\ttcp-check expect string +PONG\n",
			check.Spec{Kind: check.TCPCheck, Steps: []check.Step{{Kind: check.Send, Data: "PING\r\n"}, {Kind: check.ExpectStep, Expect: tcpExpect}}}},
		{"redis-check", "\toption redis-check\n", check.Redis()},
		{"ssl-hello-chk", "\toption ssl-hello-chk\n", check.SSLHello()},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			run := func(start func(addr string) func(string) string) []string {
				bad, good := "-ERR not ready\r\n", "+PONG\r\n"
				if strings.HasPrefix(tc.desc, "ssl") {
					bad, good = "HTTP/1.0 400 Bad\r\n\r\n", "\x16\x03\x01\x00\x02\x02\x00"
				}
				srv := newScripted(t, bad)
				wait := start(srv.addr)
				down := normCheck(wait("is DOWN"))
				srv.reply.Store(good)
				return []string{down, normCheck(wait("is UP"))}
			}
			want := run(func(addr string) func(string) string {
				ref := difftest.StartReferenceConfig(t, bin, "defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
					fmt.Sprintf("frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\n", difftest.FreePort(t))+
					"backend be\n"+tc.options+fmt.Sprintf("\tserver s1 %s check inter 100ms rise 1 fall 1\n", addr))
				return ref.WaitLog
			})
			got := run(func(addr string) func(string) string {
				sink := &logSink{}
				cfg := &Config{
					Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be"}},
					Backends: []*Backend{{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin}, TimeoutConnect: time.Second, Check: tc.spec,
						Servers: []*Server{{Name: "s1", Addr: netip.MustParseAddrPort(addr), Weight: 1, Check: true, Inter: 100 * time.Millisecond, Rise: 1, Fall: 1}}}},
				}
				startEngine(t, cfg, sink)
				return func(s string) string {
					_, msg, _ := strings.Cut(sink.wait(t, s), "] ")
					return msg
				}
			})
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("\nref:  %s\nours: %s", want[i], got[i])
				}
			}
		})
	}
}
