package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketKey names one socket (one port of a range).
func socketKey(a ListenAddr, port uint16) string {
	b := a
	b.PortLow, b.PortHigh = port, port
	return b.Key()
}

// openSockets opens every socket a bind asks for: one per port of a range.
// Sockets are opened with SO_REUSEPORT so an old and a new process (or an
// old and a new engine during a reload) can listen on the same port.
func openSockets(b Bind, backlog int) (map[string]net.Listener, error) {
	out := map[string]net.Listener{}
	fail := func(err error) (map[string]net.Listener, error) {
		for _, ln := range out {
			ln.Close()
		}
		return nil, err
	}
	a := b.Addr
	switch a.Family {
	case FamilyFD:
		f := os.NewFile(uintptr(a.FD), "fd@"+strconv.Itoa(a.FD))
		if f == nil {
			return nil, fmt.Errorf("fd@%d: not an open file descriptor", a.FD)
		}
		ln, err := net.FileListener(f)
		f.Close() // FileListener dup'ed it
		if err != nil {
			return nil, fmt.Errorf("fd@%d: %v", a.FD, err)
		}
		out[a.Key()] = ln
		return out, nil
	case FamilyUnix, FamilyABNS:
		path := a.Path
		if a.Family == FamilyABNS {
			path = "@" + path
		} else {
			// A stale socket file from a previous run would make bind fail.
			if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
				os.Remove(path)
			}
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			if b.Where != "" {
				return nil, fmt.Errorf("%s: cannot bind UNIX socket (%s) [%s]", b.Where, strerror(err), path)
			}
			return nil, err
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		if a.Family == FamilyUnix {
			if b.Mode != 0 {
				if err := os.Chmod(path, b.Mode); err != nil {
					ln.Close()
					return nil, err
				}
			}
			if b.UID >= 0 || b.GID >= 0 {
				if err := os.Lchown(path, b.UID, b.GID); err != nil {
					ln.Close()
					return nil, err
				}
			}
		}
		out[a.Key()] = ln
		return out, nil
	}
	network := "tcp4"
	host := "0.0.0.0"
	switch {
	case a.Host.IsValid():
		host = a.Host.String()
		if a.Host.Is6() {
			network = "tcp6"
		}
	case a.Family == FamilyIPv6:
		network, host = "tcp6", "::"
	}
	for p := int(a.PortLow); p <= int(a.PortHigh); p++ {
		// KeepAlive -1: accepted connections get no keep-alive unless the
		// frontend asks (see TCPKeepAlive.apply).
		lc := net.ListenConfig{Control: sockOpts(b, network), KeepAlive: -1}
		// Plain TCP, as the reference: Go would otherwise open an MPTCP
		// listener where the kernel has it, which refuses TCP-level
		// options (TCP_QUICKACK) and would speak MPTCP to clients that
		// offer it.
		lc.SetMultipathTCP(false)
		ln, err := lc.Listen(context.Background(), network, net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			if b.Where != "" {
				return fail(fmt.Errorf("%s: cannot bind socket (%s) for [%s]", b.Where, strerror(err), net.JoinHostPort(host, strconv.Itoa(p))))
			}
			return fail(fmt.Errorf("cannot bind socket (%v) for [%s]", err, net.JoinHostPort(host, strconv.Itoa(p))))
		}
		out[socketKey(a, uint16(p))] = ln
		if err := setBacklog(ln, backlog); err != nil {
			return fail(err)
		}
		if b.SmartAccept {
			smartAccept(ln)
		}

	}
	return out, nil
}

// sockOpts sets the socket options of a bind before bind(2).
func sockOpts(b Bind, network string) func(string, string, syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			set := func(level, opt, v int) {
				if serr == nil {
					serr = unix.SetsockoptInt(int(fd), level, opt, v)
				}
			}
			set(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			set(unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			if network == "tcp6" && b.V6Only {
				set(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
			}
			if b.DeferAccept {
				set(unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1)
			}

			if b.Transparent {
				if network == "tcp6" {
					set(unix.IPPROTO_IPV6, unix.IPV6_TRANSPARENT, 1)
				} else {
					set(unix.IPPROTO_IP, unix.IP_TRANSPARENT, 1)
				}
			}
			if serr == nil {
				serr = b.Buffers.set(int(fd))
			}
			if b.Interface != "" && serr == nil {
				serr = unix.BindToDevice(int(fd), b.Interface)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// smartAccept turns TCP_QUICKACK off on a listening socket (after
// listen(2), as the reference does): its connections then hold the ACK
// of a request back, to send it with the answer.
func smartAccept(ln net.Listener) {
	if sc, ok := ln.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 0) })
		}
	}
}

// setBacklog calls listen(2) again with the configured backlog: Linux
// updates the queue length of a listening socket in place, and Go's
// net.Listen always uses the system maximum.
func setBacklog(ln net.Listener, backlog int) error {
	if backlog <= 0 {
		return nil
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = unix.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	return lerr
}

// Strerror is the system error under err as the reference prints it
// ("Cannot assign requested address"): strerror(3)'s words.
func Strerror(err error) string { return strerror(err) }

// strerror is the system error under err as the reference prints it
// ("Cannot assign requested address").
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	m := errno.Error()
	return strings.ToUpper(m[:1]) + m[1:]
}
