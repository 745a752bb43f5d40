package keepalived

import (
	"net/netip"
	"os/user"
	"strconv"
	"strings"

	kc "fulcrum/confparse/keepalivedconf"
)

// parseIP reads ADDR[/PREFIX] the reference's way: an address containing
// ':' is IPv6, a bad prefix length is reported and replaced by the full
// length, a bad address is reported and rejected.
func (p *parser) parseIP(s string, allowPrefix bool) (netip.Prefix, bool) {
	v6 := strings.Contains(s, ":")
	bits := 32
	if v6 {
		bits = 128
	}
	addrText := s
	if allowPrefix {
		if a, pl, ok := strings.Cut(s, "/"); ok {
			addrText = a
			if n, ok := p.readUnsignedQuiet(pl, 0, uint64(bits)); ok {
				bits = int(n)
			} else {
				p.report(kc.ClassGeneral, "Invalid address prefix len "+pl+" for address "+s+" - using "+itoa(bits))
			}
		}
	}
	a, err := netip.ParseAddr(addrText)
	if err != nil || a.Is6() != v6 || a.Zone() != "" {
		p.report(kc.ClassGeneral, "VRRP parsed invalid IP "+s+". skipping IP...")
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, bits), true
}

// readUnsignedQuiet is readUnsigned for callers that report their own
// message; the reference still prints the number error first.
func (p *parser) readUnsignedQuiet(s string, lo, hi uint64) (uint64, bool) {
	return p.readUnsigned(s, lo, hi)
}

// address reads one virtual_ipaddress / static_ipaddress entry.
func (p *parser) address(v []string, static bool) *Address {
	pfx, ok := p.parseIP(v[0], true)
	if !ok {
		return nil
	}
	a := &Address{Prefix: pfx}
	missing := ""
	for i := 1; i < len(v) && missing == ""; i++ {
		kw := v[i]
		next := func() (string, bool) {
			if i+1 >= len(v) {
				missing = kw
				return "", false
			}
			i++
			return v[i], true
		}
		switch kw {
		case "dev":
			d, ok := next()
			if !ok {
				break
			}
			if a.Dev != "" {
				p.report(kc.ClassGeneral, "Cannot specify ipaddress device more than once for "+v[0])
				break
			}
			if exists, _ := p.load.ifaceExists(d); !exists {
				p.load.badInterface = true
				p.report(kc.ClassGeneral, "WARNING - interface "+d+" for ip address "+v[0]+" doesn't exist")
				return nil
			}
			a.Dev = d
		case "scope":
			if s, ok := next(); ok {
				a.Scope = s
			}
		case "broadcast", "brd":
			if s, ok := next(); ok {
				a.Broadcast = s
			}
		case "label":
			if s, ok := next(); ok {
				if len(s) >= 16 {
					p.report(kc.ClassGeneral, "Address label "+s+" is longer than maximum length 15 - removing address")
					return nil
				}
				a.Label = s
			}
		case "peer":
			if s, ok := next(); ok {
				a.Peer = s
			}
		case "preferred_lft", "track_group":
			if s, ok := next(); ok {
				a.Options = append(a.Options, kw, s)
			}
		case "home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin", "no_track":
			a.Options = append(a.Options, kw)
		case "use_vmac":
			if static {
				p.report(kc.ClassGeneral, "Unknown configuration entry '"+kw+"' for ip address - ignoring")
				break
			}
			a.Options = append(a.Options, kw)
			if i+1 < len(v) && !isAddrKeyword(v[i+1]) {
				i++
				a.Options = append(a.Options, v[i])
			}
		default:
			p.report(kc.ClassGeneral, "Unknown configuration entry '"+kw+"' for ip address - ignoring")
		}
	}
	if missing != "" {
		p.report(kc.ClassGeneral, "No "+missing+" parameter specified for "+v[0])
		return nil
	}
	if static && a.Dev == "" {
		def := p.load.cfg.Global.DefaultInterface
		if def == "" {
			def = "eth0"
		}
		if ok, _ := p.load.ifaceExists(def); !ok {
			p.load.badInterface = true
			p.report(kc.ClassFatal, "Static address "+v[0]+" requires either an interface or default interface must exist")
			return nil
		}
	}
	return a
}

func isAddrKeyword(s string) bool {
	switch s {
	case "dev", "scope", "broadcast", "brd", "label", "peer", "home", "-nodad", "mngtmpaddr",
		"noprefixroute", "autojoin", "no_track", "preferred_lft", "track_group", "use_vmac":
		return true
	}
	return false
}

