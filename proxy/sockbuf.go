package proxy

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// SocketBuffers are the kernel buffer sizes asked for a side's sockets
// (tune.rcvbuf.client, tune.sndbuf.client on listeners, whose connections
// inherit them; tune.rcvbuf.server, tune.sndbuf.server on server
// sockets). 0 leaves the system's automatic sizing.
type SocketBuffers struct {
	Rcv, Snd int
}

// set applies the sizes to fd.
func (b SocketBuffers) set(fd int) error {
	if b.Rcv > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, b.Rcv); err != nil {
			return err
		}
	}
	if b.Snd > 0 {
		return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, b.Snd)
	}
	return nil
}

// dialControl is the server sockets' setup before connect(2): their
// buffer sizes and tcp-smart-connect; nil when there is none.
func dialControl(be *Backend) func(string, string, syscall.RawConn) error {
	if be.Buffers == (SocketBuffers{}) && !be.SmartConnect {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = be.Buffers.set(int(fd)) }); err != nil {
			return err
		}
		if serr != nil || !be.SmartConnect {
			return serr
		}
		return smartConnect(network, address, c)
	}
}
