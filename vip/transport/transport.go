// Package transport sends and receives VRRP advertisements over IPv4: raw IP
// protocol 112 with our own IP header (TOS 0xc0, TTL 255, like Keepalived),
// to the multicast group joined on one interface or to unicast peers.
package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"fulcrum/vip/vrrp"
)

// tos is the IP precedence "internetwork control" Keepalived marks
// advertisements with.
const tos = 0xc0

// Config says where advertisements go.
type Config struct {
	Interface string
	// Src is the source address (mcast_src_ip / unicast_src_ip); zero
	// means the interface's primary IPv4 address.
	Src netip.Addr
	// Group is the multicast destination; zero means 224.0.0.18.
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
	raw   *ipv4.RawConn
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
	src := cfg.Src
	if !src.IsValid() {
		if src, err = PrimaryAddr(ifi); err != nil {
			return nil, err
		}
	}
	c := &Conn{ifi: ifi, src: src, group: cfg.Group, peers: cfg.Peers, ttl: cfg.TTL}
	if !c.group.IsValid() {
		c.group = vrrp.Group4
	}
	if c.ttl == 0 || len(c.peers) == 0 {
		c.ttl = vrrp.TTL
	}
	pc, err := net.ListenPacket(fmt.Sprintf("ip4:%d", vrrp.Protocol), "0.0.0.0")
	if err != nil {
		return nil, err
	}
	c.ip = pc.(*net.IPConn)
	if err := c.setup(); err != nil {
		c.ip.Close()
		return nil, fmt.Errorf("vrrp socket on %s: %w", cfg.Interface, err)
	}
	return c, nil
}

func (c *Conn) setup() error {
	sc, err := c.ip.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	// Only packets that arrive on our interface are ours.
	if err := sc.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, c.ifi.Name)
	}); err != nil || serr != nil {
		return errors.Join(err, serr)
	}
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

// PrimaryAddr is the first IPv4 address of ifi, the one Keepalived
// advertises from.
func PrimaryAddr(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP.To4()); ok && n.IP.To4() != nil {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address", ifi.Name)
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

// Send sends one already encoded message to dst with our IP header.
func (c *Conn) Send(dst netip.Addr, msg []byte) error {
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

// Receive blocks for the next datagram and returns it with the header
// fields the receive checks need. The message aliases buf.
func (c *Conn) Receive(buf []byte) (vrrp.Received, error) {
	h, msg, _, err := c.raw.ReadFrom(buf)
	if err != nil {
		return vrrp.Received{}, err
	}
	src, _ := netip.AddrFromSlice(h.Src.To4())
	dst, _ := netip.AddrFromSlice(h.Dst.To4())
	return vrrp.Received{Src: src, Dst: dst, TTL: h.TTL, TOS: h.TOS, HeaderLen: h.Len, TotalLen: h.TotalLen, Msg: msg}, nil
}

// Close closes the socket; a blocked Receive returns an error.
func (c *Conn) Close() error { return c.raw.Close() }