// route reads one virtual_routes / static_routes entry. Only what the
// reference checks while reading is checked; the words are kept.
func (p *parser) route(v []string) *Route {
	r := &Route{Words: v}
	dest := ""
	hasDest := false
	for i := 0; i < len(v); i++ {
		switch w := v[i]; w {
		case "inet", "inet6", "onlink", "no_track", "add", "prepend", "append", "nexthop":
			if w == "nexthop" {
				return r
			}
		case "via", "gw":
			if w == "gw" {
				p.report(kc.ClassGeneral, "\"gw\" for routes is deprecated. Please use \"via\"")
			}
			i++
			if i < len(v) && (v[i] == "inet" || v[i] == "inet6") {
				i++
			}
			if i >= len(v) {
				p.arg(v, i)
			}
			if _, ok := p.parseIP(v[i], false); !ok {
				p.report(kc.ClassGeneral, "invalid route via address "+v[i])
				return nil
			}
		case "dev", "oif":
			i++
			d := p.arg(v, i)
			if exists, _ := p.load.ifaceExists(d); !exists {
				p.load.badInterface = true
				p.report(kc.ClassGeneral, "WARNING - interface "+d+" for VROUTE nexthop doesn't exist")
				return nil
			}
			r.Dev = d
		case "or":
			p.report(kc.ClassGeneral, "\"or\" for routes is deprecated. Please use \"nexthop\"")
			i++
		case "src", "from", "tos", "dsfield", "table", "protocol", "scope", "metric", "priority", "preference",
			"realms", "mtu", "advmss", "rtt", "rttvar", "reordering", "window", "cwnd", "ssthresh", "initcwnd",
			"initrwnd", "features", "rto_min", "congctl", "pref", "ttl-propagate", "vrf", "track_group",
			"hoplimit", "quickack", "fastopen_no_cookie", "expires", "encap":
			i++
		default:
			if w == "to" {
				i++
				if i >= len(v) {
					p.arg(v, i)
				}
			}
			if isRouteType(v[i]) {
				i++
				if i >= len(v) {
					p.arg(v, i)
				}
			}
			dest = v[i]
			hasDest = true
			switch dest {
			case "default", "any", "all", "default6":
			default:
				if _, ok := p.parseIP(dest, true); !ok {
					p.report(kc.ClassGeneral, "unknown route keyword "+dest)
					return nil
				}
			}
		}
	}
	if !hasDest {
		p.report(kc.ClassGeneral, "Route must have a destination")
		return nil
	}
	if r.Dev == "" && !contains(v, "no_track") {
		p.report(kc.ClassGeneral, "Warning - cannot track route "+dest+" with no interface specified, not tracking")
	}
	return r
}

func isRouteType(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n >= 0 && n <= 255 // a route type by number
	}
	switch s {
	case "unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole", "nat", "anycast":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// rule reads one virtual_rules / static_rules entry: a selector and an
// action (table, goto, nop, blackhole, prohibit, unreachable, l3mdev).
func (p *parser) rule(v []string) *Rule {
	hasPref, v6, hasAction := false, false, false
	for i := 0; i < len(v); i++ {
		switch w := v[i]; w {
		case "from", "to":
			i++
			a := p.arg(v, i)
			if a == "all" {
				continue
			}
			pfx, ok := p.parseIP(a, true)
			if !ok {
				p.report(kc.ClassGeneral, "Invalid rule "+w+" address "+a)
				return nil
			}
			v6 = pfx.Addr().Is6()
		case "inet", "inet6", "not", "no_track", "l3mdev":
			hasAction = hasAction || w == "l3mdev"
		case "preference", "priority", "pref", "prio":
			hasPref = true
			i++
		case "table", "lookup", "goto":
			hasAction = true
			i++
		case "tos", "dsfield", "fwmark", "realms", "suppress_prefixlength", "sup_pl", "suppress_ifgroup",
			"sup_group", "iif", "dev", "oif", "tunnel-id", "uidrange", "protocol", "ipproto", "sport", "dport", "track_group":
			i++
		default:
			if w == "type" {
				i++
				w = p.arg(v, i)
			}
			switch w {
			case "nop", "blackhole", "unreachable", "prohibit":
				hasAction = true
			default:
				p.report(kc.ClassGeneral, "Unknown rule option "+w)
				return nil
			}
		}
	}
	if !hasAction {
		p.report(kc.ClassGeneral, "No action specified for rule - ignoring")
		return nil
	}
	if !hasPref {
		l := p.load
		next := &l.nextRulePrio4
		if v6 {
			next = &l.nextRulePrio6
		}
		if *next == 0 {
			*next = 16384
		}
		p.report(kc.ClassGeneral, "Rule has no preference specified - setting to "+itoa(*next)+". This is probably not what you want.")
		*next--
	}
	return &Rule{Words: v}
}

// userExists reports whether a user (and group, if given) exist.
func userExists(name, group string) bool {
	if _, err := user.Lookup(name); err != nil {
		if _, err := user.LookupId(name); err != nil {
			return false
		}
	}
	if group != "" {
		if _, err := user.LookupGroup(group); err != nil {
			if _, err := user.LookupGroupId(group); err != nil {
				return false
			}
		}
	}
	return true
}
