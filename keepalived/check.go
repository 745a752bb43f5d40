package keepalived

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	kc "fulcrum/confparse/keepalivedconf"
)

// lvsKeywords are the virtual_server / real_server / checker keywords
// whose words are kept as settings: the LVS engine is not built, so each
// is recorded as "not built yet" for the daemon to warn about.

// checkHandlers fill virtual_server and friends in the checker pass.
func checkHandlers() map[string]handler {
	h := map[string]handler{
		"virtual_server_group": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			g := &VirtualServerGroup{Name: p.arg(w, 1)}
			// The group name is not part of the value block.
			p.valueBlock(append([]string{w[0]}, w[2:]...), func(v []string) {
				if v[0] != "fwmark" {
					port := ""
					if len(v) >= 2 && strings.Trim(v[1], "0") != "" {
						port = v[1]
					}
					if !p.sockaddr(v[0], port) {
						slash, sp := "", ""
						if port != "" {
							slash, sp = "/port", "/"
						}
						p.report(kc.ClassGeneral, "Invalid virtual server group IP address "+v[0]+" "+slash+sp+port+" - skipping")
						return
					}
				}
				g.Entries = append(g.Entries, v)
			})
			if len(g.Entries) == 0 {
				p.report(kc.ClassGeneral, "virtual server group "+g.Name+" has no entries - removing")
				return
			}
			l.cfg.ServerGroups = append(l.cfg.ServerGroups, g)
		},
		"virtual_server": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			a1 := p.arg(w, 1)
			a2 := ""
			if len(w) >= 3 {
				a2 = w[2]
			}
			vs := &VirtualServer{Address: strings.Join(w[1:], " ")}
			switch a1 {
			case "group":
			case "fwmark":
				if _, ok := p.readUnsigned(a2, 0, 1<<32-1); !ok {
					p.report(kc.ClassGeneral, "virtual server fwmark '"+a2+"' must be in [0, 4294967295] - ignoring")
					p.skipBlock(true)
					l.vs = nil
					return
				}
				vs.fwmark = true
			default:
				port := a2
				if strings.Trim(port, "0") == "" {
					port = ""
				}
				if !p.sockaddr(a1, port) {
					slash, sp := "", ""
					if port != "" {
						slash, sp = "/port", "/"
					}
					p.report(kc.ClassGeneral, "Invalid virtual server IP address"+slash+" "+a1+sp+port+" - skipping")
					p.skipBlock(true)
					l.vs = nil
					return
				}
			}
			vs.quorum = 1
			if !vs.fwmark && a1 != "group" {
				vs.port = strings.TrimLeft(a2, "0")
			}
			l.vs, l.rs, l.checker = vs, nil, nil
			l.cfg.VirtualServers = append(l.cfg.VirtualServers, vs)
		},
		"virtual_server/protocol": func(p *parser, w []string) {
			vs := p.load.vs
			s := p.arg(w, 1)
			switch strings.ToUpper(s) {
			case "TCP", "UDP", "SCTP":
				vs.hasProto, vs.proto = true, strings.ToLower(s)
			default:
				p.report(kc.ClassGeneral, "Unknown protocol "+s+" - ignoring")
			}
		},
		"virtual_server/lb_kind":    forwarding("virtual"),
		"virtual_server/lvs_method": forwarding("virtual"),
		"virtual_server/persistence_timeout": func(p *parser, w []string) {
			if len(w) >= 2 {
				if _, ok := p.readUnsigned(w[1], 1, 86400*31); !ok {
					p.report(kc.ClassGeneral, "persistence_timeout invalid")
					return
				}
			}
			p.load.vs.persistent = true
		},
		"virtual_server/real_server": func(p *parser, w []string) {
			l := p.load
			if l.vs == nil {
				return
			}
			ip := p.arg(w, 1)
			port := ""
			if len(w) >= 3 {
				port = w[2]
			}
			portArg := port
			if strings.Trim(port, "0") == "" {
				portArg = ""
			}
			if !p.sockaddr(ip, portArg) {
				shown := port
				if len(w) < 3 {
					shown = "(null)"
				}
				p.report(kc.ClassGeneral, "Invalid real server ip address/port "+ip+"/"+shown+" - skipping")
				p.skipBlock(true)
				l.rs = nil
				return
			}
			l.rs, l.checker = &RealServer{Address: strings.Join(w[1:], " "), weight: 1, ip: ip, port: strings.TrimLeft(portArg, "0")}, nil
			l.vs.Reals = append(l.vs.Reals, l.rs)
		},
		"virtual_server/real_server/lb_kind":    forwarding("real"),
		"virtual_server/real_server/lvs_method": forwarding("real"),
		"virtual_server/real_server/MISC_CHECK/misc_path": func(p *parser, w []string) {
			if cmd, _, ok := p.scriptLine(false); ok {
				p.load.miscScripts = append(p.load.miscScripts, cmd)
				p.load.miscPath = cmd
			}
		},
		"virtual_server/real_server/MISC_CHECK/user": func(p *parser, w []string) {
			l := p.load
			if len(w) < 2 {
				p.report(kc.ClassGeneral, "No user specified for misc checker script "+cmdString(l.miscPath))
				return
			}
			group := ""
			if len(w) > 2 {
				group = w[2]
			}
			l.miscUserSet = true
			if !userExists(w[1], group) {
				p.report(kc.ClassGeneral, "Failed to set uid/gid for misc checker script "+cmdString(l.miscPath)+" - removing")
				l.miscPath = nil
			}
		},
		"virtual_server/sorry_server": func(p *parser, w []string) {
			port := ""
			if len(w) > 2 && strings.Trim(w[2], "0") != "" {
				port = w[2]
			}
			if !p.sockaddr(p.arg(w, 1), port) {
				p.report(kc.ClassGeneral, "Invalid sorry server IP address "+w[1]+" - skipping")
			}
		},
		"virtual_server/real_server/weight": lvsUnsigned(0, 1<<31-1, "Real server weight %s is outside range 0-2147483647", false,
			func(l *loader, v uint64) { l.rs.weight = v }),
		"virtual_server/real_server/BFD_CHECK": func(p *parser, w []string) { p.load.bfdCheck = 1 },
		"virtual_server/real_server/BFD_CHECK/name": func(p *parser, w []string) {
			l := p.load
			if l.bfdCheck == 0 {
				return
			}
			who := rsName(l.vs, l.rs)
			switch {
			case len(w) != 2:
				p.report(kc.ClassGeneral, "("+who+") BFD_CHECK - No or too many names specified - skipping checker")
			case !contains(l.checkerBFDs, w[1]):
				p.report(kc.ClassGeneral, "("+who+") BFD_CHECK - BFD "+w[1]+" not configured")
			case l.bfdCheck == 2:
				p.report(kc.ClassGeneral, "("+who+") BFD_CHECK - BFD "+w[1]+" already specified as "+w[1])
			default:
				l.bfdCheck = 2
				return
			}
			l.bfdCheck = 0
		},
		"virtual_server/weight": lvsUnsigned(1, 1<<31-1, "Virtual server weight %s is outside range 1-2147483647", false, nil),
		"virtual_server/quorum": lvsUnsigned(1, 1<<32-1, "Quorum %s must be in [1, 4294967295]. Setting to 1.", true,
			func(l *loader, v uint64) { l.vs.quorum = v }),
		"virtual_server/hysteresis": lvsUnsigned(0, 1<<32-1, "Hysteresis %s must be in [0, 4294967295] - ignoring", false,
			func(l *loader, v uint64) { l.vs.hysteresis = v }),
	}
	// Timers and counts of virtual_server, real_server and the checkers,
	// each with the reference's own refusal message.
	for level, msgs := range map[string][5]string{
		"virtual_server/": {"virtual server connect_timeout %s invalid - ignoring", "virtual server delay loop '%s' invalid - ignoring",
			"virtual server delay before retry '%s' invalid - ignoring", "retry value invalid - %s", "virtual server warmup '%s' invalid - ignoring"},
		"virtual_server/real_server/": {"real server connect_timeout %s invalid - ignoring", "real server delay_loop '%s' invalid - ignoring",
			"real server delay_before_retry '%s' invalid - ignoring", "retry value invalid - %s", "real server warmup '%s' invalid - ignoring"},
	} {
		h[level+"connect_timeout"] = timer(1, 1<<32-1, msgs[0])
		h[level+"delay_loop"] = timer(1, 0, msgs[1])
		h[level+"delay_before_retry"] = timer(0, 0, msgs[2])
		h[level+"retry"] = count(1, 1<<32-1, msgs[3])
		h[level+"warmup"] = timer(0, 0, msgs[4])
	}
	for _, c := range []string{"TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "MISC_CHECK", "SMTP_CHECK/host"} {
		base := "virtual_server/real_server/" + c + "/"
		h[base+"retry"] = count(0, 1<<32-1, "Invalid retry connection value '%s'")
		h[base+"connect_port"] = count(1, 65535, "Invalid checker connect_port '%s'")
		h[base+"bind_port"] = count(1, 65535, "Invalid checker bind_port '%s'")
		h[base+"fwmark"] = count(0, 1<<32-1, "Invalid fwmark connection value '%s'")
		h[base+"connect_timeout"] = timer(1, 1<<32-1, "connect_timeout %s invalid - ignoring")
		h[base+"delay_before_retry"] = timer(0, 0, "Invalid delay_before_retry connection value '%s'")
		h[base+"warmup"] = timer(0, 0, "Invalid warmup connection value '%s'")
		h[base+"delay_loop"] = timer(1, 0, "delay_loop '%s' is invalid - ignoring")
		h[base+"bindto"] = func(p *parser, w []string) {
			if !validSockaddr(w[1], "") {
				p.report(kc.ClassGeneral, "Invalid bindto address "+w[1]+" - ignoring")
			}
		}
	}
	for _, c := range []string{"HTTP_GET", "SSL_GET"} {
		base := "virtual_server/real_server/" + c
		h[base] = func(p *parser, w []string) { p.load.urls, p.load.urlPath, p.load.urlDigest = 0, false, false }
		h[base+"/url"] = func(p *parser, w []string) { p.load.urlPath, p.load.urlDigest = false, false }
		h[base+"/url/path"] = func(p *parser, w []string) { p.load.urlPath = true }
		h[base+"/url/digest"] = func(p *parser, w []string) {
			switch {
			case p.load.urlDigest:
				p.report(kc.ClassGeneral, "Digest '"+w[1]+"' is a duplicate")
				return
			case len(w[1]) != 32:
				p.report(kc.ClassGeneral, "digest '"+w[1]+"' character length should be 32 rather than "+itoa(len(w[1])))
				return
			}
			p.load.urlDigest = true
		}
	}
	return h
}

