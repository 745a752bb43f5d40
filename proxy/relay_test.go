package proxy

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"testing"
)

// loopbackPair returns the two ends of one loopback TCP connection.
func loopbackPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	c, s := pairVia(t, func(addr netip.AddrPort) (net.Conn, error) { return net.Dial("tcp", addr.String()) })
	return c.(*net.TCPConn), s
}

// pairVia is a connection made by dial to a loopback listener and the
// peer it reached there; both are closed when the test ends.
func pairVia(t *testing.T, dial func(netip.AddrPort) (net.Conn, error)) (net.Conn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); acc <- c }()
	c, err := dial(ln.Addr().(*net.TCPAddr).AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s.(*net.TCPConn)
}

func TestRelay(t *testing.T) {
	for _, tc := range []struct {
		desc        string
		size, limit int64
		wantN       int64
	}{
		{"small message, EOF", 3, 1 << 20, 3},
		{"more than a pipe, EOF", 1 << 20, 4 << 20, 1 << 20},
		{"stops at the limit", 300 << 10, 100 << 10, 100 << 10},
		{"empty stream", 0, 1 << 20, 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			srcW, src := loopbackPair(t) // we write srcW, relay reads src
			dst, dstR := loopbackPair(t) // relay writes dst, we read dstR
			data := make([]byte, tc.size)
			rand.Read(data)
			go func() { srcW.Write(data); srcW.CloseWrite() }()
			got := make(chan []byte, 1)
			go func() { b, _ := io.ReadAll(dstR); got <- b }()
			n, err := relay(dst, src, tc.limit)
			if err != nil || n != tc.wantN {
				t.Fatalf("relay = %d, %v; want %d, nil", n, err, tc.wantN)
			}
			dst.CloseWrite()
			if b := <-got; !bytes.Equal(b, data[:tc.wantN]) {
				t.Fatalf("peer received %d bytes, not the %d sent first", len(b), tc.wantN)
			}
		})
	}
}

func TestRelayWriteError(t *testing.T) {
	srcW, src := loopbackPair(t)
	dst, dstR := loopbackPair(t)
	dstR.SetLinger(0)
	dstR.Close() // the peer is gone: writing must fail, not hang
	go func() {
		buf := make([]byte, 64<<10)
		for range 64 {
			if _, err := srcW.Write(buf); err != nil {
				return
			}
		}
		srcW.CloseWrite()
	}()
	if _, err := relay(dst, src, 8<<20); err == nil {
		t.Fatal("copy to a reset peer reported no error")
	}
}
