package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func testLoop(t *testing.T) *flowLoop {
	t.Helper()
	l := pickLoop()
	if l == nil {
		t.Fatal("no flow loop on this system")
	}
	return l
}

func TestDialRawRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close() // nothing listens there now
	_, err = testLoop(t).dialRaw(context.Background(), nil, addr, 5*time.Second, nil)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial to a closed port: %v, want connection refused", err)
	}
	if isTimeout(err) {
		t.Fatalf("a refusal reads as a timeout: %v", err)
	}
}

func TestDialRawTimeout(t *testing.T) {
	addr := netip.MustParseAddrPort(silentServer(t))
	start := time.Now()
	c, err := testLoop(t).dialRaw(context.Background(), nil, addr, 300*time.Millisecond, nil)
	if err == nil {
		c.Close()
		t.Skip("the kernel accepted past a full queue; no hanging connect to time out")
	}
	if !isTimeout(err) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("hanging connect: %v, want a timeout", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Fatalf("gave up after %v, before its timeout", time.Since(start))
	}
}

func TestDialRawContextEnds(t *testing.T) {
	addr := netip.MustParseAddrPort(silentServer(t))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	c, err := testLoop(t).dialRaw(ctx, nil, addr, time.Minute, nil)
	if err == nil {
		c.Close()
		t.Skip("the kernel accepted past a full queue; no hanging connect to give up")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("connect given up by its context: %v", err)
	}
}

// Data a server sends as soon as it accepts (a greeting: SMTP, MySQL,
// FTP) may come before the stream's flow adopts the connection; the
// flow must still read it.
func TestTunnelLoopServerSpeaksFirst(t *testing.T) {
	client, pcli := loopbackPair(t)
	psrv, server := rawPair(t)
	if _, err := server.Write([]byte("220 ready\r\n")); err != nil {
		t.Fatal(err)
	}
	// Wait until the loop has taken the edge: the flow adopts it later.
	for deadline := time.Now().Add(5 * time.Second); ; {
		psrv.loop.mu.Lock()
		seen := psrv.seen
		psrv.loop.mu.Unlock()
		if seen&unix.EPOLLIN != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the loop never saw the greeting arrive")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tunnelLoop(psrv.loop, pcli, psrv, tunnelTimeouts{client: 10 * time.Second, server: 10 * time.Second}, &liveConn{cli: pcli})
	}()
	client.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 64)
	n, err := client.Read(b)
	if err != nil || string(b[:n]) != "220 ready\r\n" {
		t.Fatalf("client read %q, %v; want the greeting", b[:n], err)
	}
	client.Close()
	server.Close()
	<-done
}

// waitingRead starts a read on c that finds nothing to read, and gives
// its error once it returns.
func waitingRead(c net.Conn) <-chan error {
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 10))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	return errc
}

func TestSockConnCloseEndsRead(t *testing.T) {
	c, _ := rawPair(t)
	errc := waitingRead(c)
	c.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on a closed connection: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read waiting for data survived the close")
	}
}

// A deadline set while a read waits applies to that read, as with net's
// connections.
func TestSockConnDeadlineWhileWaiting(t *testing.T) {
	c, _ := rawPair(t)
	errc := waitingRead(c)
	c.SetReadDeadline(time.Now().Add(-time.Second))
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
			t.Fatalf("read past its deadline: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a deadline set during the read did not end it")
	}
}

func TestSockConnAddresses(t *testing.T) {
	c, server := rawPair(t)
	if got, want := addrPort(c.LocalAddr()), addrPort(server.RemoteAddr()); got != want {
		t.Fatalf("local address %v, the server sees %v", got, want)
	}
	if got, want := addrPort(c.RemoteAddr()), addrPort(server.LocalAddr()); got != want {
		t.Fatalf("remote address %v, the server is %v", got, want)
	}
}

func TestDialRawIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("SKIP: no IPv6 loopback here: %v", err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("v6"))
			c.Close()
		}
	}()
	c, err := testLoop(t).dialRaw(context.Background(), nil, ln.Addr().(*net.TCPAddr).AddrPort(), 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 8)
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "v6" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	if !addrPort(c.LocalAddr()).Addr().Is6() {
		t.Fatalf("local address %v is not IPv6", c.LocalAddr())
	}
}
