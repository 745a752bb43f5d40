package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// chunk is how much one splice round may move before the idle deadline is
// refreshed. Large enough that bulk transfers stay in the kernel.
const chunk = 4 << 20

// tunnelTimeouts are the idle timeouts of an established connection, and
// how its ends close.
//
// A side idle past its bound is done sending, as with the reference: its
// direction ends as on its FIN (passed on to the other side) and the
// other direction goes on; the session is logged with the first timeout
// (cD, sD). Only a side that is not reading what it is sent (the
// direction towards it stuck) ends the whole session at its timeout.
type tunnelTimeouts struct {
	client, server       time.Duration // idle bound per side (0 = none)
	clientFin, serverFin time.Duration // once that side has half-closed
	// independent[i]: side i's idle time counts only what it sends, not
	// what it is sent (option independent-streams; 0 client, 1 server).
	independent [2]bool
	// resetServer: option nolinger in the backend (nolinger.go).
	resetServer bool
}

func timeouts(fc *Frontend, bc *Backend) tunnelTimeouts {
	t := tunnelTimeouts{client: fc.TimeoutClient, server: bc.TimeoutServer,
		clientFin: fc.TimeoutClientFin, serverFin: bc.TimeoutServerFin,
		independent: [2]bool{fc.IndependentStreams, bc.IndependentStreams}, resetServer: bc.NoLinger}
	if bc.TimeoutTunnel > 0 {
		t.client, t.server = bc.TimeoutTunnel, bc.TimeoutTunnel
	}
	return t
}

// tunnel moves bytes both ways until both sides are done, and returns the
// bytes sent client->server and server->client and the termination state.
// Two plain TCP connections go to a flowLoop; others get a goroutine per
// direction. A half-close is propagated (shutdown of the write side), and
// the other direction keeps flowing under the *-fin timeout. lc (may be
// nil) lets an administrative abort end the tunnel. Both connections are
// closed when it returns.
func tunnel(cli, srv net.Conn, t tunnelTimeouts, lc *liveConn) (in, out int64, term [2]byte) {
	if l := loopFor(cli, srv); l != nil {
		if in, out, term, ok := tunnelLoop(l, cli, srv, t, lc); ok {
			return in, out, term
		}
	}
	in, out, term = tunnelPumps(cli, srv, t, lc.contStats())
	cli.Close()
	srv.Close()
	return in, out, term
}

// tunnelPumps is tunnel with one goroutine per direction over the
// netpoller: for connections other than two plain TCP ones, or when no
// flowLoop could be made.
func tunnelPumps(cli, srv net.Conn, t tunnelTimeouts, cont *contStats) (in, out int64, term [2]byte) {
	var last atomic.Int64 // last activity in either direction, unix nanos
	last.Store(time.Now().UnixNano())
	// The times each side's idle bound counts from: last, or its own
	// last read when independent.
	var cliRead, srvRead atomic.Int64
	cliRead.Store(last.Load())
	srvRead.Store(last.Load())
	cliLast, srvLast := &last, &last
	if t.independent[0] {
		cliLast = &cliRead
	}
	if t.independent[1] {
		srvLast = &srvRead
	}
	var moved *[2]atomic.Int64 // the bytes so far, for option contstats
	if cont != nil {
		moved = new([2]atomic.Int64)
		defer cont.watch(func() (int64, int64) { return moved[0].Load(), moved[1].Load() })()
	}
	var cliIdle, srvIdle atomic.Int64
	cliIdle.Store(int64(t.client))
	srvIdle.Store(int64(t.server))
	var once sync.Once
	abort := func() {
		once.Do(func() {
			cli.Close()
			srv.Close()
		})
	}
	// The first failure decides the termination state; the other
	// direction then fails only because of our abort.
	term = [2]byte{termNone, stateNone}
	var termOnce sync.Once
	fail := func(err error, src, dst byte) {
		termOnce.Do(func() { term = [2]byte{failSide(err, src, dst), stateData} })
		abort()
	}
	// ended tells whether a pump's end (err) leaves the other direction
	// going: its source's EOF, or its source idle past its bound while
	// what it is sent does not pile up; otherwise it ends the session.
	ended := func(err error, src net.Conn, srcTerm, dstTerm byte) bool {
		if err == nil {
			return true
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && !unsentTo(src) {
			termOnce.Do(func() { term = [2]byte{srcTerm + ('a' - 'A'), stateData} })
			return true
		}
		fail(err, srcTerm, dstTerm)
		return false
	}
	// cliFin and srvFin: that side's FIN was read. No shutdown goes
	// towards it then, as with the reference: the close follows once
	// both directions ended, and sends the FIN (or the reset).
	var cliFin, srvFin atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		out, err = pump(srv, cli, &srvIdle, srvLast, &last, progressOf(moved, 1))
		if !ended(err, srv, termServerAbort, termClientAbort) {
			return
		}
		if err == nil {
			srvFin.Store(true)
			lingerAgain(srv, t.resetServer)
		}
		// The server finished: pass the FIN on, and bound the rest of
		// the client's upload by server-fin.
		if !cliFin.Load() {
			closeWrite(cli)
		}
		if t.serverFin > 0 {
			cliIdle.Store(int64(minNonZero(t.client, t.serverFin)))
			cli.SetReadDeadline(time.Now())
		}
	}()
	in, err := pump(cli, srv, &cliIdle, cliLast, &last, progressOf(moved, 0))
	cliFin.Store(err == nil)
	switch {
	case !ended(err, cli, termClientAbort, termServerAbort):
	case t.resetServer:
		// A reset instead of the FIN, and the session ends.
		termOnce.Do(func() { term = [2]byte{termNone, stateNone} })
		abort()
	case !srvFin.Load():
		closeWrite(srv)
		fallthrough
	default:
		if t.clientFin > 0 {
			srvIdle.Store(int64(minNonZero(t.server, t.clientFin)))
			srv.SetReadDeadline(time.Now())
		}
	}
	<-done
	return in, out, term
}

