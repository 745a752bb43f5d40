package keepalived

import (
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
				if !validSockaddr(a1, port) {
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
			l.vs = vs
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
			vs := p.load.vs
			if len(w) >= 2 {
				if _, ok := p.readUnsigned(w[1], 1, 86400*31); !ok {
					p.report(kc.ClassGeneral, "persistence_timeout invalid")
					return
				}
			}
			_ = vs
		},
		"virtual_server/real_server": func(p *parser, w []string) {
			l := p.load
			if l.vs == nil {
				return
			}
			l.rs = &RealServer{Address: strings.Join(w[1:], " ")}
			p.arg(w, 1)
			l.vs.Reals = append(l.vs.Reals, l.rs)
		},
		"virtual_server/real_server/lb_kind":    forwarding("real"),
		"virtual_server/real_server/lvs_method": forwarding("real"),
		"virtual_server/real_server/MISC_CHECK/misc_path": func(p *parser, w []string) {
			if len(w) > 1 {
				p.load.miscScripts = append(p.load.miscScripts, scriptWords(w[1]))
				p.load.miscPath = true
			}
		},
		"virtual_server/real_server/weight": func(p *parser, w []string) {
			if _, ok := p.readUnsigned(p.arg(w, 1), 0, 1<<31-1); !ok {
				p.report(kc.ClassGeneral, "Real server weight "+w[1]+" is outside range 0-2147483647")
			}
		},
		"virtual_server/quorum": func(p *parser, w []string) {
			if _, ok := p.readUnsigned(p.arg(w, 1), 1, 1<<32-1); !ok {
				p.report(kc.ClassGeneral, "Quorum "+w[1]+" must be in [1, 4294967295]. Setting to 1.")
			}
		},
	}
	return h
}

func forwarding(kind string) handler {
	return func(p *parser, w []string) {
		s := p.arg(w, 1)
		switch s {
		case "NAT", "DR", "TUN":
			if kind == "virtual" && p.load.vs != nil {
				p.load.vs.hasKind = true
			}
		default:
			p.report(kc.ClassGeneral, "PARSER : unknown ["+s+"] routing method for "+kind+" server.")
		}
	}
}

// validSockaddr mirrors inet_stosockaddr: a literal address (IPv6 may be
// in brackets) and an optional port 0-65535.
func validSockaddr(addr, port string) bool {
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if _, err := netip.ParseAddr(addr); err != nil {
		return false
	}
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
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
	return map[string]func(*parser){
		"virtual_server/real_server/MISC_CHECK": func(p *parser) {
			if !p.load.miscPath {
				p.report(kc.ClassGeneral, "No script path has been specified for MISC_CHECKER - skipping")
			}
			p.load.miscPath = false
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
	}
}
