package proxy

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"

	"golang.org/x/sys/unix"
)

// abortTerms is the log format of the abortonclose comparison.
var abortTerms = []string{"L", "%b", "%s", "%Tw", "%Tc", "%ST", "%B", "%ts", "%sq", "%bq", "%r"}

// TestAbortOnCloseMatchesReference: a request queued behind a full
// server whose client closes its side is given up at once with option
// abortonclose (logged CQ, never sent to the server), and still served
// without it; in http and in tcp mode, as the reference does.
func TestAbortOnCloseMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, tc := range []struct {
		desc, mode, option string
	}{
		{"http, abortonclose", "http", "option abortonclose"},
		{"http, without", "http", ""},
		{"tcp, abortonclose", "tcp", "option abortonclose"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := abortConfig(tc.mode, tc.option+"\n\ttimeout queue 5s", "maxconn 1")
			refBE := newHeldBackend(t)
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port, refBE.addr))
			refGot := playAbort(t, fmt.Sprintf("127.0.0.1:%d", port), refBE, tc.option != "", func(n int) []string {
				return refLines(ref, "L^", n)
			})
			ourBE := newHeldBackend(t)
			e, ours := startOurs(t, cfg(difftest.FreePort(t), ourBE.addr), plainLine)
			ourGot := playAbort(t, feAddr(e, "fe"), ourBE, tc.option != "", func(n int) []string {
				var got []string
				waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= n })
				return got
			})
			if refGot.served != ourGot.served {
				t.Errorf("the server got %q from the reference, %q from ours", refGot.served, ourGot.served)
			}
			if refGot.answer != ourGot.answer {
				t.Errorf("the closing client read %q from the reference, %q from ours", refGot.answer, ourGot.answer)
			}
			terms := abortTerms
			if tc.mode == "tcp" {
				terms = terms[:len(terms)-1]
			}
			compareLines(t, terms, refGot.lines, ourGot.lines)
		})
	}
}

// abortConfig is the configuration of the abortonclose comparisons: a
// listen section in mode with the extra lines and one server (with
// serverOpts), logging abortTerms (without the request line in tcp
// mode).
func abortConfig(mode, extra, serverOpts string) func(port int, be string) string {
	format := strings.Join(abortTerms, fieldSep)
	if mode == "tcp" {
		format = strings.TrimSuffix(format, fieldSep+"%r")
	}
	return func(port int, be string) string {
		return fmt.Sprintf(`defaults
	mode %s
	log stdout format raw local0
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	log-format "%s"
	%s
	server s1 %s %s
`, mode, port, format, extra, be, serverOpts)
	}
}

// heldBackend answers each connection's request once release is closed
// (the first one) or at once (the others), and records what it got.
type heldBackend struct {
	addr    string
	release chan struct{}
	got     chan string
}

func newHeldBackend(t *testing.T) *heldBackend {
	b := &heldBackend{release: make(chan struct{}), got: make(chan string, 4)}
	first := true
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		b.got <- line
		if first {
			first = false
			<-b.release
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	})
	b.addr = ln.Addr().String()
	return b
}

// abortResult is what playAbort saw.
type abortResult struct {
	served string // the request lines the server got, in order
	answer string // what the client that closed its side read
	lines  []string
}

// playAbort holds the server with a first request, queues a second whose
// client then closes its side, and releases the first once the second
// was logged (abortonclose) or after a while (without: it is then
// served).
func playAbort(t *testing.T, addr string, be *heldBackend, abort bool, lines func(n int) []string) abortResult {
	t.Helper()
	dial := func(req string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, req)
		return c
	}
	a := dial("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
	defer a.Close()
	var res abortResult
	res.served = <-be.got
	b := dial("GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
	defer b.Close()
	time.Sleep(200 * time.Millisecond) // queued
	b.(*net.TCPConn).CloseWrite()
	if abort {
		lines(1)
	}
	close(be.release)
	readAnswer(a)
	a.Close() // a tcp-mode session ends (and is logged) with its client
	res.answer = readAnswer(b)
	if !abort {
		res.served += "," + <-be.got
	}
	res.lines = lines(2)
	return res
}

// readAnswer reads c until its one answer ("...ok") is whole or c ends.
func readAnswer(c net.Conn) string {
	var got []byte
	buf := make([]byte, 4096)
	for !strings.HasSuffix(string(got), "\r\n\r\nok") {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(got)
}

// TestAbortOnCloseConnectMatchesReference: with option abortonclose, a
// request whose client closes its side while the server connection is
// still being established is given up then (logged CC, nothing
// answered), as the reference does.
func TestAbortOnCloseConnectMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	cfg := abortConfig("http", "option abortonclose", "")
	play := func(addr string, lines func(n int) []string) (string, []string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(200 * time.Millisecond) // connecting
		c.(*net.TCPConn).CloseWrite()
		answer := readAnswer(c)
		return answer, lines(1)
	}
	be := silentServer(t)
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port, be))
	refAnswer, refGot := play(fmt.Sprintf("127.0.0.1:%d", port), func(n int) []string { return refLines(ref, "L^", n) })
	e, ours := startOurs(t, cfg(difftest.FreePort(t), be), plainLine)
	ourAnswer, ourGot := play(feAddr(e, "fe"), func(n int) []string {
		var got []string
		waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= n })
		return got
	})
	if refAnswer != ourAnswer {
		t.Errorf("the client read %q from the reference, %q from ours", refAnswer, ourAnswer)
	}
	compareLines(t, abortTerms, refGot, ourGot)
}

// silentServer is the address of a listener whose connections never
// complete: its accept queue is full, so the kernel drops their SYNs.
func silentServer(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
	// Fill the queue (backlog 0 holds one) with connections never
	// accepted.
	for range 2 {
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		if c, err := d.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return addr
}

// TestAbortOnCloseResponseWaitMatchesReference: with option abortonclose,
// a client closing its side while the server has not answered yet (its
// request sent with the close right behind, or the close coming later)
// gets the reference's 400 and the request is logged CH.
func TestAbortOnCloseResponseWaitMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, pause := range []time.Duration{0, 200 * time.Millisecond} {
		t.Run(fmt.Sprintf("close after %v", pause), func(t *testing.T) {
			cfg := abortConfig("http", "option abortonclose", "")
			play := func(addr string, be *heldBackend, lines func(n int) []string) (string, []string) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "GET /w HTTP/1.1\r\nHost: x\r\n\r\n")
				<-be.got // the server has it, and holds its answer
				time.Sleep(pause)
				c.(*net.TCPConn).CloseWrite()
				answer, _ := io.ReadAll(c)
				close(be.release)
				status, _, _ := strings.Cut(string(answer), "\r\n")
				return status, lines(1)
			}
			refBE := newHeldBackend(t)
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port, refBE.addr))
			refStatus, refGot := play(fmt.Sprintf("127.0.0.1:%d", port), refBE, func(n int) []string { return refLines(ref, "L^", n) })
			ourBE := newHeldBackend(t)
			e, ours := startOurs(t, cfg(difftest.FreePort(t), ourBE.addr), plainLine)
			ourStatus, ourGot := play(feAddr(e, "fe"), ourBE, func(n int) []string {
				var got []string
				waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= n })
				return got
			})
			if refStatus != ourStatus {
				t.Errorf("the client got %q from the reference, %q from ours", refStatus, ourStatus)
			}
			compareLines(t, abortTerms, refGot, ourGot)
		})
	}
}
