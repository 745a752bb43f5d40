package proxy

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A sockConn is a server connection of a tcp-mode stream made with raw
// system calls and registered with a flowLoop's epoll set from its
// connect on, never with the runtime's netpoller.
//
// Why: a connection per request is the common shape of tcp-mode traffic,
// and net's dialer costs nearly as much in user space as the kernel's
// whole connect: a context and a goroutine to watch it, the netpoller's
// registration and its removal at close (two epoll_ctl), getsockname,
// getpeername and SO_ERROR, and a finalizer per descriptor. The reference
// does a socket, a connect and one epoll_ctl. Here the connect's end is
// the loop's first event for the socket, and when the stream's tunnel
// starts, the loop's flow takes the socket over with no new registration
// (tunnelLoop).
//
// Until then a sockConn is a complete net.Conn: Read and Write wait for
// the loop's readiness events, under the deadlines set.
type sockConn struct {
	fd     int
	loop   *flowLoop
	f      *flow // the flow it is a side of; f.pre[side] is c until the flow starts
	side   int
	remote netip.AddrPort
	local  netip.AddrPort // once asked, or known from the listening socket

	// rd and wr hold a token when a readiness event came since the last
	// wait took one; a spurious token costs one EAGAIN. Each is made by
	// the first wait that needs it, with a token for the events it may
	// have missed: most sockets go to a flow without ever waiting, and
	// three channels per socket were a sizeable part of a connection's
	// garbage. Guarded by loop.mu (the loop's notify pokes them).
	rd, wr chan struct{}
	seen   uint32 // every event so far, for the flow that adopts c; guarded by loop.mu

	rdl, wdl atomic.Int64 // deadlines, unix nanoseconds; 0 for none

	// fdMu is held shared around each system call on fd and exclusively
	// to close it, so a close never lets a call reach a reused number.
	fdMu      sync.RWMutex
	closing   sync.Once
	closed    atomic.Bool // set by Close, which then pokes the waits
	closeErr  error
	closeDone bool // guarded by fdMu
}

// rawDialable reports whether addr can be reached by dialRaw: a plain
// IPv4 or IPv6 address, without a zone (which needs an interface lookup).
func rawDialable(addr netip.AddrPort) bool {
	return addr.IsValid() && addr.Addr().Zone() == ""
}

// dialRaw connects to addr through l, as the server side of f (a new
// flow when nil), within timeout (0: none) and until ctx ends. control,
// when not nil, sets the socket up before its connect, as net.Dialer's
// Control does.
func (l *flowLoop) dialRaw(ctx context.Context, f *flow, addr netip.AddrPort, timeout time.Duration,
	control func(network, address string, c syscall.RawConn) error) (*sockConn, error) {
	ip := addr.Addr().Unmap()
	addr = netip.AddrPortFrom(ip, addr.Port())
	family, network := unix.AF_INET6, "tcp6"
	var sa unix.Sockaddr
	if ip.Is4() {
		family, network = unix.AF_INET, "tcp4"
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: ip.As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: ip.As16()}
	}
	fail := func(call string, err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: os.NewSyscallError(call, err)}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fail("socket", err)
	}
	c := newSockConn(l, fd, addr)
	if err := noDelay(fd); err != nil {
		unix.Close(fd)
		return nil, fail("setsockopt", err)
	}
	if control != nil {
		if err := control(network, addr.String(), c.rawConn()); err != nil {
			unix.Close(fd)
			return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: err}
		}
	}
	err = unix.Connect(fd, sa)
	for err == unix.EINTR {
		err = unix.Connect(fd, sa)
	}
	if err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return nil, fail("connect", err)
	}
	// Registered after the connect: a socket not connecting yet would
	// report a hang-up at once.
	if err := l.register(c, f, 1); err != nil {
		unix.Close(fd)
		return nil, fail("epoll_ctl", err)
	}
	if connectedNow(fd) {
		return c, nil
	}
	if err := c.awaitConnect(ctx, timeout); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: err}
	}
	return c, nil
}

func newSockConn(l *flowLoop, fd int, remote netip.AddrPort) *sockConn {
	return &sockConn{fd: fd, loop: l, remote: remote}
}

