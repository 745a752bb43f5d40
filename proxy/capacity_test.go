package proxy

import (
	"bufio"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/proxyproto"
)

func greeterConfig(t *testing.T, be *difftest.Backends, names ...string) *Config {
	b := &Backend{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin}, Retries: 3,
		TimeoutConnect: 5 * time.Second, TimeoutQueue: 10 * time.Second}
	for _, n := range names {
		b.Servers = append(b.Servers, &Server{Name: n, Addr: netip.MustParseAddrPort(be.Addr(n)), Weight: 1})
	}
	return &Config{Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be"}}, Backends: []*Backend{b}}
}

// greeting reads the backend's greeting line, or fails.
func greeting(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no greeting: %v", err)
	}
	return strings.TrimSpace(line)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// queued returns the lengths of the backend queue and of each server queue.
func queued(e *Engine) (backend int, servers []int) {
	b := e.rt.Load().backends["be"]
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.servers {
		servers = append(servers, len(s.queue))
	}
	return len(b.queue), servers
}

// TestBackendQueue: with roundrobin and every server full, HAProxy queues
// in the backend; the connection gets the first slot that frees.
func TestBackendQueue(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	cfg.Backends[0].Servers[0].MaxConn = 1
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	greeting(t, c1)
	c2 := dialFE(t, e)
	waitFor(t, "a connection in the backend queue", func() bool { n, _ := queued(e); return n == 1 })
	c1.Close()
	if g := greeting(t, c2); g != "s1" {
		t.Fatalf("queued connection got %q", g)
	}
}

// TestServerQueue: a hash algorithm picks a full server; the connection
// waits in that server's queue and gets it when the first leaves.
func TestServerQueue(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	cfg.Backends[0].Balance.Algo = balance.Source
	cfg.Backends[0].Servers[0].MaxConn = 1
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	greeting(t, c1)
	c2 := dialFE(t, e)
	waitFor(t, "a connection in the server queue", func() bool { _, s := queued(e); return s[0] == 1 })
	c1.Close()
	if g := greeting(t, c2); g != "s1" {
		t.Fatalf("queued connection got %q", g)
	}
}

// TestQueueTimeout: a queued connection is closed after timeout queue.
func TestQueueTimeout(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	cfg.Backends[0].Servers[0].MaxConn = 1
	cfg.Backends[0].TimeoutQueue = 50 * time.Millisecond
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	greeting(t, c1)
	c2 := dialFE(t, e)
	expectEOF(t, c2, "queued connection")
	if n := e.BackendCounters("be").QueueTimeouts.Load(); n != 1 {
		t.Fatalf("queue timeouts = %d, want 1", n)
	}
}

// TestMaxQueue: beyond maxqueue, connections are refused at once.
func TestMaxQueue(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	cfg.Backends[0].Balance.Algo = balance.Source
	cfg.Backends[0].Servers[0].MaxConn = 1
	cfg.Backends[0].Servers[0].MaxQueue = 1
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	greeting(t, c1)
	c2 := dialFE(t, e)
	waitFor(t, "a connection in the server queue", func() bool { _, s := queued(e); return s[0] == 1 })
	c3 := dialFE(t, e)
	expectEOF(t, c3, "third connection")
	c1.Close()
	if g := greeting(t, c2); g != "s1" {
		t.Fatalf("queued connection got %q", g)
	}
}

// TestFrontendMaxConn: at the frontend's maxconn the listener stops
// accepting; the waiting connection is served once a slot frees.
func TestFrontendMaxConn(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	cfg.Frontends[0].MaxConn = 1
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	greeting(t, c1)
	c2, err := net.Dial("tcp", feAddr(e, "fe")) // completes in the kernel backlog
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	fc := e.FrontendCounters("fe")
	if cur := fc.Cur.Load(); cur != 1 {
		t.Fatalf("frontend sessions = %d, want 1", cur)
	}
	c1.Close()
	if g := greeting(t, c2); g != "s1" {
		t.Fatalf("second connection got %q", g)
	}
	if tot := fc.Total.Load(); tot != 2 {
		t.Fatalf("total sessions = %d, want 2", tot)
	}
}

// TestProxyProtocol: accept-proxy on the bind takes the client address from
// the header, and send-proxy-v2 / send-proxy pass it on to the server.
func TestProxyProtocol(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		got := make(chan proxyproto.Header, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			buf := make([]byte, 0, 256)
			for {
				n, err := c.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if h, _, err := proxyproto.Parse(buf); err == nil {
					got <- h
					return
				}
				if err != nil {
					return
				}
			}
		}()
		bind := loopback(t)
		bind.AcceptProxy = true
		cfg := &Config{
			Frontends: []*Frontend{{Name: "fe", Binds: []Bind{bind}, DefaultBackend: "be"}},
			Backends: []*Backend{{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin}, TimeoutConnect: time.Second,
				Servers: []*Server{{Name: "s1", Addr: netip.MustParseAddrPort(ln.Addr().String()), Weight: 1, SendProxy: !v2, SendProxyV2: v2}}}},
		}
		e := startEngine(t, cfg, nil)
		c := dialFE(t, e)
		src, dst := netip.MustParseAddrPort("192.0.2.7:4242"), netip.MustParseAddrPort("198.51.100.9:443")
		c.Write(proxyproto.AppendV1(nil, src, dst))
		select {
		case h := <-got:
			if h.Src != src || h.Dst != dst || (h.Version == 2) != v2 {
				t.Fatalf("v2=%v: server saw %+v", v2, h)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("v2=%v: server got no PROXY header", v2)
		}
		c.Close()
	}
}

// TestGlobalMaxConn: the process-wide limit holds across frontends.
func TestGlobalMaxConn(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	cfg.MaxConn = 1
	cfg.Frontends = append(cfg.Frontends, &Frontend{Name: "fe2", Binds: []Bind{loopback(t)}, DefaultBackend: "be"})
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	greeting(t, c1)
	c2, err := net.Dial("tcp", feAddr(e, "fe2"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if cur := e.FrontendCounters("fe2").Cur.Load(); cur != 0 {
		t.Fatalf("fe2 accepted beyond the global maxconn")
	}
	c1.Close()
	if g := greeting(t, c2); g != "s1" {
		t.Fatalf("second connection got %q", g)
	}
}