func forwarding(kind string) handler {
	return func(p *parser, w []string) {
		s := p.arg(w, 1)
		switch s {
		case "NAT", "DR", "TUN":
			// The method is kept even when its tunnel options are refused.
			if kind == "virtual" {
				p.load.vs.kind = s
			} else {
				p.load.rs.kind = s
			}
			p.tunnelOptions(w[2:], kind)
		default:
			p.report(kc.ClassGeneral, "PARSER : unknown ["+s+"] routing method for "+kind+" server.")
		}
	}
}

// tunnelOptions checks the words after the forwarding method.
func (p *parser) tunnelOptions(opts []string, kind string) {
	tunType, port, csum := "ipip", "", "nocsum"
	for i := 0; i < len(opts); i++ {
		switch opts[i] {
		case "type":
			if i+1 >= len(opts) {
				p.report(kc.ClassGeneral, "Missing tunnel type for "+kind+" server.")
				return
			}
			i++
			switch opts[i] {
			case "ipip", "gue", "gre":
				tunType = opts[i]
			default:
				p.report(kc.ClassGeneral, "Unknown tunnel type "+opts[i]+" for "+kind+" server.")
				return
			}
		case "port":
			if i+1 >= len(opts) {
				p.report(kc.ClassGeneral, "Missing port for "+kind+" server gue tunnel.")
				return
			}
			i++
			if _, ok := p.readUnsigned(opts[i], 1, 65535); !ok {
				p.report(kc.ClassGeneral, "Invalid gue tunnel port "+opts[i]+" for "+kind+" server.")
				return
			}
			port = opts[i]
		case "nocsum", "csum", "remcsum":
			csum = opts[i]
		default:
			p.report(kc.ClassGeneral, "Invalid tunnel option "+opts[i]+" for "+kind+" server.")
			return
		}
	}
	switch {
	case (tunType == "gue") != (port != ""):
		p.report(kc.ClassGeneral, "gue tunnels require port, otherwise cannot have port.")
		return
	case tunType == "ipip" && csum != "nocsum":
		p.report(kc.ClassGeneral, "ipip tunnels do not support checksum option.")
		return
	case tunType == "gre" && csum == "remcsum":
		p.report(kc.ClassGeneral, "gre tunnels do not support remote checksum option.")
		return
	}
}

