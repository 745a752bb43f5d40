// Package transport sends and receives VRRP advertisements: raw IP
// protocol 112, over IPv4 with our own IP header (TOS 0xc0, TTL 255, like
// Keepalived) and over IPv6 (traffic class 0xc0, hop limit 255, from the
// link-local address), to the multicast group joined on one interface or
// to unicast peers.
package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"fulcrum/vip/vrrp"
)

// tos is the IP precedence "internetwork control" Keepalived marks
// advertisements with.
const tos = 0xc0

// Config says where advertisements go.
type Config struct {
	Interface string
	// IPv6 selects VRRPv3 over IPv6 (group ff02::12); implied by an IPv6
	// Src or peers.
	IPv6 bool
	// Src is the source address (mcast_src_ip / unicast_src_ip); zero
	// means the interface's primary IPv4 address, or its IPv6 link-local
	// one.
	Src netip.Addr
	// Group is the multicast destination; zero means 224.0.0.18 or
	// ff02::12.
	Group netip.Addr
	// Peers, when set, replace multicast by unicast to each of them.
	Peers []netip.Addr
	// TTL of unicast advertisements (unicast_ttl); zero means 255.
	// Multicast always uses 255.
	TTL int
}

// Conn is an open VRRP socket. Open it inside the network namespace it is
// for: it stays there.
type Conn struct {
	ip    *net.IPConn
	raw   *ipv4.RawConn    // IPv4
	pc6   *ipv6.PacketConn // IPv6
	ifi   *net.Interface
	src   netip.Addr
	group netip.Addr
	peers []netip.Addr
	ttl   int
}

// Listen opens the socket bound to cfg.Interface and joins the group unless
// peers are given.
func Listen(cfg Config) (*Conn, error) {
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, err
	}
	is6 := cfg.IPv6 || cfg.Src.Is6() || (len(cfg.Peers) > 0 && cfg.Peers[0].Is6())
	src := cfg.Src
	if !src.IsValid() {
		if src, err = PrimaryAddr(ifi, is6); err != nil {
			return nil, err
		}
	}
	c := &Conn{ifi: ifi, src: src, group: cfg.Group, peers: cfg.Peers, ttl: cfg.TTL}
	if !c.group.IsValid() {
		c.group = vrrp.Group4
		if is6 {
			c.group = vrrp.Group6
		}
	}
	if c.ttl == 0 || len(c.peers) == 0 {
		c.ttl = vrrp.TTL
	}
	network, wildcard := "ip4", "0.0.0.0"
	if is6 {
		network, wildcard = "ip6", "::"
	}
	pc, err := net.ListenPacket(fmt.Sprintf("%s:%d", network, vrrp.Protocol), wildcard)
	if err != nil {
		return nil, err
	}
	c.ip = pc.(*net.IPConn)
	err = c.bindToDevice()
	if err == nil && is6 {
		err = c.setup6()
	} else if err == nil {
		err = c.setup4()
	}
	if err != nil {
		c.ip.Close()
		return nil, fmt.Errorf("vrrp socket on %s: %w", cfg.Interface, err)
	}
	return c, nil
}

// bindToDevice makes the socket see only packets that arrive on our
// interface.
func (c *Conn) bindToDevice() error {
	sc, err := c.ip.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, c.ifi.Name)
	}); err != nil || serr != nil {
		return errors.Join(err, serr)
	}
	return nil
}

func (c *Conn) setup4() (err error) {
	if c.raw, err = ipv4.NewRawConn(c.ip); err != nil {
		return err
	}
	if err := c.raw.SetMulticastInterface(c.ifi); err != nil {
		return err
	}
	// Our own adverts must not come back to us.
	if err := c.raw.SetMulticastLoopback(false); err != nil {
		return err
	}
	if len(c.peers) == 0 {
		return c.raw.JoinGroup(c.ifi, &net.IPAddr{IP: c.group.AsSlice()})
	}
	return nil
}

