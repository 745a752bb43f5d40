package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/tlshello"
)

// helloBytes captures a Go client's ClientHello for serverName.
func helloBytes(t *testing.T, serverName string) []byte {
	cli, srv := net.Pipe()
	go func() {
		c := tls.Client(cli, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Handshake()
		cli.Close()
	}()
	defer srv.Close()
	buf := make([]byte, 16384)
	var got []byte
	srv.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		n, err := srv.Read(buf)
		got = append(got, buf[:n]...)
		if _, e := tlshello.SNI(got); !errors.Is(e, tlshello.ErrNeedMore) || err != nil {
			return got
		}
	}
}

func routingConfig(t *testing.T, be *difftest.Backends) *Config {
	mk := func(name string) *Backend {
		return &Backend{Name: name, Balance: balance.Config{Algo: balance.RoundRobin}, TimeoutConnect: time.Second,
			Servers: []*Server{{Name: name, Addr: netip.MustParseAddrPort(be.Addr(name)), Weight: 1}}}
	}
	return &Config{
		Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "other", InspectDelay: 5 * time.Second,
			UseBackend: []UseBackend{
				{Backend: "example", Cond: SNIIs("example.com")},
				{Backend: "plain", Cond: func(s *Session) Verdict {
					b, v := s.ReqPayload(0, 4)
					if v != True {
						return v
					}
					if string(b) == "GET " {
						return True
					}
					return False
				}},
			}}},
		Backends: []*Backend{mk("example"), mk("other"), mk("plain")},
	}
}

// TestSNIRouting: TLS passthrough routed on the ClientHello's server name;
// the inspected bytes reach the server untouched.
func TestSNIRouting(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "example"}, {Name: "other"}, {Name: "plain"}})
	e := startEngine(t, routingConfig(t, be), nil)
	tests := []struct {
		desc string
		send []byte
		want string
	}{
		{"sni match", helloBytes(t, "EXAMPLE.com"), "example"},
		{"sni other", helloBytes(t, "www.example.net"), "other"},
		{"plain http", []byte("GET / HTTP/1.0\r\n\r\n"), "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := dialFE(t, e)
			// Send in two pieces so the engine must wait for the rest.
			c.Write(tt.send[:3])
			time.Sleep(10 * time.Millisecond)
			c.Write(tt.send[3:])
			if g := greeting(t, c); g != tt.want {
				t.Fatalf("routed to %q, want %q", g, tt.want)
			}
		})
	}
}

// TestInspectDelayExpires: with too few bytes the rules are evaluated when
// the inspect delay ends, and the default backend is used.
func TestInspectDelayExpires(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "example"}, {Name: "other"}, {Name: "plain"}})
	cfg := routingConfig(t, be)
	cfg.Frontends[0].InspectDelay = 50 * time.Millisecond
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	c.Write([]byte{0x16})
	if g := greeting(t, c); g != "other" {
		t.Fatalf("routed to %q, want the default backend", g)
	}
}

// TestTCPRequestRules: connection rules reject by source, content rules
// reject by payload; accepted connections pass.
func TestTCPRequestRules(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "example"}, {Name: "other"}, {Name: "plain"}})
	cfg := routingConfig(t, be)
	fe := cfg.Frontends[0]
	fe.ConnectionRules = []Rule{{Action: Reject, Cond: func(s *Session) Verdict {
		if s.Src.Addr() == netip.MustParseAddr("127.0.0.66") {
			return True
		}
		return False
	}}}
	fe.ContentRules = []Rule{
		{Action: Do, Do: func(s *Session) { s.SetVar("txn.seen", "1") }},
		{Action: Reject, Cond: func(s *Session) Verdict {
			b, v := s.ReqPayload(0, 3)
			if v != True {
				return v
			}
			if string(b) == "BAD" {
				return True
			}
			return False
		}},
	}
	e := startEngine(t, cfg, nil)
	expectClosed := func(src string, payload string) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", feAddr(e, "fe"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, payload)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("%s %q: connection not rejected", src, payload)
		}
	}
	expectClosed("127.0.0.66", "GET / HTTP/1.0\r\n\r\n")
	expectClosed("127.0.0.1", "BAD request")
	c := dialFE(t, e)
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	if g := greeting(t, c); g != "plain" {
		t.Fatalf("accepted connection routed to %q", g)
	}
	if d := e.FrontendCounters("fe").Denied.Load(); d != 2 {
		t.Fatalf("denied = %d, want 2", d)
	}
}