// failSide names who ended a tunnel: the reading side (src), in lower
// case when its read deadline expired (a timeout), or the writing side
// (dst) when the write hit a closed pipe.
func failSide(err error, src, dst byte) byte {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return src + ('a' - 'A')
	case errors.Is(err, syscall.EPIPE):
		return dst
	}
	return src
}
func minNonZero(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}

// tcpPair returns src and dst as TCP connections when both are, the case
// relay serves.
func tcpPair(src, dst net.Conn) (s, d *net.TCPConn, ok bool) {
	s, ok1 := asTCP(src)
	d, ok2 := asTCP(dst)
	return s, d, ok1 && ok2
}

// loopFor is the flowLoop to move cli and srv's bytes: the one of their
// sockConns, else any; nil when one of them is no plain TCP connection
// or none could be made.
func loopFor(cli, srv net.Conn) *flowLoop {
	var l *flowLoop
	for _, c := range [2]net.Conn{cli, srv} {
		if sc, ok := c.(*sockConn); ok {
			l = sc.loop
		} else if _, ok := asTCP(c); !ok {
			return nil
		}
	}
	if l == nil {
		l = pickLoop()
	}
	return l
}

// asTCP returns the TCP connection under c, a plain one or rawTCP's.
func asTCP(c net.Conn) (*net.TCPConn, bool) {
	switch c := c.(type) {
	case *net.TCPConn:
		return c, true
	case *rawTCP:
		c.exact() // its reads leave c's methods
		return c.TCPConn, true
	}
	return nil, false
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// progressOf is direction i's counter of moved, nil when moved is.
func progressOf(moved *[2]atomic.Int64, i int) *atomic.Int64 {
	if moved == nil {
		return nil
	}
	return &moved[i]
}

// pump copies src to dst until EOF (nil error) or failure. It refreshes
// src's read deadline between chunks; a deadline hit only ends the copy if
// src's idle time (counted from since, which moved data updates along
// with last) reached the idle timeout. progress, when not nil, counts the
// bytes as they are written (option contstats): a chunk can take long to
// fill, so the copy goes through a counting writer, not through relay,
// which reports only once its chunk is done.
func pump(src, dst net.Conn, idle, since, last, progress *atomic.Int64) (int64, error) {
	var total int64
	lr := &io.LimitedReader{R: src}
	for {
		d := time.Duration(idle.Load())
		if d > 0 {
			src.SetReadDeadline(time.Unix(0, since.Load()).Add(d))
		} else {
			src.SetReadDeadline(time.Time{})
		}
		lr.N = chunk
		var n int64
		var err error
		if s, d, ok := tcpPair(src, dst); ok && progress == nil {
			n, err = relay(d, s, chunk)
			lr.N -= n
		} else if progress != nil {
			n, err = io.Copy(countingWriter{dst, progress}, lr)
		} else {
			n, err = io.Copy(dst, lr)
		}
		total += n
		if n > 0 {
			now := time.Now().UnixNano()
			last.Store(now)
			since.Store(now)
		}
		switch {
		case err == nil && lr.N > 0:
			return total, nil // EOF
		case err == nil:
			continue // chunk done
		case errors.Is(err, os.ErrDeadlineExceeded):
			d := time.Duration(idle.Load())
			if d > 0 && time.Since(time.Unix(0, since.Load())) >= d {
				return total, err
			}
			continue
		default:
			return total, err
		}
	}
}

// unsentTo tells whether bytes written to c wait in its socket's send
// queue: its peer is not reading, so a direction writing to it is stuck.
func unsentTo(c net.Conn) bool {
	rc, ok := rawConnOf(c)
	if !ok {
		return false
	}
	queued := 0
	rc.Control(func(fd uintptr) { queued, _ = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) })
	return queued > 0
}
