package proxy

import (
	"io"
	"net"
	"net/netip"
	"syscall"

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
	onRead, onWrt func(fd uintptr) bool

	local netip.AddrPort // LocalAddr's, once asked (a kept connection serves many requests)
}

// localAddrPort is c's local address, remembered by a rawTCP.
func localAddrPort(c net.Conn) netip.AddrPort {
	r, ok := c.(*rawTCP)
	if !ok {
		return addrPort(c.LocalAddr())
	}
	if !r.local.IsValid() {
		r.local = addrPort(r.LocalAddr())
	}
	return r.local
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
	r.onRead, r.onWrt = r.readOnce, r.writeSome
	return r
}

func (c *rawTCP) readOnce(fd uintptr) bool {
	for {
		n, e := rawIO(unix.SYS_RECVFROM, fd, c.rbuf)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
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
	c.rbuf, c.rn, c.rerrno = b, 0, 0
	err := c.rc.Read(c.onRead)
	c.rbuf = nil
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
		n, e := rawIO(unix.SYS_SENDTO, fd, c.wbuf[c.wn:])
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
