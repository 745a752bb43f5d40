package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// tunnelBed is a client, a server and the proxy's two connections between
// them, with a tunnel running over them by one of the two implementations.
type tunnelBed struct {
	client, server *net.TCPConn // the peers' ends
	lc             *liveConn
	result         chan tunnelResult
}

type tunnelResult struct {
	in, out int64
	term    [2]byte
}

// A tunnelImpl runs tunnel by one of its implementations, which must
// behave the same: over a flowLoop or with goroutines, with the proxy's
// server connection made by net or by a loop (rawServer: dialRaw).
type tunnelImpl struct {
	name      string
	rawServer bool
	run       func(cli *net.TCPConn, srv net.Conn, t tunnelTimeouts, lc *liveConn) (int64, int64, [2]byte)
}

func runLoop(cli *net.TCPConn, srv net.Conn, t tunnelTimeouts, lc *liveConn) (int64, int64, [2]byte) {
	l := pickLoop()
	if sc, ok := srv.(*sockConn); ok {
		l = sc.loop
	}
	if l == nil {
		panic("no flow loop on this system")
	}
	in, out, term, ok := tunnelLoop(l, cli, srv, t, lc)
	if !ok {
		panic("flow not registered")
	}
	return in, out, term
}

func runPumps(cli *net.TCPConn, srv net.Conn, t tunnelTimeouts, lc *liveConn) (int64, int64, [2]byte) {
	lc.mu.Lock()
	lc.srv = srv
	lc.mu.Unlock()
	in, out, term := tunnelPumps(cli, srv, t, lc.contStats())
	cli.Close() // as tunnel does
	srv.Close()
	return in, out, term
}

var tunnelImpls = []tunnelImpl{
	{"loop", false, runLoop},
	{"pumps", false, runPumps},
	{"loop, raw server", true, runLoop},
	{"pumps, raw server", true, runPumps},
}

func startTunnel(t *testing.T, impl tunnelImpl, to tunnelTimeouts) *tunnelBed {
	t.Helper()
	return startTunnelWith(t, impl, to, func(*liveConn) {})
}

// startTunnelWith is startTunnel with setup applied to the connection
// before the tunnel starts.
func startTunnelWith(t *testing.T, impl tunnelImpl, to tunnelTimeouts, setup func(*liveConn)) *tunnelBed {
	t.Helper()
	client, pcli := loopbackPair(t)
	var psrv net.Conn
	var server *net.TCPConn
	if impl.rawServer {
		psrv, server = rawPair(t)
	} else {
		psrv, server = loopbackPair(t)
	}
	b := &tunnelBed{client: client, server: server, lc: &liveConn{cli: pcli}, result: make(chan tunnelResult, 1)}
	b.lc.srv = psrv
	setup(b.lc)
	go func() {
		in, out, term := impl.run(pcli, psrv, to, b.lc)
		b.result <- tunnelResult{in, out, term}
	}()
	return b
}

// rawPair is a connection made by a flowLoop's dialRaw and the peer it
// reached.
func rawPair(t *testing.T) (*sockConn, *net.TCPConn) {
	t.Helper()
	l := pickLoop()
	if l == nil {
		t.Fatal("no flow loop on this system")
	}
	c, s := pairVia(t, func(addr netip.AddrPort) (net.Conn, error) {
		return l.dialRaw(context.Background(), nil, addr, 5*time.Second, nil)
	})
	return c.(*sockConn), s
}

func (b *tunnelBed) wait(t *testing.T) tunnelResult {
	t.Helper()
	select {
	case r := <-b.result:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("tunnel did not end")
	}
	return tunnelResult{}
}

// readFull reads exactly n bytes from c.
func readFull(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

func TestTunnelExchanges(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			b := startTunnel(t, impl, tunnelTimeouts{client: 10 * time.Second, server: 10 * time.Second})
			var in, out int64
			for i := range 200 {
				req := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i%97)
				b.client.Write(req)
				if got := readFull(t, b.server, len(req)); !bytes.Equal(got, req) {
					t.Fatalf("exchange %d: server got %q, want %q", i, got, req)
				}
				resp := bytes.Repeat([]byte{'R'}, 1+i*37%3000)
				b.server.Write(resp)
				readFull(t, b.client, len(resp))
				in, out = in+int64(len(req)), out+int64(len(resp))
			}
			// The client half-closes; the server still answers, then closes.
			b.client.CloseWrite()
			b.server.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := b.server.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("server read after the client's FIN = %d, %v; want EOF", n, err)
			}
			b.server.Write([]byte("bye"))
			b.server.CloseWrite()
			if got, _ := io.ReadAll(b.client); string(got) != "bye" {
				t.Fatalf("client got %q after the server's FIN, want bye", got)
			}
			r := b.wait(t)
			if r.in != in || r.out != out+3 || r.term != [2]byte{termNone, stateNone} {
				t.Fatalf("tunnel = in %d out %d term %q; want %d %d \"--\"", r.in, r.out, r.term[:], in, out+3)
			}
		})
	}
}

// Data and FIN arriving together must not leave the FIN unseen: a short
// read proves the socket drained only when no hang-up was flagged.
func TestTunnelFinWithData(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			for i := range 20 {
				b := startTunnel(t, impl, tunnelTimeouts{client: 30 * time.Second, server: 30 * time.Second})
				msg := []byte("last words")
				b.client.Write(msg)
				b.client.CloseWrite()
				b.server.SetReadDeadline(time.Now().Add(10 * time.Second))
				got, err := io.ReadAll(b.server)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("round %d: server got %q, %v; want %q then EOF", i, got, err, msg)
				}
				b.server.Close()
				r := b.wait(t)
				if r.in != int64(len(msg)) {
					t.Fatalf("round %d: in = %d, want %d", i, r.in, len(msg))
				}
			}
		})
	}
}

