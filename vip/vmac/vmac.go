// Package vmac creates the VRRP virtual MAC interface of use_vmac: a
// macvlan on the instance's interface with the MAC 00:00:5e:00:01:VRID (or
// 00:00:5e:00:02:VRID for IPv6), so the virtual addresses keep one MAC
// whichever node holds them.
package vmac

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// MAC is the virtual router MAC address of RFC 5798 section 7.3.
func MAC(vrid uint8, ipv6 bool) net.HardwareAddr {
	kind := byte(1)
	if ipv6 {
		kind = 2
	}
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, kind, vrid}
}

// DefaultName is Keepalived's name for the interface: vrrp.VRID.
func DefaultName(vrid uint8) string { return fmt.Sprintf("vrrp.%d", vrid) }

// Link is a virtual MAC interface this package made or found.
type Link struct {
	Name string
	h    *netlink.Handle // in the namespace of the interface
}

// Ensure creates (or reuses) the macvlan name on base with the virtual
// MAC, in private mode, and sets it up. Like Keepalived it makes base
// answer ARP only for its own addresses (arp_ignore 1), so that the
// virtual MAC is the one that answers for the virtual addresses. Call it
// inside the namespace of base; the Link stays bound to it.
func Ensure(name, base string, vrid uint8, ipv6 bool) (_ *Link, err error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			h.Close()
		}
	}()
	parent, err := h.LinkByName(base)
	if err != nil {
		return nil, fmt.Errorf("use_vmac: %s: %w", base, err)
	}
	mac := MAC(vrid, ipv6)
	if l, err := h.LinkByName(name); err == nil {
		if l.Type() != "macvlan" || l.Attrs().ParentIndex != parent.Attrs().Index {
			return nil, fmt.Errorf("use_vmac: %s exists and is not a macvlan on %s", name, base)
		}
	} else {
		link := &netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parent.Attrs().Index, HardwareAddr: mac},
			Mode:      netlink.MACVLAN_MODE_PRIVATE,
		}
		if err := h.LinkAdd(link); err != nil {
			return nil, fmt.Errorf("use_vmac: creating %s: %w", name, err)
		}
	}
	l, err := h.LinkByName(name)
	if err != nil {
		return nil, err
	}
	if err := h.LinkSetUp(l); err != nil {
		return nil, err
	}
	// The settings Keepalived 2.2.7 makes (checked on the reference).
	if err := errors.Join(
		sysctl("ipv4/conf/"+base+"/arp_ignore", "1"),
		sysctl("ipv4/conf/"+base+"/arp_filter", "1"),
		sysctl("ipv4/conf/"+name+"/arp_ignore", "1"),
		sysctl("ipv4/conf/"+name+"/accept_local", "1"),
	); err != nil {
		return nil, err
	}
	if !ipv6 {
		// A backup's idle interface must not send IPv6 neighbour
		// discovery from the shared MAC and confuse the switches.
		_ = sysctl("ipv6/conf/"+name+"/disable_ipv6", "1")
	}
	return &Link{Name: name, h: h}, nil
}

// Remove deletes the interface (a missing one is not an error) and
// releases the handle.
func (l *Link) Remove() error {
	defer l.h.Close()
	link, err := l.h.LinkByName(l.Name)
	if err != nil {
		return nil
	}
	return l.h.LinkDel(link)
}

// sysctl writes a net sysctl of the calling thread's namespace.
func sysctl(key, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys/net", key), []byte(value), 0)
}

// Close releases the handle and leaves the interface in place.
func (l *Link) Close() { l.h.Close() }
