// Package srcbind binds outgoing connections to a configured local
// address, as HAProxy's `source` keyword does (port ranges, transparent
// `usesrc` and `interface` included).
package srcbind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// UseSrc is what `usesrc` binds to instead of the source address.
type UseSrc int

// The forms of `usesrc`.
const (
	UseNone     UseSrc = iota
	UseClientIP        // usesrc clientip: the client's address, any port
	UseClient          // usesrc client: the client's address and port
	UseAddr            // usesrc ADDR[:PORT]: a fixed, possibly foreign, address
)

// Source is one `source` setting.
type Source struct {
	// Addr is the address to bind (the unspecified address binds no
	// particular one).
	Addr netip.Addr
	// Port is the port to bind; PortHigh > Port makes it a range whose
	// ports are handed out in turn.
	Port, PortHigh uint16
	Use            UseSrc
	// UseAddr is the address of `usesrc ADDR[:PORT]`.
	UseAddr netip.AddrPort
	// Interface is `interface NAME` (SO_BINDTODEVICE).
	Interface string

	mu   sync.Mutex
	next int // index in the port range of the next port to try
}

// ErrTransparent and ErrBind are the two ways a source cannot be bound;
// their texts are the reference's ("Cannot bind to [tproxy ]source
// address before connect() for backend NAME").
var (
	ErrTransparent = errors.New("cannot bind to tproxy source address")
	ErrBind        = errors.New("cannot bind to source address")
)

// errSockopt marks a socket option the source needs that was refused.
var errSockopt = errors.New("setsockopt")

// Parse reads the words of a `source` line (or the value of a server's
// `source` option): ADDR[:PORT[-PORT]] [usesrc ADDR[:PORT]|client|clientip]
// [interface NAME].
func Parse(words []string) (*Source, error) {
	if len(words) == 0 {
		return nil, errors.New("'source' expects <addr>[:<port>]")
	}
	s := &Source{}
	var err error
	if s.Addr, s.Port, s.PortHigh, err = addrPorts(words[0]); err != nil {
		return nil, err
	}
	for i := 1; i < len(words); i++ {
		if i+1 >= len(words) {
			return nil, fmt.Errorf("'%s' expects an argument", words[i])
		}
		v := words[i+1]
		switch words[i] {
		case "usesrc":
			switch {
			case v == "client":
				s.Use = UseClient
			case v == "clientip":
				s.Use = UseClientIP
			case strings.HasPrefix(v, "hdr_ip("):
				return nil, fmt.Errorf("'usesrc %s' is not supported by Fulcrum", v)
			default:
				ip, port, high, err := addrPorts(v)
				if err != nil {
					return nil, err
				}
				if high != port {
					return nil, fmt.Errorf("port range not permitted in 'usesrc %s'", v)
				}
				s.Use, s.UseAddr = UseAddr, netip.AddrPortFrom(ip, port)
			}
		case "interface":
			s.Interface = v
		default:
			return nil, fmt.Errorf("unknown 'source' keyword '%s'", words[i])
		}
		i++
	}
	return s, nil
}

// addrPorts reads ADDR, ADDR:PORT, ADDR:LOW-HIGH, [V6]:PORT; "*" and ""
// are the unspecified IPv4 address.
func addrPorts(v string) (netip.Addr, uint16, uint16, error) {
	host, port := v, ""
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return netip.Addr{}, 0, 0, fmt.Errorf("invalid address '%s'", v)
		}
		host, port = v[1:end], strings.TrimPrefix(v[end+1:], ":")
	} else if i := strings.LastIndexByte(v, ':'); i >= 0 && strings.Count(v, ":") == 1 {
		host, port = v[:i], v[i+1:]
	}
	var ip netip.Addr
	if host == "" || host == "*" {
		ip = netip.IPv4Unspecified()
	} else {
		var err error
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, 0, 0, fmt.Errorf("source address '%s' must be a literal IP address in Fulcrum", host)
		}
	}
	if port == "" {
		return ip, 0, 0, nil
	}
	lo, hi, isRange := strings.Cut(port, "-")
	low, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return netip.Addr{}, 0, 0, fmt.Errorf("invalid port '%s' in '%s'", port, v)
	}
	high := low
	if isRange {
		if high, err = strconv.ParseUint(hi, 10, 16); err != nil || high < low || low == 0 {
			return netip.Addr{}, 0, 0, fmt.Errorf("invalid port range '%s' in '%s'", port, v)
		}
	}
	return ip, uint16(low), uint16(high), nil
}

