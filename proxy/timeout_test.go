package proxy

import (
	"io"
	"net"
	"testing"
	"time"
)

// halfCloser accepts one connection, reads until EOF and then stays
// silent with its write side open (a server that never answers the FIN).
func halfCloser(t *testing.T) (string, <-chan struct{}) {
	ln, err := net.Listen("tcp", "127.1.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	gotEOF := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c)
		close(gotEOF)
		<-done // silent, write side open, until the test ends
	}()
	return ln.Addr().String(), gotEOF
}

// TestClientFin: once the client has half-closed, the connection ends
// after timeout client-fin although timeout client is long.
func TestClientFin(t *testing.T) {
	addr, gotEOF := halfCloser(t)
	cfg := simpleConfig(t, addr)
	cfg.Frontends[0].TimeoutClient = time.Hour
	cfg.Frontends[0].TimeoutClientFin = 100 * time.Millisecond
	cfg.Backends[0].TimeoutServer = time.Hour
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	c.(*net.TCPConn).CloseWrite()
	<-gotEOF // the FIN went through to the server
	expectEOF(t, c, "half-closed connection")
}

// TestServerFin: the mirror case, the server half-closed and the client
// stays silent.
func TestServerFin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.1.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.(*net.TCPConn).CloseWrite()
		<-done // read side open, never reads, until the test ends
	}()
	cfg := simpleConfig(t, ln.Addr().String())
	cfg.Frontends[0].TimeoutClient = time.Hour
	cfg.Backends[0].TimeoutServer = time.Hour
	cfg.Backends[0].TimeoutServerFin = 100 * time.Millisecond
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	// The server's FIN arrives as EOF; then the proxy must close the
	// client side's remaining half after server-fin: writes start failing.
	expectEOF(t, c, "server half-close")
	fc := e.FrontendCounters("fe")
	waitFor(t, "the session to end after server-fin", func() bool { return fc.Cur.Load() == 0 })
}

// TestTunnelTimeout: timeout tunnel replaces client and server timeouts
// once established, and a connection with traffic is not cut.
func TestTunnelTimeout(t *testing.T) {
	cfg := simpleConfig(t, echoServer(t))
	cfg.Frontends[0].TimeoutClient = 50 * time.Millisecond
	cfg.Backends[0].TimeoutServer = 50 * time.Millisecond
	cfg.Backends[0].TimeoutTunnel = time.Hour
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	buf := make([]byte, 4)
	for range 3 {
		time.Sleep(80 * time.Millisecond) // idle longer than client/server
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatalf("tunnel cut despite timeout tunnel: %v", err)
		}
	}
}
