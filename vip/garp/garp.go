// Package garp announces addresses a new VRRP master took over, as
// Keepalived does: for IPv4 a gratuitous ARP request (sender and target
// both the address, broadcast, from the interface's MAC); for IPv6 an
// unsolicited neighbour advertisement (override flag, to all nodes).
package garp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const (
	arpLen      = 28
	opRequest   = 1
	hwEthernet  = 1
	etherTypeIP = 0x0800
)

// Broadcast is the Ethernet broadcast address gratuitous ARPs go to.
var Broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// Packet returns the ARP payload announcing ip at mac.
func Packet(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("garp: MAC %v is not Ethernet", mac)
	}
	if !ip.Is4() {
		return nil, fmt.Errorf("garp: %v is not IPv4", ip)
	}
	b := make([]byte, arpLen)
	binary.BigEndian.PutUint16(b[0:], hwEthernet)
	binary.BigEndian.PutUint16(b[2:], etherTypeIP)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], opRequest)
	ip4 := ip.As4()
	copy(b[8:], mac)
	copy(b[14:], ip4[:])
	copy(b[18:], Broadcast)
	copy(b[24:], ip4[:])
	return b, nil
}

// Sender sends on one interface through an AF_PACKET socket.
type Sender struct {
	fd        int
	ifi       *net.Interface
	nl        *netlink.Handle // in the interface's namespace
	linkLocal netip.Addr      // IPv6 source of advertisements; zero when none
}

// Open opens the packet socket for iface. Call it inside the namespace the
// interface lives in.
func Open(iface string) (*Sender, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	// Protocol 0: send only, so the socket never queues received frames.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("garp: packet socket: %w", err)
	}
	// The link-local address may come later; a netlink handle opened
	// here finds it in this namespace whichever thread asks.
	nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("garp: netlink: %w", err)
	}
	return &Sender{fd: fd, ifi: ifi, nl: nl}, nil
}

// findLinkLocal looks for the interface's IPv6 link-local address, which
// the kernel adds some time after the link comes up.
func (s *Sender) findLinkLocal() {
	if s.linkLocal.IsValid() {
		return
	}
	link := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: s.ifi.Index}}
	addrs, err := s.nl.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return
	}
	for _, a := range addrs {
		ip, _ := netip.AddrFromSlice(a.IP)
		if ip.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
			s.linkLocal = ip
			return
		}
	}
}

// Send announces ip once.
func (s *Sender) Send(ip netip.Addr) error {
	proto, dst := uint16(unix.ETH_P_ARP), Broadcast
	var b []byte
	var err error
	if ip.Is6() {
		s.findLinkLocal()
		if !s.linkLocal.IsValid() {
			return fmt.Errorf("garp: %s has no IPv6 link-local address to advertise %v from", s.ifi.Name, ip)
		}
		proto, dst = unix.ETH_P_IPV6, allNodesMAC
		b, err = NeighborAdvert(s.ifi.HardwareAddr, s.linkLocal, ip)
	} else {
		b, err = Packet(s.ifi.HardwareAddr, ip)
	}
	if err != nil {
		return err
	}
	to := &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: s.ifi.Index, Halen: 6}
	copy(to.Addr[:], dst)
	if err := unix.Sendto(s.fd, b, 0, to); err != nil {
		return fmt.Errorf("garp on %s: %w", s.ifi.Name, err)
	}
	return nil
}

// Close closes the socket.
func (s *Sender) Close() error {
	if s.fd < 0 {
		return errors.New("garp: already closed")
	}
	err := unix.Close(s.fd)
	s.fd = -1
	s.nl.Close()
	return err
}

// AllNodes is the IPv6 destination of unsolicited neighbour advertisements.
var AllNodes = netip.MustParseAddr("ff02::1")

// allNodesMAC is ff02::1's Ethernet multicast address.
var allNodesMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}

const (
	icmpv6          = 58
	typeNeighAdvert = 136
	flagOverride    = 0x20
	optTargetLLAddr = 2
)

// NeighborAdvert returns an IPv6 packet (header included) from src to
// ff02::1 advertising that target is at mac, with the override flag.
func NeighborAdvert(mac net.HardwareAddr, src, target netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("garp: MAC %v is not Ethernet", mac)
	}
	if !target.Is6() || target.Is4In6() || !src.Is6() {
		return nil, fmt.Errorf("garp: %v from %v is not IPv6", target, src)
	}
	const icmpLen = 32
	b := make([]byte, 40+icmpLen)
	b[0] = 6 << 4
	binary.BigEndian.PutUint16(b[4:], icmpLen)
	b[6], b[7] = icmpv6, 255
	s16, d16, t16 := src.As16(), AllNodes.As16(), target.As16()
	copy(b[8:], s16[:])
	copy(b[24:], d16[:])
	m := b[40:]
	m[0] = typeNeighAdvert
	m[4] = flagOverride
	copy(m[8:], t16[:])
	m[24], m[25] = optTargetLLAddr, 1
	copy(m[26:], mac)
	// Checksum over the pseudo-header (addresses, length, next header)
	// and the message.
	var sum uint32
	for _, part := range [][]byte{b[8:40], m} {
		for i := 0; i < len(part); i += 2 {
			sum += uint32(part[i])<<8 | uint32(part[i+1])
		}
	}
	sum += icmpLen + icmpv6
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(m[2:], ^uint16(sum))
	return b, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
