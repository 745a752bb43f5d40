package proxy

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// rawTCPPair is a rawTCP and the peer at its other end.
func rawTCPPair(t *testing.T) (*rawTCP, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return fastConn(sc).(*rawTCP), peer
}

// readWithin reads c once in the background and returns what it got,
// failing the test when the read has not ended by limit (a read that
// waits for a deadline it should not have).
func readWithin(t *testing.T, read func([]byte) (int, error), limit time.Duration) (string, error) {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		b := make([]byte, 16)
		n, err := read(b)
		done <- result{string(b[:n]), err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-time.After(limit):
		t.Fatalf("the read had not ended after %v", limit)
	}
	return "", nil
}

// TestRawTCPDeadlineMovedLater: a read deadline moved later (as each
// request of a kept-alive connection does) holds from the time set last:
// the read goes on past the earlier one, which the netpoller may still
// hold, and ends at the later one.
func TestRawTCPDeadlineMovedLater(t *testing.T) {
	for _, read := range []struct {
		name string
		call func(c *rawTCP) func([]byte) (int, error)
	}{
		{"Read", func(c *rawTCP) func([]byte) (int, error) { return c.Read }},
		{"SendRecv", func(c *rawTCP) func([]byte) (int, error) {
			return func(b []byte) (int, error) { return c.SendRecv([]byte("q"), b) }
		}},
	} {
		t.Run(read.name, func(t *testing.T) {
			c, peer := rawTCPPair(t)
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			c.SetReadDeadline(time.Now().Add(time.Hour))
			go func() {
				time.Sleep(300 * time.Millisecond) // well past the first deadline
				peer.Write([]byte("late"))
			}()
			got, err := readWithin(t, read.call(c), 10*time.Second)
			if err != nil || got != "late" {
				t.Fatalf("read %q, %v; want the bytes sent after the first deadline", got, err)
			}

			// Moved later again, and that one passes: the read ends
			// with a timeout, not before the deadline set last.
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			last := time.Now().Add(200 * time.Millisecond)
			c.SetReadDeadline(last)
			_, err = readWithin(t, read.call(c), 10*time.Second)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read ended with %v, want the deadline passed", err)
			}
			if early := last.Sub(time.Now()); early > 0 {
				t.Errorf("the read timed out %v before the deadline set last", early)
			}
		})
	}
}

// TestRawTCPDeadlineCleared: a cleared deadline no longer ends reads.
func TestRawTCPDeadlineCleared(t *testing.T) {
	c, peer := rawTCPPair(t)
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(200 * time.Millisecond)
		peer.Write([]byte("x"))
	}()
	if got, err := readWithin(t, c.Read, 10*time.Second); err != nil || got != "x" {
		t.Fatalf("read %q, %v; want the byte sent after the cleared deadline", got, err)
	}
}

// TestRawTCPDeadlineSooner: a deadline moved sooner ends the read then,
// not at the later one set before; and reads made on the TCPConn itself
// (outside rawTCP's methods) see the deadline set last.
func TestRawTCPDeadlineSooner(t *testing.T) {
	c, _ := rawTCPPair(t)
	c.SetReadDeadline(time.Now().Add(time.Hour))
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := readWithin(t, c.Read, 10*time.Second); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read ended with %v, want the sooner deadline passed", err)
	}

	c2, peer := rawTCPPair(t)
	c2.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	c2.SetReadDeadline(time.Now().Add(time.Hour))
	tc, _ := asTCP(c2)
	go func() {
		time.Sleep(200 * time.Millisecond)
		peer.Write([]byte("y"))
	}()
	if got, err := readWithin(t, tc.Read, 10*time.Second); err != nil || got != "y" {
		t.Fatalf("a read on the TCPConn: %q, %v; want it under the deadline set last", got, err)
	}
}
