// Package garp sends gratuitous ARP requests announcing an IPv4 address:
// ARP request with sender and target both the address, broadcast, from the
// interface's own MAC, as Keepalived does on becoming MASTER.
package garp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

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
	fd  int
	ifi *net.Interface
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
	return &Sender{fd: fd, ifi: ifi}, nil
}

// Send announces ip once.
func (s *Sender) Send(ip netip.Addr) error {
	b, err := Packet(s.ifi.HardwareAddr, ip)
	if err != nil {
		return err
	}
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: s.ifi.Index, Halen: 6}
	copy(to.Addr[:], Broadcast)
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
	return err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