// noDelay sets TCP_NODELAY, as net does on its TCP connections: what is
// written leaves at once.
func noDelay(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// acceptRaw accepts the next connection of ln, a listening socket
// registered with a flowLoop (listener.rawSocket), as the client side of
// a new flow of l.
func (l *flowLoop) acceptRaw(ln *sockConn) (*sockConn, error) {
	for {
		var fd int
		var sa syscall.Sockaddr
		var err error
		// syscall's, not x/sys's: that one asks SO_PROTOCOL too.
		if !ln.call(func(lfd uintptr) { fd, sa, err = syscall.Accept4(int(lfd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC) }) {
			return nil, net.ErrClosed
		}
		switch err {
		case nil:
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		case syscall.EAGAIN:
			if err := ln.await(&ln.rd, &ln.rdl); err != nil {
				return nil, err
			}
			continue
		default:
			return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", err)}
		}
		c := newSockConn(l, fd, sockaddrPort(sa))
		c.local = ln.local // when the listening socket's is specific
		if err := noDelay(fd); err != nil {
			unix.Close(fd)
			return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("setsockopt", err)}
		}
		if err := l.register(c, nil, 0); err != nil {
			unix.Close(fd)
			return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("epoll_ctl", err)}
		}
		return c, nil
	}
}

// connectedNow reports whether the connect of fd has completed
// already, as it usually has over loopback by the time connect returns:
// a zero-timeout poll then saves waiting for the loop to say so.
func connectedNow(fd int) bool {
	pfd := unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT}
	var ts unix.Timespec
	n, _, e := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return e == 0 && n == 1 && pfd.Revents&(unix.POLLERR|unix.POLLHUP) == 0 && pfd.Revents&unix.POLLOUT != 0
}

// awaitConnect waits for the connect's outcome: the socket writable, an
// error, the timeout or ctx's end.
func (c *sockConn) awaitConnect(ctx context.Context, timeout time.Duration) error {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	wr := c.waitChan(&c.wr)
	for {
		select {
		case <-wr:
		case <-ctx.Done():
			return ctx.Err()
		case <-expire:
			return os.ErrDeadlineExceeded
		}
		c.loop.mu.Lock()
		seen := c.seen
		c.loop.mu.Unlock()
		if seen&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
			if err != nil {
				return os.NewSyscallError("getsockopt", err)
			}
			if errno == 0 {
				errno = int(unix.ECONNRESET)
			}
			return os.NewSyscallError("connect", syscall.Errno(errno))
		}
		if seen&unix.EPOLLOUT != 0 {
			return nil
		}
	}
}

// notify records a readiness event of c's socket; the loop calls it
// under its lock until a flow adopts c.
func (c *sockConn) notify(ev uint32) {
	c.seen |= ev
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		poke(c.rd)
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		poke(c.wr)
	}
}

// poke leaves a token in ch unless one is there (or ch is nil: nothing
// waits on it yet).
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// waitChan is the channel *p of c, made with a token if it did not
// exist: a readiness event may have come, unrecorded, between the call
// that found nothing and now.
func (c *sockConn) waitChan(p *chan struct{}) chan struct{} {
	c.loop.mu.Lock()
	defer c.loop.mu.Unlock()
	if *p == nil {
		*p = make(chan struct{}, 1)
		(*p) <- struct{}{}
	}
	return *p
}

// wake pokes the waits on c's channels, so that they look again.
func (c *sockConn) wake(chans ...*chan struct{}) {
	c.loop.mu.Lock()
	defer c.loop.mu.Unlock()
	for _, p := range chans {
		poke(*p)
	}
}

// await waits for a token of the channel *p, c's close, or the deadline.
func (c *sockConn) await(p *chan struct{}, deadline *atomic.Int64) error {
	ch := c.waitChan(p)
	if c.closed.Load() {
		return net.ErrClosed
	}
	var expire <-chan time.Time
	if d := deadline.Load(); d != 0 {
		wait := time.Until(time.Unix(0, d))
		if wait <= 0 {
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-ch:
		if c.closed.Load() {
			return net.ErrClosed
		}
		return nil
	case <-expire:
		return os.ErrDeadlineExceeded
	}
}

func (c *sockConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, e, ok := c.io(unix.SYS_RECVFROM, p)
		if !ok {
			return 0, c.opError("read", net.ErrClosed)
		}
		switch e {
		case 0:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case unix.EINTR:
		case unix.EAGAIN:
			if err := c.await(&c.rd, &c.rdl); err != nil {
				return 0, c.opError("read", err)
			}
		default:
			return 0, c.opError("read", os.NewSyscallError("read", e))
		}
	}
}

