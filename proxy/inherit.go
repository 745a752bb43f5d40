package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listening sockets opened by one process and served by another: a
// master-worker master binds (as root, before any chroot) and its workers
// inherit the sockets (Options.Inherit), so a reload hands every still
// configured socket over without refusing a connection.

// eachSocket calls fn for every listening socket cfg asks for, with the key
// that names the socket across reloads and processes: one per port of a
// range; a port-0 bind (the kernel picks) is keyed by frontend and position.
func eachSocket(cfg *Config, fn func(key string, fc *Frontend, b Bind)) {
	for _, fc := range cfg.Frontends {
		for i, b := range fc.Binds {
			a := b.Addr
			switch {
			case a.PortLow == 0 && a.Family <= FamilyIPv6:
				fn(fmt.Sprintf("%s#%s/%d", socketKey(a, 0), fc.Name, i), fc, b)
			case a.Family == FamilyUnix || a.Family == FamilyABNS || a.Family == FamilyFD:
				fn(a.Key(), fc, b)
			default:
				for p := int(a.PortLow); p <= int(a.PortHigh); p++ {
					fn(socketKey(a, uint16(p)), fc, b)
				}
			}
		}
	}
}

// bindBacklog is the listen(2) backlog of a bind: its own, else the
// frontend's backlog, else the frontend's maxconn.
func bindBacklog(b Bind, fc *Frontend) int {
	switch {
	case b.Backlog != 0:
		return b.Backlog
	case fc.Backlog != 0:
		return fc.Backlog
	}
	return fc.MaxConn
}

// inherited asks Options.Inherit for the socket of key.
func (e *Engine) inherited(key string) net.Listener {
	if e.opts.Inherit == nil {
		return nil
	}
	return e.opts.Inherit(key)
}

// BindSockets opens, with every bind option applied, the listening
// sockets cfg asks for that have is missing, and returns the full set by
// key, with the files of have that are still wanted; the caller closes
// the others of have once it commits to the new set. On an error what
// was opened is closed again.
func BindSockets(cfg *Config, have map[string]*os.File) (map[string]*os.File, error) {
	out := map[string]*os.File{}
	var err error
	eachSocket(cfg, func(k string, fc *Frontend, b Bind) {
		if err != nil || out[k] != nil {
			return
		}
		if f := have[k]; f != nil {
			out[k] = f
			return
		}
		one := b
		if b.Addr.PortLow != 0 && b.Addr.Family <= FamilyIPv6 {
			// One port of a range: open just this one.
			p := portOfKey(b.Addr, k)
			one.Addr.PortLow, one.Addr.PortHigh = p, p
		}
		var socks map[string]net.Listener
		socks, err = openSockets(one, bindBacklog(b, fc))
		for _, ln := range socks {
			if err == nil {
				out[k], err = listenerFile(ln)
			}
			ln.Close()
		}
	})
	if err != nil {
		for k, f := range out {
			if have[k] != f {
				f.Close()
			}
		}
		return nil, err
	}
	return out, nil
}

// portOfKey finds which port of a's range key names.
func portOfKey(a ListenAddr, key string) uint16 {
	for p := int(a.PortLow); p <= int(a.PortHigh); p++ {
		if socketKey(a, uint16(p)) == key {
			return uint16(p)
		}
	}
	return a.PortLow
}

// listenerFile duplicates a listener's socket into a file that outlives it.
func listenerFile(ln net.Listener) (*os.File, error) {
	fl, ok := ln.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("%v: socket cannot be passed on", ln.Addr())
	}
	return fl.File()
}

// SocketFile is a listening socket passed between processes, with the
// interface it is bound to (`_getsocks` tells it along).
type SocketFile struct {
	File      *os.File
	Interface string
}

// ExportListeners duplicates the engine's listening sockets for another
// process (`_getsocks`, haproxy -x); the caller closes the files.
func (e *Engine) ExportListeners() []SocketFile {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []SocketFile
	for _, l := range e.listeners {
		f, err := listenerFile(l.ln)
		if err != nil {
			continue
		}
		out = append(out, SocketFile{File: f, Interface: l.bind.Load().Interface})
	}
	return out
}

