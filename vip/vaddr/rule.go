package vaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Rule is one virtual_rules entry (the common selectors).
type Rule struct {
	From, To   netip.Prefix // zero: any
	Table      int
	Preference int // 0 lets the kernel choose
	IIF, OIF   string
	FWMark     uint32
}

func (r Rule) String() string {
	s := "from all"
	if r.From.IsValid() {
		s = "from " + r.From.String()
	}
	if r.To.IsValid() {
		s += " to " + r.To.String()
	}
	return fmt.Sprintf("%s table %d", s, r.Table)
}

func prefixNet(p netip.Prefix) *net.IPNet {
	if !p.IsValid() {
		return nil
	}
	return &net.IPNet{IP: p.Masked().Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func (r Rule) netlink() *netlink.Rule {
	nr := netlink.NewRule()
	nr.Src, nr.Dst = prefixNet(r.From), prefixNet(r.To)
	nr.Table, nr.IifName, nr.OifName = r.Table, r.IIF, r.OIF
	nr.Protocol = protoKeepalived
	nr.Family = unix.AF_INET
	if (r.From.IsValid() && r.From.Addr().Is6()) || (r.To.IsValid() && r.To.Addr().Is6()) {
		nr.Family = unix.AF_INET6
	}
	if r.Preference > 0 {
		nr.Priority = r.Preference
	}
	if r.FWMark != 0 {
		nr.Mark = r.FWMark
	}
	return nr
}

// AddRule installs r; a rule already there is not an error.
func (m *Manager) AddRule(r Rule) error {
	if err := m.h.RuleAdd(r.netlink()); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("adding rule %s: %w", r, err)
	}
	return nil
}

// RemoveRule deletes r; a rule already gone is not an error.
func (m *Manager) RemoveRule(r Rule) error {
	if err := m.h.RuleDel(r.netlink()); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing rule %s: %w", r, err)
	}
	return nil
}