func TestTunnelBulkBothWays(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			b := startTunnel(t, impl, tunnelTimeouts{client: 30 * time.Second, server: 30 * time.Second})
			up, down := make([]byte, 6<<20+123), make([]byte, 5<<20+7)
			rand.Read(up)
			rand.Read(down)
			go func() { b.client.Write(up); b.client.CloseWrite() }()
			go func() { b.server.Write(down); b.server.CloseWrite() }()
			gotUp := make(chan []byte, 1)
			go func() {
				// A slow reader at first, so the proxy meets a full socket.
				time.Sleep(100 * time.Millisecond)
				d, _ := io.ReadAll(b.server)
				gotUp <- d
			}()
			gotDown, _ := io.ReadAll(b.client)
			if !bytes.Equal(gotDown, down) {
				t.Fatalf("client got %d bytes, not the server's %d", len(gotDown), len(down))
			}
			if d := <-gotUp; !bytes.Equal(d, up) {
				t.Fatalf("server got %d bytes, not the client's %d", len(d), len(up))
			}
			r := b.wait(t)
			if r.in != int64(len(up)) || r.out != int64(len(down)) || r.term[0] != termNone {
				t.Fatalf("tunnel = in %d out %d term %q; want %d %d and no failure", r.in, r.out, r.term[:], len(up), len(down))
			}
		})
	}
}

// TestTunnelIdleTimeouts: a side idle past its timeout ends its own
// direction, passed on as a FIN to the other side, and the tunnel ends
// once the other side is idle past its own timeout too; the first
// timeout is the termination state.
func TestTunnelIdleTimeouts(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			for _, tc := range []struct {
				desc string
				to   tunnelTimeouts
				want [2]byte
			}{
				{"client timeout", tunnelTimeouts{client: 100 * time.Millisecond, server: 400 * time.Millisecond}, [2]byte{termClientTimeout, stateData}},
				{"server timeout", tunnelTimeouts{client: 400 * time.Millisecond, server: 100 * time.Millisecond}, [2]byte{termServerTimeout, stateData}},
			} {
				t.Run(tc.desc, func(t *testing.T) {
					b := startTunnel(t, impl, tc.to)
					b.client.Write([]byte("ping"))
					readFull(t, b.server, 4)
					first, other := b.server, b.client // the peer the first timeout's FIN goes to
					if tc.to.server < tc.to.client {
						first, other = b.client, b.server
					}
					expectPeerEOF(t, first)
					// The other direction goes on.
					first.Write([]byte("pong"))
					readFull(t, other, 4)
					expectPeerEOF(t, other)
					if r := b.wait(t); r.term != tc.want || r.in+r.out != 8 {
						t.Fatalf("tunnel = in %d out %d term %q; want 8 bytes moved and %q", r.in, r.out, r.term[:], tc.want[:])
					}
				})
			}
		})
	}
}

// expectPeerEOF reads c until its EOF.
func expectPeerEOF(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read = %d, %v; want EOF", n, err)
	}
}

func TestTunnelServerFinTimeout(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			b := startTunnel(t, impl, tunnelTimeouts{client: 10 * time.Second, server: 10 * time.Second, serverFin: 150 * time.Millisecond})
			b.server.CloseWrite() // the server is done; the client lingers
			if n, err := b.client.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("client read = %d, %v; want EOF", n, err)
			}
			if r := b.wait(t); r.term != [2]byte{termClientTimeout, stateData} {
				t.Fatalf("term = %q, want cD (server-fin bounds the client's idle time)", r.term[:])
			}
		})
	}
}

func TestTunnelServerReset(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			b := startTunnel(t, impl, tunnelTimeouts{client: 10 * time.Second, server: 10 * time.Second})
			b.server.SetLinger(0)
			b.server.Close()
			if r := b.wait(t); r.term != [2]byte{termServerAbort, stateData} {
				t.Fatalf("term = %q, want SD", r.term[:])
			}
		})
	}
}

// An administrative abort (shutdown sessions, hard stop) ends the loop's
// flow before its descriptors close.
func TestTunnelLoopAbort(t *testing.T) {
	b := startTunnel(t, tunnelImpls[0], tunnelTimeouts{client: 10 * time.Second, server: 10 * time.Second})
	b.client.Write([]byte("x"))
	readFull(t, b.server, 1)
	b.lc.abort()
	if r := b.wait(t); r.term != [2]byte{'K', stateData} {
		t.Fatalf("term = %q, want KD", r.term[:])
	}
	b.client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := b.client.Read(make([]byte, 1)); err == nil {
		t.Fatal("client connection still open after the abort")
	}
}

// TestTunnelStuckSideTimeout: a client that neither sends nor reads what
// the server streams to it ends the whole tunnel at its timeout (what is
// sent to it piles up), not only its own direction.
func TestTunnelStuckSideTimeout(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			b := startTunnel(t, impl, tunnelTimeouts{client: 200 * time.Millisecond, server: time.Minute})
			go func() {
				chunk := make([]byte, 64<<10)
				for {
					if _, err := b.server.Write(chunk); err != nil {
						return
					}
				}
			}()
			if r := b.wait(t); r.term != [2]byte{termClientTimeout, stateData} {
				t.Fatalf("term = %q, want cD", r.term[:])
			}
		})
	}
}
