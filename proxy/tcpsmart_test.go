package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/proxy/internal/difftest"

	"golang.org/x/sys/unix"
)

// segmentsIn is the count of TCP segments c received (TCP_INFO).
func segmentsIn(t *testing.T, c net.Conn) uint32 { return tcpInfo(t, c).Segs_in }

// smartEngine runs an http listen section with the extra line and one
// server, and returns a connection to it.
func smartEngine(t *testing.T, extra, server string) net.Conn {
	t.Helper()
	cfg, diags := adapt(t, fmt.Sprintf(`defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	%s
	server s1 %s
`, difftest.FreePort(t), extra, server))
	if cfg == nil {
		t.Fatalf("config refused: %v", diags)
	}
	c := dialFE(t, startEngine(t, cfg, nil))
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// TestTCPSmartAccept: on an http frontend (option tcp-smart-accept, the
// default there) the client's request is acknowledged by the answer
// itself, not by a segment of its own first; `no option
// tcp-smart-accept` gives it one, as a tcp frontend does by default.
func TestTCPSmartAccept(t *testing.T) {
	be := startHTTPBackend(t, "s1")
	segments := func(option string) uint32 {
		c := smartEngine(t, option, be.addr().String())
		defer c.Close()
		before := segmentsIn(t, c)
		if resp, _ := httpRoundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return segmentsIn(t, c) - before
	}
	if smart, plain := segments(""), segments("no option tcp-smart-accept"); smart != 1 || plain != 2 {
		t.Fatalf("segments to the client per request: %d with tcp-smart-accept, %d without; want 1 and 2", smart, plain)
	}
}

// TestTCPSmartConnect: with option tcp-smart-connect the last ACK of the
// server handshake leaves with the request, so the server receives one
// segment fewer (SYN, then ACK and request together).
func TestTCPSmartConnect(t *testing.T) {
	// The server answers with the segments its socket has received.
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		rd := bufio.NewReader(c)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		n := strconv.Itoa(int(segmentsIn(t, c)))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(n))+"\r\nConnection: close\r\n\r\n"+n)
	})
	segments := func(option, serverOpts string) string {
		c := smartEngine(t, option, ln.Addr().String()+serverOpts)
		defer c.Close()
		_, body := httpRoundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		return strings.TrimSpace(body)
	}
	if smart, plain := segments("option tcp-smart-connect", ""), segments("", ""); smart != "2" || plain != "3" {
		t.Fatalf("segments at the server by the request: %s with tcp-smart-connect, %s without; want 2 and 3", smart, plain)
	}
	// A server with a source address sets socket options of its own:
	// tcp-smart-connect's come with them.
	if smart := segments("option tcp-smart-connect", " source 127.0.0.1"); smart != "2" {
		t.Fatalf("segments at the server by the request with a source address: %s, want 2", smart)
	}
}

// TestListenersArePlainTCP: listening sockets are TCP, as the
// reference's, never MPTCP (which Go would pick where the kernel has it).
func TestListenersArePlainTCP(t *testing.T) {
	port := uint16(difftest.FreePort(t))
	lns, err := openSockets(Bind{Addr: ListenAddr{Family: FamilyIPv4, Host: loopback(t).Addr.Host, PortLow: port, PortHigh: port}}, 0)
	if err != nil || len(lns) != 1 {
		t.Fatalf("%d listeners, %v", len(lns), err)
	}
	for _, ln := range lns {
		defer ln.Close()
		rc, err := ln.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var proto int
		rc.Control(func(fd uintptr) { proto, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL) })
		if proto != unix.IPPROTO_TCP {
			t.Fatalf("listener protocol %d, want TCP (%d)", proto, unix.IPPROTO_TCP)
		}
	}
}