// MatchSockets assigns sockets received from another process to the
// sockets cfg asks for, as HAProxy's -x does: same bound address (a unix
// path with the reference's ".PID.tmp" suffix counts as the path), a
// listening stream socket, same interface. Keys are BindSockets'; the
// files not assigned are the caller's to close.
func MatchSockets(cfg *Config, got []SocketFile) map[string]*os.File {
	names := make([]string, len(got))
	for i, s := range got {
		names[i] = boundName(s.File)
	}
	out := map[string]*os.File{}
	eachSocket(cfg, func(k string, _ *Frontend, b Bind) {
		want := wantedName(b, k)
		if want == "" || out[k] != nil {
			return
		}
		for i, s := range got {
			if names[i] == want && s.Interface == b.Interface {
				out[k], names[i] = s.File, ""
				return
			}
		}
	})
	return out
}

// tmpSuffix is what HAProxy appends to a unix socket path while binding
// (it renames the socket afterwards; getsockname keeps the first name).
var tmpSuffix = regexp.MustCompile(`\.\d+\.tmp$`)

// boundName describes the local address of a listening stream socket
// ("" for anything else), comparable with wantedName.
func boundName(f *os.File) string {
	rc, err := f.SyscallConn()
	if err != nil {
		return ""
	}
	name := ""
	_ = rc.Control(func(u uintptr) {
		fd := int(u)
		typ, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		acc, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
		sa, err3 := unix.Getsockname(fd)
		if err1 != nil || err2 != nil || err3 != nil || typ != unix.SOCK_STREAM || acc != 1 {
			return
		}
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			name = "tcp4 " + netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
		case *unix.SockaddrInet6:
			name = "tcp6 " + netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
		case *unix.SockaddrUnix:
			if strings.HasPrefix(a.Name, "@") {
				name = "abns " + a.Name[1:]
			} else {
				name = "unix " + tmpSuffix.ReplaceAllString(a.Name, "")
			}
		}
	})
	return name
}

// wantedName is boundName of the socket key k of bind b would have; ""
// when it cannot be known (port 0, fd@).
func wantedName(b Bind, k string) string {
	a := b.Addr
	switch a.Family {
	case FamilyUnix:
		return "unix " + a.Path
	case FamilyABNS:
		return "abns " + a.Path
	case FamilyFD:
		return ""
	}
	port := portOfKey(a, k)
	if port == 0 {
		return ""
	}
	host := a.Host
	switch {
	case host.IsValid():
	case a.Family == FamilyIPv6:
		host = netip.IPv6Unspecified()
	default:
		host = netip.IPv4Unspecified()
	}
	network := "tcp4 "
	if host.Is6() {
		network = "tcp6 "
	}
	return network + netip.AddrPortFrom(host, port).String()
}

// unlisten makes the kernel refuse connections on a shared (inherited)
// TCP socket while it stays open and bound, as HAProxy pauses its
// listeners: shutdown(2) on a listening socket stops listening and drops
// the queue; relisten listens again. Other sockets are left as they are
// (they merely stop being accepted from).
func (l *listener) unlisten() {
	if l.tcp() {
		l.control(func(fd int) { _ = unix.Shutdown(fd, unix.SHUT_RD) })
	}
}

func (l *listener) relisten() {
	if !l.tcp() {
		return
	}
	b := l.bind.Load()
	backlog := b.Backlog
	if fe := l.fe.Load(); backlog == 0 && fe != nil {
		backlog = bindBacklog(*b, fe.cfg)
	}
	if backlog <= 0 {
		backlog = unix.SOMAXCONN
	}
	l.control(func(fd int) { _ = unix.Listen(fd, backlog) })
}

// tcp tells whether the listener is a TCP socket shared with other
// processes: the ones unlisten acts on.
func (l *listener) tcp() bool {
	if !l.inherited && l.bind.Load().Addr.Family != FamilyFD {
		return false
	}
	_, ok := l.ln.(*net.TCPListener)
	return ok
}

func (l *listener) control(fn func(fd int)) {
	sc, ok := l.ln.(syscall.Conn)
	if !ok {
		return
	}
	if rc, err := sc.SyscallConn(); err == nil {
		_ = rc.Control(func(u uintptr) { fn(int(u)) })
	}
}
