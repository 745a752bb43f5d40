package proxy

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// rawTCP is a TCP connection whose Read and Write are raw non-blocking
// system calls made through its RawConn, for the HTTP data path: like
// spliceCopy (see there), it skips the runtime's blocking-syscall
// bookkeeping, which costs more than the call itself on a busy proxy,
// while readiness waits, deadlines and Close still go through the
// netpoller. Everything else is the embedded *net.TCPConn's.
type rawTCP struct {
	*net.TCPConn
	rc syscall.RawConn

	// The state of the call in progress, one set per direction (a
	// tunnel reads and writes at once); the callbacks are made once per
	// connection so calls do not allocate.
	rbuf          []byte
	rn            int
	rerrno        syscall.Errno
	wbuf          []byte
	wn            int
	werrno        syscall.Errno
	wflags        int // send(2) flags of the write in progress (MSG_MORE)
	onRead, onWrt func(fd uintptr) bool
	onNow         func(fd uintptr) // readOnce, for readNow's Control

	local netip.AddrPort // LocalAddr's, once asked (a kept connection serves many requests)

	sent       bool // SendRecv: the write part is done
	onSendRecv func(fd uintptr) bool

	// inline: an exchange runs inside a read call on c (serveInline),
	// so Read must not start another (see readBlocking).
	inline bool
	// rdl is the read deadline set last (every change goes through c's
	// methods); armed is the one the netpoller holds, which may be
	// sooner (see SetReadDeadline).
	rdl, armed time.Time

	// emptyReads counts the reads that found nothing: the cost
	// serveInline removes, watched by its tests.
	emptyReads int
}

// localAddrPort is c's local address, remembered by a rawTCP and a
// sockConn.
func localAddrPort(c net.Conn) netip.AddrPort {
	switch r := c.(type) {
	case *rawTCP:
		if !r.local.IsValid() {
			r.local = addrPort(r.LocalAddr())
		}
		return r.local
	case *sockConn:
		r.askLocal()
		return r.local
	}
	return addrPort(c.LocalAddr())
}

// remoteAddrPort is c's peer address, without a net.Addr on the way for
// a sockConn.
func remoteAddrPort(c net.Conn) netip.AddrPort {
	if r, ok := c.(*sockConn); ok {
		return r.remote
	}
	return addrPort(c.RemoteAddr())
}

// fastConn wraps c when it is a plain TCP connection.
func fastConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawTCP{TCPConn: tc, rc: rc}
	r.onRead, r.onWrt, r.onSendRecv = r.readOnce, r.writeSome, r.sendThenRead
	r.onNow = func(fd uintptr) { r.readOnce(fd) }
	return r
}

func (c *rawTCP) readOnce(fd uintptr) bool {
	for {
		n, e := rawIO(unix.SYS_RECVFROM, fd, c.rbuf)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			c.emptyReads++
			return false // wait until readable
		case 0:
			c.rn = n
		}
		c.rerrno = e
		return true
	}
}

// Read reads once, like (*net.TCPConn).Read.
func (c *rawTCP) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if c.inline {
		return c.readBlocking(b)
	}
	c.rbuf, c.rn, c.rerrno = b, 0, 0
	err := c.rawRead(c.onRead)
	c.rbuf = nil
	return c.readResult(err)
}

// readResult is what Read returns after the read call ended with err.
func (c *rawTCP) readResult(err error) (int, error) {
	switch {
	case err != nil:
		return 0, err
	case c.rerrno != 0:
		return 0, wrapOp("read", c.TCPConn, c.rerrno)
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

func (c *rawTCP) writeSome(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, e := rawIOFlags(unix.SYS_SENDTO, fd, c.wbuf[c.wn:], c.wflags)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait until writable
		case 0:
			c.wn += n
			continue
		}
		c.werrno = e
		return true
	}
	return true
}

// Write writes all of b, like (*net.TCPConn).Write.
func (c *rawTCP) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.wbuf, c.wn, c.werrno = b, 0, 0
	err := c.rc.Write(c.onWrt)
	c.wbuf = nil
	if err == nil && c.werrno != 0 {
		err = wrapOp("write", c.TCPConn, c.werrno)
	}
	return c.wn, err
}

// WriteMore writes all of b like Write, telling the kernel that more
// follows at once (MSG_MORE): b waits in the socket until the next write
// instead of leaving as a segment of its own. For a response head whose
// body is still being read from the server, as the reference does: the
// client then gets head and body in one segment and one wakeup.
func (c *rawTCP) WriteMore(b []byte) (int, error) {
	c.wflags = unix.MSG_MORE
	n, err := c.Write(b)
	c.wflags = 0
	return n, err
}

// pushHeld sends what writes with MSG_MORE left waiting in c's socket
// (setting TCP_NODELAY pushes pending data out).
func pushHeld(c net.Conn) {
	if r, ok := c.(*rawTCP); ok {
		r.rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) })
	}
}

// readNow reads once into x's free end without waiting, and returns the
// bytes read: 0 when there were none yet, or on EOF or an error, which
// the next read reports again.
func (c *rawTCP) readNow(x *rbuf) int {
	if x.r > 0 {
		x.w = copy(x.b, x.b[x.r:x.w])
		x.r = 0
	}
	if x.w == len(x.b) {
		return 0
	}
	c.rbuf, c.rn, c.rerrno = x.b[x.w:], 0, 0
	c.rc.Control(c.onNow) // a callback made once: a closure here would be garbage per response
	c.rbuf = nil
	if c.rerrno != 0 {
		return 0
	}
	x.w += c.rn
	return c.rn
}

// writeMore writes b to c, with MSG_MORE when c is a rawTCP.
func writeMore(c net.Conn, b []byte) (int, error) {
	if r, ok := c.(*rawTCP); ok {
		return r.WriteMore(b)
	}
	return c.Write(b)
}