// sockaddr mirrors the reference's inet_stosockaddr: the port (if any)
// must be 1-65535 (a bad one is reported as a number error), a range
// ("-N") or mask ("/N") after the address is ignored, and the address
// must be literal, IPv6 when it holds a ':'.
func (p *parser) sockaddr(addr, port string) bool {
	if port != "" {
		if _, ok := p.readUnsigned(port, 1, 65535); !ok {
			return false
		}
	}
	return validSockaddr(addr, "")
}

// validSockaddr is sockaddr without reporting.
func validSockaddr(addr, port string) bool {
	if i := strings.IndexAny(addr, "-/"); i >= 0 {
		addr = addr[:i]
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Is6() != strings.Contains(addr, ":") || a.Zone() != "" {
		return false
	}
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// checkerNbGetRetry is the deprecated HTTP_GET/SSL_GET keyword.
func checkerNbGetRetry(p *parser, w []string) {
	p.report(kc.ClassGeneral, "nb_get_retry is deprecated - please use 'retry'")
	if _, ok := p.readUnsigned(p.arg(w, 1), 0, 1<<32-1); !ok {
		p.report(kc.ClassGeneral, "Invalid nb_get_retry value '"+w[1]+"'")
	}
}

// checkClosers run at the end of checker and BFD blocks.
func checkClosers() map[string]func(*parser) {
	c := map[string]func(*parser){}
	for _, k := range []string{"HTTP_GET", "SSL_GET"} {
		base := "virtual_server/real_server/" + k
		c[base+"/url"] = func(p *parser) {
			if !p.load.urlPath {
				p.report(kc.ClassGeneral, "HTTP/SSL_GET checker url has no path - ignoring")
				return
			}
			p.load.urls++
		}
		c[base] = func(p *parser) {
			if p.load.urls == 0 {
				p.report(kc.ClassGeneral, "HTTP/SSL_GET checker has no urls specified - ignoring")
			}
		}
	}
	for k, v := range map[string]func(*parser){
		"virtual_server/real_server/MISC_CHECK": func(p *parser) {
			l := p.load
			switch {
			case l.miscPath == nil && !l.miscUserSet:
				p.report(kc.ClassGeneral, "No script path has been specified for MISC_CHECKER - skipping")
			case l.miscPath != nil && !l.miscUserSet && l.defaultScriptUserFails(p):
				p.report(kc.ClassGeneral, "Unable to set default user for misc script "+cmdString(l.miscPath)+" - removing")
			}
			l.miscPath, l.miscUserSet = nil, false
		},
		"virtual_server/real_server/BFD_CHECK": func(p *parser) {
			l := p.load
			if l.bfdCheck == 1 {
				p.report(kc.ClassGeneral, "("+rsName(l.vs, l.rs)+") No name has been specified for BFD_CHECKER - skipping")
			}
			l.bfdCheck = 0
		},
		"bfd_instance": func(p *parser) {
			b := p.load.bfd
			if p.pass != PassBFD || b == nil {
				return
			}
			for _, s := range b.Settings {
				if s.Keyword == "neighbor_ip" || s.Keyword == "neighbour_ip" {
					return
				}
			}
			p.report(kc.ClassGeneral, "Configuration error: BFD instance "+b.Name+" has no neighbor address set, disabling instance")
		},
	} {
		c[k] = v
	}
	return c
}

// timer is the rule for a time in seconds with up to six decimals, within
// [lo, hi] microseconds (hi 0: no limit), as the reference's read_timer.
func timer(lo, hi uint64, refused string) handler {
	if hi == 0 {
		hi = math.MaxUint64 - 1
	}
	return func(p *parser, w []string) {
		if _, ok := p.readDecimal(w[1], lo, hi, 6, true); !ok {
			p.report(kc.ClassGeneral, fmt.Sprintf(refused, w[1]))
		}
	}
}

// count is the rule for an unsigned count within [lo, hi].
func count(lo, hi uint64, refused string) handler {
	return func(p *parser, w []string) {
		if _, ok := p.readUnsigned(w[1], lo, hi); !ok {
			p.report(kc.ClassGeneral, fmt.Sprintf(refused, w[1]))
		}
	}
}

// lvsUnsigned is the rule for an unsigned LVS value: refused values are
// reported and ignored, or replaced by 1 when orOne (quorum).
func lvsUnsigned(lo, hi uint64, refused string, orOne bool, set func(*loader, uint64)) handler {
	return func(p *parser, w []string) {
		v, ok := p.readUnsigned(p.arg(w, 1), lo, hi)
		if !ok {
			p.report(kc.ClassGeneral, fmt.Sprintf(refused, w[1]))
			if !orOne {
				return
			}
			v = 1
		}
		if set != nil {
			set(p.load, v)
		}
	}
}
