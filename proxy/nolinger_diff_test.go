package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// closeTerms is the log format of the nolinger and independent-streams
// comparisons.
var closeTerms = []string{"L", "%ts"}

// closeConfig is a frontend and a backend in mode with their extra
// lines, timeouts client and server, logging closeTerms.
func closeConfig(mode, defaults, fe, be string, client, server time.Duration) func(port int, srv string) string {
	return func(port int, srv string) string {
		return fmt.Sprintf(`defaults
	mode %s
	log stdout format raw local0
	timeout connect 1s
	timeout client %dms
	timeout server %dms
	%s
frontend fe
	bind 127.0.0.1:%d
	log-format "%s"
	%s
	default_backend be
backend be
	%s
	server s1 %s
`, mode, client.Milliseconds(), server.Milliseconds(), defaults, port, strings.Join(closeTerms, fieldSep), fe, be, srv)
	}
}

// readEnd reads c to its end: what it read and how it ended (EOF, RST,
// or the error).
func readEnd(c net.Conn) (string, string) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	switch {
	case err == nil:
		return string(got), "EOF"
	case errors.Is(err, syscall.ECONNRESET):
		return string(got), "RST"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return string(got), "no end"
	}
	return string(got), err.Error()
}

// closeRun is a comparison's run against one proxy: it plays the client
// against addr with srv's connections and returns what both peers saw
// and the log lines.
type closeRun func(t *testing.T, addr string, srv *peerServer, lines func(n int) []string) []string

// peerServer hands the test each connection its listener accepts.
type peerServer struct {
	addr  string
	conns chan net.Conn
}

func newPeerServer(t *testing.T) *peerServer {
	s := &peerServer{conns: make(chan net.Conn, 1)}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		s.conns <- c
		<-done // the test owns c until it ends
	})
	s.addr = ln.Addr().String()
	return s
}

func (s *peerServer) accept(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the server got no connection")
	}
	return nil
}

// compareCloseRuns runs play against the reference and ours with cfg
// and compares what the peers saw and the log lines.
func compareCloseRuns(t *testing.T, cfg func(port int, srv string) string, play closeRun) {
	t.Helper()
	bin := reftest.HAProxy(t)
	refSrv := newPeerServer(t)
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port, refSrv.addr))
	refLog := func(n int) []string { return refLines(ref, "L^", n) }
	refSaw := play(t, fmt.Sprintf("127.0.0.1:%d", port), refSrv, refLog)
	ourSrv := newPeerServer(t)
	e, ours := startOurs(t, cfg(difftest.FreePort(t), ourSrv.addr), plainLine)
	ourSaw := play(t, feAddr(e, "fe"), ourSrv, func(n int) []string {
		var got []string
		waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= n })
		return got
	})
	if strings.Join(refSaw, "|") != strings.Join(ourSaw, "|") {
		t.Errorf("the peers saw\nref  %q\nours %q", refSaw, ourSaw)
	}
	compareLines(t, closeTerms, refLog(1), ours())
}

func dialProxy(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// TestNoLingerMatchesReference: option nolinger in a frontend makes the
// close of the client connection a reset (seen by a client that
// half-closed first: the proxy sends no FIN before the close then), in
// a backend it passes a client's half-close on as a reset of the server
// (tcp mode), in tcp and http mode; `no option nolinger` after defaults
// turning it on restores the FIN. A client the proxy finishes answering
// while it still talks reads the FIN first in every case.
func TestNoLingerMatchesReference(t *testing.T) {
	halfClose := func(mode string) closeRun {
		return func(t *testing.T, addr string, srv *peerServer, lines func(n int) []string) []string {
			c := dialProxy(t, addr)
			req := "hello"
			if mode == "http" {
				req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			}
			io.WriteString(c, req)
			s := srv.accept(t)
			defer s.Close()
			buf := make([]byte, 512)
			s.SetReadDeadline(time.Now().Add(10 * time.Second))
			s.Read(buf) // the request
			c.CloseWrite()
			saw := []string{}
			if mode == "tcp" {
				// The FIN (or the reset) reaches the server.
				_, end := readEnd(s)
				saw = append(saw, "server: "+end)
			}
			io.WriteString(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld")
			time.Sleep(100 * time.Millisecond) // apart from the close
			s.Close()
			got, end := readEnd(c)
			if i := strings.Index(got, "world"); i >= 0 {
				got = "world"
			}
			saw = append(saw, fmt.Sprintf("client: %q %s", got, end))
			lines(1)
			return saw
		}
	}
	talking := func(t *testing.T, addr string, srv *peerServer, lines func(n int) []string) []string {
		c := dialProxy(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		s := srv.accept(t)
		defer s.Close()
		s.SetReadDeadline(time.Now().Add(10 * time.Second))
		s.Read(make([]byte, 512))
		io.WriteString(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld")
		got, end := readEnd(c)
		lines(1)
		return []string{fmt.Sprintf("client: %d bytes %s", len(got), end)}
	}
	for _, tc := range []struct {
		desc, mode, defaults, fe, be string
		play                         closeRun
	}{
		{"tcp, without", "tcp", "", "", "", halfClose("tcp")},
		{"tcp, frontend", "tcp", "", "option nolinger", "", halfClose("tcp")},
		{"tcp, backend", "tcp", "", "", "option nolinger", halfClose("tcp")},
		{"tcp, defaults, no option", "tcp", "option nolinger", "no option nolinger", "no option nolinger", halfClose("tcp")},
		{"http, without", "http", "", "", "", halfClose("http")},
		{"http, frontend", "http", "", "option nolinger", "", halfClose("http")},
		{"http, defaults, no option in frontend", "http", "option nolinger", "no option nolinger", "", halfClose("http")},
		{"http, frontend, client talking", "http", "", "option nolinger", "", talking},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			compareCloseRuns(t, closeConfig(tc.mode, tc.defaults, tc.fe, tc.be, 5*time.Second, 5*time.Second), tc.play)
		})
	}
}