// SendRecv writes out, then reads once into in, for a request whose
// answer can only come after it. Read would first try the socket, find
// nothing (the peer cannot have answered yet) and only then park: a wasted
// system call per exchange. Here the write happens inside the read call,
// after the netpoller's readiness was reset for it, so the wait that
// follows cannot miss an answer however fast it comes, and parks at once.
// (A FIN that came before the write needs no read to be noticed either:
// the write then draws a reset, which wakes the wait.) A write that
// cannot complete at once finishes through Write.
func (c *rawTCP) SendRecv(out, in []byte) (int, error) {
	if len(in) == 0 {
		return 0, nil
	}
	c.wbuf, c.wn, c.werrno, c.sent = out, 0, 0, false
	c.rbuf, c.rn, c.rerrno = in, 0, 0
	err := c.rawRead(c.onSendRecv)
	c.rbuf = nil
	if err == nil && c.werrno != 0 {
		c.wbuf = nil
		return 0, wrapOp("write", c.TCPConn, c.werrno)
	}
	if err == nil && c.wn < len(c.wbuf) {
		// The socket's buffer was full: the rest the usual way.
		rest := c.wbuf[c.wn:]
		c.wbuf = nil
		if _, err := c.Write(rest); err != nil {
			return 0, err
		}
		return c.Read(in)
	}
	c.wbuf = nil
	return c.readResult(err)
}

func (c *rawTCP) sendThenRead(fd uintptr) bool {
	if c.sent {
		return c.readOnce(fd)
	}
	c.sent = true
	for c.wn < len(c.wbuf) {
		n, e := rawIO(unix.SYS_SENDTO, fd, c.wbuf[c.wn:])
		switch e {
		case 0:
			c.wn += n
		case unix.EINTR:
		case unix.EAGAIN:
			return true // finished by Write
		default:
			c.werrno = e
			return true
		}
	}
	return false // wait for the answer
}

// SetReadDeadline is the TCPConn's, with the netpoller told only of a
// deadline sooner than the one it holds. A kept-alive connection moves its
// deadline later at every request (the server's timeout from the request
// sent, the client's keep-alive wait from the response), and each change
// the netpoller hears of costs two clock readings and a runtime timer
// update, a few percent of a small request's CPU. A later or cleared
// deadline is only remembered: when the armed one passes, the read it
// stopped re-arms with the one set last and goes on (rawRead), so reads
// still end exactly at the deadline set last.
func (c *rawTCP) SetReadDeadline(t time.Time) error {
	c.rdl = t
	if !t.IsZero() && (c.armed.IsZero() || t.Before(c.armed)) {
		return c.arm(t)
	}
	return nil
}

// SetDeadline is the TCPConn's, with the read deadline remembered.
func (c *rawTCP) SetDeadline(t time.Time) error {
	c.rdl, c.armed = t, t
	return c.TCPConn.SetDeadline(t)
}

func (c *rawTCP) arm(t time.Time) error {
	c.armed = t
	return c.TCPConn.SetReadDeadline(t)
}

// exact gives the netpoller the read deadline set last, for reads made
// outside c's methods (on its TCPConn or its RawConn).
func (c *rawTCP) exact() {
	if !c.armed.Equal(c.rdl) {
		c.arm(c.rdl)
	}
}

// rawRead is a read call on c's RawConn, under the deadline set last: an
// earlier armed deadline that stopped it re-arms and the call goes on.
func (c *rawTCP) rawRead(f func(fd uintptr) bool) error {
	for {
		err := c.rc.Read(f)
		if err == nil || c.armed.Equal(c.rdl) || !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		c.arm(c.rdl)
		if !c.rdl.IsZero() && !time.Now().Before(c.rdl) {
			return err
		}
	}
}

// SyscallConn is the TCPConn's, with the deadline set last armed.
func (c *rawTCP) SyscallConn() (syscall.RawConn, error) {
	c.exact()
	return c.TCPConn.SyscallConn()
}

// WriteTo is the TCPConn's (which reads c), with the deadline set last
// armed.
func (c *rawTCP) WriteTo(w io.Writer) (int64, error) {
	c.exact()
	return c.TCPConn.WriteTo(w)
}

// readBlocking reads once for an exchange served inside a read call on c
// (serveInline), where the netpoller cannot be asked to wait: a second
// read call would wait for the first forever. serveInline only takes
// requests that need no more client bytes, so this is a guard that keeps
// the connection correct should one slip through: it waits in poll(2),
// holding a thread, within the read deadline.
func (c *rawTCP) readBlocking(b []byte) (int, error) {
	var n int
	var errno syscall.Errno
	var err error
	cerr := c.rc.Control(func(fd uintptr) {
		for {
			n, errno = rawIO(unix.SYS_RECVFROM, fd, b)
			switch errno {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
			default:
				return
			}
			wait := -1
			if !c.rdl.IsZero() {
				left := time.Until(c.rdl)
				if left <= 0 {
					err = os.ErrDeadlineExceeded
					return
				}
				wait = int((left + time.Millisecond - 1) / time.Millisecond)
			}
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if _, perr := unix.Poll(fds, wait); perr != nil && perr != unix.EINTR {
				err = perr
				return
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case err != nil:
		return 0, wrapOp("read", c.TCPConn, err)
	case errno != 0:
		return 0, wrapOp("read", c.TCPConn, errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// resetClose closes c with lingering off: the peer gets a reset instead
// of the closing handshake.
func resetClose(c net.Conn) {
	if l, ok := c.(interface{ SetLinger(int) error }); ok {
		l.SetLinger(0)
	}
	c.Close()
}
