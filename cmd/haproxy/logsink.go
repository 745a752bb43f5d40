package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	"fulcrum/proxy"
)

// dgramSink sends each log line with sendto(2) on an unconnected,
// non-blocking datagram socket, as the reference does: a syslog socket
// that appears (or comes back) later is reached from then on, a UDP
// collector's ICMP errors never come back as failures, and a full
// socket buffer drops the line.
type dgramSink struct {
	fd int
	to syscall.Sockaddr
}

// openSink makes the sink of a unix datagram path or a UDP address;
// nil when the socket cannot be made or the address not resolved.
func openSink(name string) *dgramSink {
	var to syscall.Sockaddr
	family := syscall.AF_UNIX
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "unix@") {
		to = &syscall.SockaddrUnix{Name: strings.TrimPrefix(name, "unix@")}
	} else {
		addr := strings.TrimPrefix(strings.TrimPrefix(name, "udp@"), "udp4@")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "514")
		}
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return nil
		}
		if ip4 := ua.IP.To4(); ip4 != nil {
			sa := &syscall.SockaddrInet4{Port: ua.Port}
			copy(sa.Addr[:], ip4)
			to, family = sa, syscall.AF_INET
		} else {
			sa := &syscall.SockaddrInet6{Port: ua.Port}
			copy(sa.Addr[:], ua.IP.To16())
			to, family = sa, syscall.AF_INET6
		}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return &dgramSink{fd: fd, to: to}
}

// Write sends b as one datagram.
func (s *dgramSink) Write(b []byte) (int, error) {
	if err := syscall.Sendto(s.fd, b, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL, s.to); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close closes the socket.
func (s *dgramSink) Close() error { return syscall.Close(s.fd) }

// sendFailed is set once a line could not be sent: the reference alerts
// about the first failure of the process only.
var sendFailed atomic.Bool

// reportSendError is the reference's alert for a line that logger number
// n (1-based, in the list the line went to) could not send. A full
// buffer (EAGAIN) only drops the line.
func reportSendError(quiet bool, pid, n int, err error) {
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) || errno == syscall.EAGAIN || sendFailed.Swap(true) || quiet {
		return
	}
	fmt.Fprintf(os.Stderr, "%-11s(%d) : sendmsg()/writev() failed in logger #%d: %s (errno=%d)\n", "[ALERT]", pid, n, proxy.Strerror(errno), int(errno))
}
