package vaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Route is one virtual_routes entry.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr // via; zero for a direct route
	Src     netip.Addr // src; zero for none
	Dev     string     // dev; "" means the instance's interface
	Metric  int
	Table   int // 0 means main
	Scope   int // netlink scope; 0 is universe (global)
}

func (r Route) String() string {
	s := r.Dst.String()
	if r.Gateway.IsValid() {
		s += " via " + r.Gateway.String()
	}
	if r.Dev != "" {
		s += " dev " + r.Dev
	}
	return s
}

// protoKeepalived marks routes as Keepalived's (`proto keepalived` in
// `ip route`), as the reference does.
const protoKeepalived = 18

func (m *Manager) route(r Route) (*netlink.Route, error) {
	nr := &netlink.Route{
		Protocol: protoKeepalived,
		Dst:      &net.IPNet{IP: r.Dst.Masked().Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
		Priority: r.Metric,
		Table:    r.Table,
		Scope:    netlink.Scope(r.Scope),
	}
	if r.Dev != "" {
		link, err := m.h.LinkByName(r.Dev)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", r, err)
		}
		nr.LinkIndex = link.Attrs().Index
	}
	if r.Gateway.IsValid() {
		nr.Gw = r.Gateway.AsSlice()
	} else if r.Scope == 0 && r.Dst.Addr().Is4() {
		// A route without a gateway is on the link, as `ip route` makes it.
		nr.Scope = netlink.SCOPE_LINK
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	return nr, nil
}

// AddRoute installs r; a route already there is not an error.
func (m *Manager) AddRoute(r Route) error {
	nr, err := m.route(r)
	if err != nil {
		return err
	}
	if err := m.h.RouteAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("adding route %s: %w", r, err)
	}
	return nil
}

// RemoveRoute deletes r; a route already gone is not an error.
func (m *Manager) RemoveRoute(r Route) error {
	nr, err := m.route(r)
	if err != nil {
		return err
	}
	if err := m.h.RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing route %s: %w", r, err)
	}
	return nil
}
