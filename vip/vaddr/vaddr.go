// Package vaddr adds and removes what a VRRP master holds through netlink:
// virtual IP addresses and virtual routes.
package vaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// VIP is one virtual_ipaddress entry.
type VIP struct {
	Prefix    netip.Prefix // ADDR/PREFIX; the address as written, not masked
	Dev       string       // interface; "" means the instance's
	Label     string       // label L
	Broadcast netip.Addr   // brd B; zero for none
	Scope     int          // scope S as a netlink number; 0 is global
}

func (v VIP) String() string {
	s := v.Prefix.String()
	if v.Dev != "" {
		s += " dev " + v.Dev
	}
	if v.Label != "" {
		s += " label " + v.Label
	}
	return s
}

// Manager changes addresses in the network namespace it was made in.
type Manager struct {
	h *netlink.Handle
}

// New opens a netlink handle in the calling thread's namespace; it keeps
// working there whatever thread uses it later.
func New() (*Manager, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return &Manager{h: h}, nil
}

// Close releases the netlink handle.
func (m *Manager) Close() { m.h.Close() }

func (m *Manager) addr(v VIP) (netlink.Link, *netlink.Addr, error) {
	link, err := m.h.LinkByName(v.Dev)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", v, err)
	}
	a := &netlink.Addr{
		IPNet: &net.IPNet{IP: v.Prefix.Addr().AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), v.Prefix.Addr().BitLen())},
		Label: v.Label,
		Scope: v.Scope,
	}
	if v.Prefix.Addr().Is6() {
		// As Keepalived: a VIP must be usable at once, not after DAD.
		a.Flags = unix.IFA_F_NODAD
	}
	switch {
	case v.Broadcast.IsValid():
		a.Broadcast = v.Broadcast.AsSlice()
	case v.Prefix.Addr().Is4():
		// Keepalived sets no broadcast unless `brd` is given; netlink
		// would compute one unless told 0.0.0.0.
		a.Broadcast = net.IPv4zero
	}
	return link, a, nil
}

// Add puts v on its interface; an address already there is not an error.
func (m *Manager) Add(v VIP) error {
	link, a, err := m.addr(v)
	if err != nil {
		return err
	}
	if err := m.h.AddrAdd(link, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("adding %s: %w", v, err)
	}
	return nil
}

// Remove takes v off its interface; an address already gone is not an
// error.
func (m *Manager) Remove(v VIP) error {
	link, a, err := m.addr(v)
	if err != nil {
		return err
	}
	if err := m.h.AddrDel(link, a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing %s: %w", v, err)
	}
	return nil
}

// Has reports whether v's address is configured on its interface.
func (m *Manager) Has(v VIP) (bool, error) {
	link, _, err := m.addr(v)
	if err != nil {
		return false, err
	}
	family := netlink.FAMILY_V4
	if v.Prefix.Addr().Is6() {
		family = netlink.FAMILY_V6
	}
	list, err := m.h.AddrList(link, family)
	if err != nil {
		return false, err
	}
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == v.Prefix.Addr() {
			return true, nil
		}
	}
	return false, nil
}