func (c *Conn) setup6() error {
	c.pc6 = ipv6.NewPacketConn(c.ip)
	if err := errors.Join(
		c.pc6.SetMulticastInterface(c.ifi),
		c.pc6.SetMulticastLoopback(false),
		c.pc6.SetMulticastHopLimit(vrrp.TTL),
		c.pc6.SetHopLimit(c.ttl),
		c.pc6.SetTrafficClass(tos),
		c.pc6.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst, true),
	); err != nil {
		return err
	}
	if len(c.peers) == 0 {
		return c.pc6.JoinGroup(c.ifi, &net.IPAddr{IP: c.group.AsSlice()})
	}
	return nil
}

// PrimaryAddr is the address Keepalived advertises from: the first IPv4
// address of ifi, or its IPv6 link-local address.
func PrimaryAddr(ifi *net.Interface, ipv6 bool) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, _ := netip.AddrFromSlice(n.IP)
		ip = ip.Unmap()
		if (!ipv6 && ip.Is4()) || (ipv6 && ip.Is6() && ip.IsLinkLocalUnicast()) {
			return ip, nil
		}
	}
	kind := "IPv4"
	if ipv6 {
		kind = "IPv6 link-local"
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no %s address", ifi.Name, kind)
}

// Src is the source address of our advertisements.
func (c *Conn) Src() netip.Addr { return c.src }

// Unicast reports whether advertisements go to peers.
func (c *Conn) Unicast() bool { return len(c.peers) > 0 }

// Destinations are the addresses each advertisement is sent to.
func (c *Conn) Destinations() []netip.Addr {
	if c.Unicast() {
		return c.peers
	}
	return []netip.Addr{c.group}
}

// Send sends one already encoded message to dst.
func (c *Conn) Send(dst netip.Addr, msg []byte) error {
	if c.pc6 != nil {
		cm := &ipv6.ControlMessage{Src: c.src.AsSlice(), IfIndex: c.ifi.Index}
		_, err := c.pc6.WriteTo(msg, cm, &net.IPAddr{IP: dst.AsSlice(), Zone: zone(dst, c.ifi)})
		return err
	}
	h := &ipv4.Header{
		Version:  ipv4.Version,
		Len:      ipv4.HeaderLen,
		TOS:      tos,
		TotalLen: ipv4.HeaderLen + len(msg),
		TTL:      c.ttl,
		Protocol: vrrp.Protocol,
		Src:      c.src.AsSlice(),
		Dst:      dst.AsSlice(),
	}
	return c.raw.WriteTo(h, msg, nil)
}

// zone scopes link-local and link-scope multicast destinations to ifi, by
// index: a name would be looked up in the calling thread's namespace.
func zone(dst netip.Addr, ifi *net.Interface) string {
	if dst.Is6() && (dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast()) {
		return strconv.Itoa(ifi.Index)
	}
	return ""
}

// Receive blocks for the next datagram and returns it with the header
// fields the receive checks need. The message aliases buf.
func (c *Conn) Receive(buf []byte) (vrrp.Received, error) {
	if c.pc6 != nil {
		n, cm, from, err := c.pc6.ReadFrom(buf)
		if err != nil {
			return vrrp.Received{}, err
		}
		r := vrrp.Received{Msg: buf[:n]}
		if a, ok := from.(*net.IPAddr); ok {
			r.Src, _ = netip.AddrFromSlice(a.IP)
		}
		if cm != nil {
			r.Dst, _ = netip.AddrFromSlice(cm.Dst)
			r.TTL = cm.HopLimit
		}
		return r, nil
	}
	h, msg, _, err := c.raw.ReadFrom(buf)
	if err != nil {
		return vrrp.Received{}, err
	}
	src, _ := netip.AddrFromSlice(h.Src.To4())
	dst, _ := netip.AddrFromSlice(h.Dst.To4())
	return vrrp.Received{Src: src, Dst: dst, TTL: h.TTL, TOS: h.TOS, HeaderLen: h.Len, TotalLen: h.TotalLen, Msg: msg}, nil
}

// Close closes the socket; a blocked Receive returns an error.
func (c *Conn) Close() error { return c.ip.Close() }

// SetReadDeadline bounds a blocked Receive.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.ip.SetReadDeadline(t) }