// local is the address to bind for a connection from client (invalid
// for health checks, which have none); transparent tells whether it may
// be foreign to this host.
func (s *Source) local(client netip.AddrPort) (addr netip.AddrPort, transparent bool) {
	switch s.Use {
	case UseClientIP:
		if client.IsValid() {
			return netip.AddrPortFrom(client.Addr(), 0), true
		}
	case UseClient:
		if client.IsValid() {
			return client, true
		}
	case UseAddr:
		return s.UseAddr, true
	}
	// Health checks of a transparent source bind the source address.
	return netip.AddrPortFrom(s.Addr, s.Port), false
}

// ranged reports whether connections take their ports from a range.
func (s *Source) ranged() bool { return s.PortHigh > s.Port }

// takePort gives the next port of the range, in turn.
func (s *Source) takePort() uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.Port + uint16(s.next)
	s.next = (s.next + 1) % (int(s.PortHigh-s.Port) + 1)
	return p
}

// Dial connects d to addr from the source; client is the connection's
// client address (invalid for a health check). A port range is tried in
// turn from the next port until one binds and connects.
func (s *Source) Dial(ctx context.Context, d net.Dialer, addr string, client netip.AddrPort) (net.Conn, error) {
	local, transparent := s.local(client)
	tries := 1
	if !transparent && s.ranged() {
		tries = int(s.PortHigh-s.Port) + 1
	}
	d.ControlContext = chainControl(s.control(transparent, local.Port() == 0), d)
	d.Control = nil
	for i := 0; ; i++ {
		if !transparent && s.ranged() {
			local = netip.AddrPortFrom(local.Addr(), s.takePort())
		}
		d.LocalAddr = net.TCPAddrFromAddrPort(local)
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, nil
		}
		if !isBindError(err) {
			return nil, err
		}
		if i+1 >= tries {
			if transparent {
				return nil, fmt.Errorf("%w: %v", ErrTransparent, err)
			}
			return nil, fmt.Errorf("%w: %v", ErrBind, err)
		}
	}
}

// isBindError: the local address could not be had (in use, not local,
// or the same connection exists already).
func isBindError(err error) bool {
	var se *os.SyscallError
	if errors.As(err, &se) && se.Syscall == "bind" || errors.Is(err, errSockopt) {
		return true
	}
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EADDRNOTAVAIL)
}

// control sets the socket options HAProxy sets before binding: address
// reuse, transparency for foreign addresses, the interface, and no port
// reservation at bind time when any port will do.
// chainControl runs own, then the control function d already had (the
// caller's socket options), as one ControlContext.
func chainControl(own func(network, address string, c syscall.RawConn) error, d net.Dialer) func(context.Context, string, string, syscall.RawConn) error {
	prev, prevCtx := d.Control, d.ControlContext
	return func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := own(network, address, c); err != nil {
			return err
		}
		switch {
		case prevCtx != nil:
			return prevCtx(ctx, network, address, c)
		case prev != nil:
			return prev(network, address, c)
		}
		return nil
	}
}

func (s *Source) control(transparent, anyPort bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			set := func(level, opt int) {
				if serr == nil {
					serr = unix.SetsockoptInt(int(fd), level, opt, 1)
				}
			}
			set(unix.SOL_SOCKET, unix.SO_REUSEADDR)
			if transparent {
				if strings.HasSuffix(network, "6") {
					set(unix.SOL_IPV6, unix.IPV6_TRANSPARENT)
				} else {
					set(unix.SOL_IP, unix.IP_TRANSPARENT)
				}
			}
			if anyPort && serr == nil {
				// Best effort, as in the reference: old kernels lack it.
				unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
			}
			if s.Interface != "" && serr == nil {
				// Best effort too: the reference connects anyway when
				// the device cannot be bound (an unknown name).
				unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, s.Interface)
			}
		})
		if err != nil {
			return err
		}
		if serr != nil {
			// Reported like a failed bind: the source cannot be had.
			return fmt.Errorf("%w: %w", errSockopt, serr)
		}
		return nil
	}
}
