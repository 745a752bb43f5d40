package proxy

import (
	"net"

	"golang.org/x/sys/unix"
)

// Closing with a reset (option nolinger).
//
// The reference sets SO_LINGER {on, 0 s} on a frontend's listening
// socket, which its accepted connections inherit, and on a backend's
// server sockets: their close then sends a reset and drops what is still
// unsent, instead of a FIN. A shutdown of the write side still sends a
// FIN, so a client the proxy finished answering reads the end of the
// stream first. On the server side two more things hold: a tunnel passes
// a client's half-close on as a reset of the server, which ends the
// session; and once the server's own FIN was read, the final close is a
// plain one (no port can be left lingering then).

// noLinger makes c's close a reset when on.
func noLinger(c net.Conn, on bool) {
	if on {
		setLinger(c, &unix.Linger{Onoff: 1})
	}
}

// lingerAgain restores the default close on a server connection whose
// peer closed first.
func lingerAgain(c net.Conn, on bool) {
	if on {
		setLinger(c, &unix.Linger{})
	}
}

// setLinger sets SO_LINGER on c's TCP socket, under TLS too.
func setLinger(c net.Conn, l *unix.Linger) {
	if rc, ok := rawConnOf(c); ok {
		rc.Control(func(fd uintptr) { unix.SetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER, l) })
	}
}

// finBeforeReset shuts c's write side (a FIN) unless its peer's FIN came
// in, as the reference does before it closes a client connection in http
// mode: with option nolinger the close that follows is a reset, and the
// client reads the end of the stream first.
func finBeforeReset(c net.Conn, on bool) {
	if !on {
		return
	}
	rc, ok := rawConnOf(c)
	if !ok {
		return
	}
	rc.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil && info.State != unix.BPF_TCP_CLOSE_WAIT {
			unix.Shutdown(int(fd), unix.SHUT_WR)
		}
	})
}