func (c *sockConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, e, ok := c.io(unix.SYS_SENDTO, p[written:])
		if !ok {
			return written, c.opError("write", net.ErrClosed)
		}
		switch e {
		case 0:
			written += n
		case unix.EINTR:
		case unix.EAGAIN:
			if err := c.await(&c.wr, &c.wdl); err != nil {
				return written, c.opError("write", err)
			}
		default:
			return written, c.opError("write", os.NewSyscallError("write", e))
		}
	}
	return written, nil
}

// io makes one recvfrom or sendto on the socket; ok is false once it
// is closed.
func (c *sockConn) io(call uintptr, p []byte) (n int, e syscall.Errno, ok bool) {
	ok = c.call(func(fd uintptr) { n, e = rawIO(call, fd, p) })
	return n, e, ok
}

func (c *sockConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Close closes the socket. A flow that adopted c must have ended first
// (tunnelLoop and liveConn.abort end it before they close): the loop
// uses the descriptor until then.
func (c *sockConn) Close() error {
	first := false
	c.closing.Do(func() {
		first = true
		c.closed.Store(true)
		c.wake(&c.rd, &c.wr)
		c.loop.forget(c)
		c.fdMu.Lock()
		defer c.fdMu.Unlock()
		c.closeDone = true
		c.closeErr = unix.Close(c.fd)
	})
	if !first {
		// Closing twice is the common path (the tunnel closes, then
		// its session): no addresses to look up for it.
		return errClosedTwice
	}
	return c.closeErr
}

// CloseWrite sends a FIN, as (*net.TCPConn).CloseWrite.
var errClosedTwice = &net.OpError{Op: "close", Net: "tcp", Err: net.ErrClosed}

func (c *sockConn) CloseWrite() error {
	var err error
	if cerr := c.rawConn().Control(func(fd uintptr) { err = unix.Shutdown(int(fd), unix.SHUT_WR) }); cerr != nil {
		return cerr
	}
	return err
}

func (c *sockConn) LocalAddr() net.Addr {
	c.askLocal()
	return net.TCPAddrFromAddrPort(c.local)
}

// askLocal learns the local address from the kernel unless known.
func (c *sockConn) askLocal() {
	if !c.local.IsValid() {
		c.rawConn().Control(func(fd uintptr) {
			// syscall's, not x/sys's: that one asks SO_PROTOCOL too.
			if sa, err := syscall.Getsockname(int(fd)); err == nil {
				c.local = sockaddrPort(sa)
			}
		})
	}
}

func (c *sockConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// SetDeadline and its two halves apply to the waits in progress too: a
// token makes them look again.
func (c *sockConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *sockConn) SetReadDeadline(t time.Time) error {
	c.rdl.Store(unixNanos(t))
	c.wake(&c.rd)
	return nil
}

func (c *sockConn) SetWriteDeadline(t time.Time) error {
	c.wdl.Store(unixNanos(t))
	c.wake(&c.wr)
	return nil
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func sockaddrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// SyscallConn gives the socket's options to the code that sets them on
// any TCP connection (linger, buffers, TCP_INFO).
func (c *sockConn) SyscallConn() (syscall.RawConn, error) { return c.rawConn(), nil }

func (c *sockConn) rawConn() syscall.RawConn { return sockRawConn{c} }

// sockRawConn is a sockConn's syscall.RawConn: Read and Write call f
// until it reports done, waiting for readiness in between.
type sockRawConn struct{ c *sockConn }

func (r sockRawConn) Control(f func(fd uintptr)) error {
	if !r.c.call(f) {
		return net.ErrClosed
	}
	return nil
}

func (r sockRawConn) Read(f func(fd uintptr) bool) error {
	return r.c.rawWait(f, &r.c.rd, &r.c.rdl)
}

func (r sockRawConn) Write(f func(fd uintptr) bool) error {
	return r.c.rawWait(f, &r.c.wr, &r.c.wdl)
}

func (c *sockConn) rawWait(f func(fd uintptr) bool, ch *chan struct{}, deadline *atomic.Int64) error {
	for {
		done := false
		if !c.call(func(fd uintptr) { done = f(fd) }) {
			return net.ErrClosed
		}
		if done {
			return nil
		}
		if err := c.await(ch, deadline); err != nil {
			return err
		}
	}
}

// call runs f on the open descriptor; false (and f not run) once it is
// closed.
func (c *sockConn) call(f func(fd uintptr)) bool {
	c.fdMu.RLock()
	defer c.fdMu.RUnlock()
	if c.closeDone {
		return false
	}
	f(uintptr(c.fd))
	return true
}
