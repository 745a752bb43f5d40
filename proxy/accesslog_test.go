package proxy

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
)

// tcplogMask hides what differs by nature: client port, date, and the
// timer values (only "-1" versus a measured value is kept).
var tcplogRE = regexp.MustCompile(`^([0-9.]+):\d+ \[[^\]]+\] (\S+ \S+) (-?\d+)/(-?\d+)/(-?\d+) (.*)$`)

func maskTCPLog(t *testing.T, line string) string {
	m := tcplogRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not a tcplog line: %q", line)
	}
	timer := func(s string) string {
		if s == "-1" {
			return "-1"
		}
		return "T"
	}
	return fmt.Sprintf("%s:PORT [DATE] %s %s/%s/%s %s", m[1], m[2], timer(m[3]), timer(m[4]), timer(m[5]), m[6])
}

// accessCase is one connection pattern with its expected termination.
type accessCase struct {
	desc string
	// run talks to the proxy at addr.
	run func(t *testing.T, addr string)
}

// TestTCPLogMatchesReference: for the same connections, our tcplog lines
// have the same fields as the reference's (normal end, client abort,
// client and server timeouts, refused server with retries).
func TestTCPLogMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	greetAndWait := func(t *testing.T, addr string) net.Conn {
		_, c, err := difftest.Dial(addr, "")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []accessCase{
		{"normal close", func(t *testing.T, addr string) {
			c := greetAndWait(t, addr)
			c.(*net.TCPConn).CloseWrite() // the greeter closes on EOF
			io.Copy(io.Discard, c)
			c.Close()
		}},
		{"client timeout", func(t *testing.T, addr string) {
			c := greetAndWait(t, addr)
			io.Copy(io.Discard, c) // until the proxy gives up
			c.Close()
		}},
		{"refused server, client times out", func(t *testing.T, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, c)
			c.Close()
		}},
		{"refused server", func(t *testing.T, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, c)
			c.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
			dead := deadAddr(t)
			backend, clientTO := "be", 200*time.Millisecond
			if strings.HasPrefix(tc.desc, "refused server") {
				// 50ms: expires during the first 100ms turn-around,
				// well away from any connection attempt.
				backend, clientTO = "dead", 50*time.Millisecond
			}
			if tc.desc == "refused server" {
				clientTO = 5 * time.Second
			}
			// Reference.
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, "defaults\n\tmode tcp\n\tlog stdout format raw local0\n\toption tcplog\n"+
				fmt.Sprintf("\ttimeout connect 100ms\n\ttimeout client %dms\n\ttimeout server 2s\n\tretries 2\n", clientTO.Milliseconds())+
				fmt.Sprintf("frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend %s\n", port, backend)+
				fmt.Sprintf("backend be\n\tserver s1 %s\nbackend dead\n\tserver s9 %s\n", be.Addr("s1"), dead))
			tc.run(t, fmt.Sprintf("127.0.0.1:%d", port))
			want := maskTCPLog(t, strings.TrimPrefix(ref.WaitLog(" fe "), ""))

			// Ours.
			var mu sync.Mutex
			var lines []string
			mk := func(name, srv, addr string) *Backend {
				return &Backend{Name: name, Balance: balance.Config{Algo: balance.RoundRobin}, Retries: 2,
					TimeoutConnect: 100 * time.Millisecond, TimeoutServer: 2 * time.Second,
					Servers: []*Server{{Name: srv, Addr: netip.MustParseAddrPort(addr), Weight: 1}}}
			}
			cfg := &Config{
				Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: backend, TimeoutClient: clientTO}},
				Backends:  []*Backend{mk("be", "s1", be.Addr("s1")), mk("dead", "s9", dead)},
			}
			e, err := New(cfg, Options{AccessLog: func(r *Record) {
				mu.Lock()
				lines = append(lines, TCPLog(r))
				mu.Unlock()
			}})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer e.Stop(time.Second)
			tc.run(t, feAddr(e, "fe"))
			waitFor(t, "our access log line", func() bool { mu.Lock(); defer mu.Unlock(); return len(lines) > 0 })
			got := maskTCPLog(t, lines[0])
			if got != want {
				t.Errorf("\nref:  %s\nours: %s", want, got)
			}
		})
	}
}
