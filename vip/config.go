package vip

import (
	"fmt"
	"net/netip"
	"time"

	"fulcrum/vip/notify"
	"fulcrum/vip/vaddr"
	"fulcrum/vip/vrrp"
)

// VIP is one virtual address: ADDR/PREFIX with dev, brd, scope and label.
type VIP = vaddr.VIP

// Route is one virtual_routes entry.
type Route = vaddr.Route

// Rule is one virtual_rules entry.
type Rule = vaddr.Rule

// Track is one tracked object (interface, script, file, process) and its
// weight. Weight 0: failing puts the instance in FAULT. Positive: added to
// the priority while it succeeds. Negative: added while it fails.
//
// A tracked file (vrrp_track_file) reports a number instead: weight 0
// means FAULT when it is not 0; otherwise number x weight (negated with
// Reverse) is added, and a result of -254 or less means FAULT.
type Track struct {
	Name    string
	Weight  int
	File    bool // a vrrp_track_file: counts 0 until a number is reported
	Reverse bool // track_file `weight N reverse`
}

// Config is everything one VRRP instance needs. It is the engine's own
// shape; the daemon maps keepalived.conf's vrrp_instance onto it.
type Config struct {
	Name      string // vrrp_instance NAME
	Interface string
	VRID      uint8
	Priority  uint8 // 1-255; 255 owns the addresses
	// InitialMaster is `state MASTER` (the model also sets it for
	// priority 255 without a state): with priority 255 the instance is
	// MASTER at once; otherwise it waits in BACKUP like everyone.
	InitialMaster bool
	Interval      time.Duration // advert_int
	Version       int           // 2 or 3
	AuthType      vrrp.AuthType // v2 only
	AuthPass      string        // truncated/zero-padded to 8 bytes on the wire
	VIPs          []VIP
	// SrcAddr is mcast_src_ip / unicast_src_ip; zero: the interface's
	// primary address.
	SrcAddr      netip.Addr
	UnicastPeers []netip.Addr
	UnicastTTL   int        // unicast_ttl; 0 means 255
	McastGroup   netip.Addr // zero: 224.0.0.18
	NoPreempt    bool
	PreemptDelay time.Duration
	// SkipCheckAdvAddr is vrrp_skip_check_adv_addr.
	SkipCheckAdvAddr bool
	// Strict is vrrp_strict: adverts with another address list are
	// dropped, a master does not answer lower priorities at once, and no
	// authentication is used.
	Strict bool

	// ExcludedVIPs (virtual_ipaddress_excluded) are added and removed
	// with the VIPs but neither advertised nor compared with adverts.
	ExcludedVIPs []VIP
	// DontTrackPrimary is dont_track_primary: the instance's own
	// interface going down does not put it in FAULT.
	DontTrackPrimary bool

	// UseVMAC is use_vmac: the addresses live on a macvlan with the
	// virtual router MAC, VMACName ("" for vrrp.VRID), and adverts leave
	// from it unless VMACXmitBase.
	UseVMAC      bool
	VMACName     string
	VMACXmitBase bool

	// Routes (virtual_routes) are installed after the addresses on
	// becoming MASTER and removed before them on leaving it.
	Routes []Route
	// Rules (virtual_rules) follow the routes.
	Rules []Rule

	GARPDelay         time.Duration // garp_master_delay: second burst after this; 0 none
	GARPRepeat        int           // garp_master_repeat: packets per burst
	GARPRefresh       time.Duration // garp_master_refresh: periodic burst while MASTER; 0 none
	GARPRefreshRepeat int           // garp_master_refresh_repeat: packets per periodic burst
	GARPInterval      time.Duration // vrrp_garp_interval: pause between ARP packets
	GNAInterval       time.Duration // vrrp_gna_interval: pause between neighbour advertisements

	Tracks []Track

	// Notify are notify_master, notify_backup, notify_fault, notify_stop
	// and notify.
	Notify notify.Scripts
}

// Defaults returns a Config with Keepalived's defaults for the fields the
// configuration may leave out.
func Defaults() Config {
	return Config{Priority: 100, Interval: time.Second, Version: 2, GARPDelay: 5 * time.Second, GARPRepeat: 5,
		GARPRefreshRepeat: 1}
}

// Validate reports settings the engine cannot run with.
func (c *Config) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("vrrp instance without a name")
	case c.Interface == "":
		return fmt.Errorf("(%s) no interface", c.Name)
	case c.VRID == 0:
		return fmt.Errorf("(%s) VRID 0 is not valid", c.Name)
	case c.Priority == 0:
		return fmt.Errorf("(%s) priority 0 is not valid", c.Name)
	case c.Version != 2 && c.Version != 3:
		return fmt.Errorf("(%s) VRRP version %d", c.Name, c.Version)
	case c.Version == 2 && (c.Interval < time.Second || c.Interval%time.Second != 0 || c.Interval > 255*time.Second):
		return fmt.Errorf("(%s) VRRPv2 advertisement interval %v: whole seconds 1-255", c.Name, c.Interval)
	case c.Version == 3 && (c.Interval < 10*time.Millisecond || c.Interval%(10*time.Millisecond) != 0 || c.Interval > 40950*time.Millisecond):
		return fmt.Errorf("(%s) VRRPv3 advertisement interval %v: 10ms steps up to 40.95s", c.Name, c.Interval)
	}
	for _, v := range c.VIPs {
		if v.Prefix.Addr().Is6() != c.IPv6() {
			return fmt.Errorf("(%s) %v: virtual addresses of both families in one instance", c.Name, v.Prefix)
		}
	}
	if c.IPv6() && c.Version != 3 {
		return fmt.Errorf("(%s) cannot use IPv6 with VRRP version 2", c.Name)
	}
	return nil
}

// IPv6 reports whether the instance is an IPv6 one (VRRPv3 over IPv6), as
// its first virtual address says.
func (c *Config) IPv6() bool {
	return len(c.VIPs) > 0 && c.VIPs[0].Prefix.Addr().Is6()
}

// effectivePriority combines the base priority with the tracked objects'
// states the way Keepalived does: weights of succeeding positive and failing
// negative trackers are added, kept within 1-254, an owner never changes,
// and a failing weight-0 tracker means FAULT.
func effectivePriority(base uint8, tracks []Track, ok map[string]bool, values map[string]int) (prio int, fault bool) {
	prio = int(base)
	for _, t := range tracks {
		if t.File {
			v := values[t.Name]
			if t.Reverse {
				v = -v
			}
			switch delta := v * t.Weight; {
			case t.Weight == 0 && v != 0, t.Weight != 0 && delta <= -254:
				fault = true
			default:
				prio += delta
			}
			continue
		}
		up, known := ok[t.Name]
		if !known {
			up = true
		}
		switch {
		case t.Weight == 0 && !up:
			fault = true
		case t.Weight > 0 && up, t.Weight < 0 && !up:
			prio += t.Weight
		}
	}
	if base == 255 {
		return 255, fault
	}
	return min(max(prio, 1), 254), fault
}
