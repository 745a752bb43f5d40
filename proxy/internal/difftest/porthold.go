package difftest

import (
	"fmt"
	"net/netip"
	"syscall"
)

// HoldPort binds a TCP socket to addr without listening on it. A connect
// to addr is refused as with nothing bound, but the kernel no longer
// hands the port out to another socket binding port 0: a stopped test
// server's address cannot be taken over by a listener of another test
// process (which the reference's health check would then find UP) before
// the server starts again. close releases the port.
func HoldPort(addr string) (close func(), err error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("hold %s: not an IPv4 address and port", addr)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("hold %s: %w", addr, err)
	}
	// SO_REUSEADDR: the port may still have connections in TIME_WAIT.
	// Binding a port explicitly with it is allowed next to them, and a
	// port-0 bind still skips a port a socket is bound to.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("hold %s: %w", addr, err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("hold %s: %w", addr, err)
	}
	return func() { syscall.Close(fd) }, nil
}
