package keepalived

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	kc "fulcrum/confparse/keepalivedconf"
)

func defaultGlobal() Global {
	return Global{
		SMTPConnectTimeout: 30 * time.Second,
		VRRPMcastGroup4:    netip.MustParseAddr("224.0.0.18"),
		VRRPMcastGroup6:    netip.MustParseAddr("ff02::12"),
		VRRPVersion:        2,
	}
}

// globalHandlers fill global_defs; the reference parses it in the parent
// pass only (the children inherit the result).
func globalHandlers() map[string]handler {
	h := globalTypedHandlers()
	globalNumberHandlers(h)
	globalFlagHandlers(h)
	h["global_defs/status_http_listen"] = statusHTTPListen
	return h
}

func globalTypedHandlers() map[string]handler {
	return map[string]handler{
		"global_defs/router_id": func(p *parser, w []string) {
			if len(w) < 2 {
				p.report(kc.ClassGeneral, "routerid name missing - ignoring")
				return
			}
			p.load.cfg.Global.RouterID = w[1]
		},
		"global_defs/notification_email": func(p *parser, w []string) {
			list := p.readValueBlock(w)
			if len(list) == 0 {
				p.report(kc.ClassGeneral, "Warning - empty notification_email block")
				return
			}
			g := &p.load.cfg.Global
			g.NotificationEmail = append(g.NotificationEmail, list...)
		},
		"global_defs/notification_email_from": func(p *parser, w []string) {
			p.load.cfg.Global.NotificationEmailFrom = p.arg(w, 1)
		},
		"global_defs/smtp_server": func(p *parser, w []string) {
			host := p.arg(w, 1)
			port := "25"
			if len(w) >= 3 {
				port = w[2]
				// Checked once as an address and once as a name.
				_, ok1 := p.readUnsigned(port, 1, 65535)
				_, ok2 := p.readUnsigned(port, 1, 65535)
				if !ok1 || !ok2 {
					p.report(kc.ClassGeneral, "Invalid smtp server "+host+" "+port)
					return
				}
			}
			if !p.load.resolvable(host) {
				p.report(kc.ClassGeneral, "Invalid smtp server "+host+" "+port)
				return
			}
			p.load.cfg.Global.SMTPServer = net.JoinHostPort(host, port)
		},
		"global_defs/smtp_connect_timeout": func(p *parser, w []string) {
			v, ok := p.readUnsigned(p.arg(w, 1), 0, 4294)
			if !ok {
				p.report(kc.ClassGeneral, "smtp_connect_timeout '"+w[1]+"' must be in [0, 4294] - ignoring")
				return
			}
			if v == 0 {
				p.report(kc.ClassGeneral, "smtp_conect_timeout must be greater than 0, setting to 1")
				v = 1
			}
			p.load.cfg.Global.SMTPConnectTimeout = time.Duration(v) * time.Second
		},
		"global_defs/enable_script_security": func(p *parser, w []string) {
			p.load.cfg.Global.EnableScriptSecurity = true
		},
		"global_defs/script_user": func(p *parser, w []string) {
			if len(w) < 2 {
				p.report(kc.ClassGeneral, "No script username specified")
				return
			}
			g := &p.load.cfg.Global
			g.ScriptUser = w[1]
			if len(w) > 2 {
				g.ScriptGroup = w[2]
			}
			p.load.defaultUserSet = true
			if !userExists(g.ScriptUser, g.ScriptGroup) {
				p.load.defaultUserFail = true
				p.report(kc.ClassGeneral, "Error setting global script uid/gid")
			}
		},
		"global_defs/vrrp_skip_check_adv_addr": func(p *parser, w []string) {
			p.load.cfg.Global.VRRPSkipCheckAdvAddr = len(w) < 2 || checkTrueFalse(w[1]) != 0
		},
		"global_defs/vrrp_strict":        func(p *parser, w []string) { p.load.cfg.Global.VRRPStrict = true },
		"global_defs/vrrp_garp_interval": garpInterval("vrrp_garp_interval", func(g *Global, d time.Duration) { g.VRRPGarpInterval = d }),
		"global_defs/vrrp_gna_interval":  garpInterval("vrrp_gna_interval", func(g *Global, d time.Duration) { g.VRRPGnaInterval = d }),
		"global_defs/vrrp_mcast_group4": func(p *parser, w []string) {
			a, err := netip.ParseAddr(stripRange(p.arg(w, 1)))
			switch {
			case err != nil:
				p.report(kc.ClassGeneral, "Can't parse vrrp_mcast_group4 ["+w[1]+"]. Skipping")
			case !a.Is4():
				p.report(kc.ClassGeneral, "vrrp_mcast_group4 ["+w[1]+"] is not IPv4. Skipping")
			case !a.IsMulticast():
				p.report(kc.ClassGeneral, "vrrp_mcast_group4 ["+w[1]+"] is not multicast. Skipping")
			default:
				p.load.cfg.Global.VRRPMcastGroup4 = a
			}
		},
		"global_defs/vrrp_mcast_group6": func(p *parser, w []string) {
			a, err := netip.ParseAddr(stripRange(p.arg(w, 1)))
			switch {
			case err != nil:
				p.report(kc.ClassGeneral, "Can't parse vrrp_mcast_group6 ["+w[1]+"]. Skipping")
			case !a.Is6():
				p.report(kc.ClassGeneral, "vrrp_mcast_group6 ["+w[1]+"] is not IPv6. Skipping")
			case !a.IsMulticast():
				p.report(kc.ClassGeneral, "vrrp_mcast_group6 ["+w[1]+"] is not multicast. Skipping")
			default:
				p.load.cfg.Global.VRRPMcastGroup6 = a
			}
		},
		"global_defs/vrrp_version": func(p *parser, w []string) {
			v, ok := p.readInt(p.arg(w, 1), 2, 3)
			if !ok {
				p.report(kc.ClassGeneral, "VRRP Error: Version must be either 2 or 3")
				return
			}
			p.load.cfg.Global.VRRPVersion = v
		},
		"global_defs/vrrp_iptables": func(p *parser, w []string) {
			// This build has nftables only; the reference maps the legacy
			// keyword onto its nftables table "keepalived".
			p.report(kc.ClassGeneral, "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option")
			p.load.cfg.Global.Settings = append(p.load.cfg.Global.Settings, Setting{Keyword: "nftables", Args: []string{"keepalived"}})
		},
		"global_defs/vrrp_garp_extra_if":   globalGarpExtraIf,
		"global_defs/vrrp_vmac_garp_intvl": globalGarpExtraIf,
		"global_defs/default_interface": func(p *parser, w []string) {
			p.load.cfg.Global.DefaultInterface = p.arg(w, 1)
		},
		"global_defs/max_auto_priority": func(p *parser, w []string) {
			v := 99
			if len(w) > 1 {
				if n, ok := p.readInt(w[1], -1, 99); ok {
					v = n
				}
			}
			p.load.cfg.Global.MaxAutoPriority = v
		},
	}
}

// globalNumbers are global_defs keywords checked as numbers, with the
// reference's range and its message when the value is refused (%s is
// the value). Accepted values are kept as settings.
var globalNumbers = map[string]struct {
	lo, hi  uint64
	decimal bool // seconds with up to six decimals, lo/hi in microseconds
	refused string
}{
	"vrrp_garp_master_delay":          {0, 4294, false, "vrrp_garp_master_delay '%s' invalid - ignoring"},
	"vrrp_garp_master_repeat":         {0, 1<<32 - 1, false, "vrrp_garp_master_repeat '%s' invalid - ignoring"},
	"vrrp_garp_master_refresh":        {0, 1<<32 - 1, false, "Invalid vrrp_garp_master_refresh '%s' - ignoring"},
	"vrrp_garp_master_refresh_repeat": {0, 1<<32 - 1, false, "vrrp_garp_master_refresh_repeat '%s' invalid - ignoring"},
	"vrrp_garp_lower_prio_delay":      {0, 4294, false, "vrrp_garp_lower_prio_delay '%s' invalid - ignoring"},
	"vrrp_garp_lower_prio_repeat":     {0, 1<<31 - 1, false, "Invalid vrrp_garp_lower_prio_repeat '%s'"},
	"vrrp_down_timer_adverts":         {1, 100, false, "Invalid vrrp_down_timer_adverts [1:100] '%s'"},
	"random_seed":                     {0, 1<<32 - 1, false, "random_seed %s invalid"},
	"vrrp_startup_delay":              {1000, 1<<32 - 1, true, "vrrp_startup_delay '%s' is invalid"},
}

// globalFlags are optional on/off global_defs keywords and the message
// format for a value that is neither (%s is the value, %[2]s the keyword).
var globalFlags = map[string]string{
	"smtp_alert": "", "smtp_alert_vrrp": "", "smtp_alert_checker": "", "vrrp_notify_priority_changes": "",
	"vrrp_netlink_monitor_rcv_bufs_force": "", "vrrp_netlink_cmd_rcv_bufs_force": "", "process_monitor_rcv_bufs_force": "",
	"lvs_netlink_monitor_rcv_bufs_force": "", "lvs_netlink_cmd_rcv_bufs_force": "", "rs_init_notifies": "",
	"no_checker_emails": "", "date_use_instance": "",
	"checker_log_all_failures": "short", "vrrp_min_garp": "short", "vrrp_lower_prio_no_advert": "short",
	"vrrp_higher_prio_send_advert": "short",
}

// globalFlagHandlers builds the handlers for globalFlags.
func globalFlagHandlers(h map[string]handler) {
	for kw, form := range globalFlags {
		h["global_defs/"+kw] = func(p *parser, w []string) {
			if len(w) >= 2 && checkTrueFalse(w[1]) < 0 {
				if form == "short" {
					p.report(kc.ClassGeneral, "Invalid value for "+w[0]+" specified")
				} else {
					p.report(kc.ClassGeneral, "Invalid value '"+w[1]+"' for global "+w[0]+" specified")
				}
				return
			}
			g := &p.load.cfg.Global
			g.Settings = append(g.Settings, Setting{Keyword: w[0], Args: w[1:]})
		}
	}
}

// globalNumberHandlers builds the handlers for globalNumbers.
func globalNumberHandlers(h map[string]handler) {
	for kw, r := range globalNumbers {
		h["global_defs/"+kw] = func(p *parser, w []string) {
			var ok bool
			if r.decimal {
				_, ok = p.readDecimal(p.arg(w, 1), r.lo, r.hi, 6, true)
			} else {
				_, ok = p.readUnsigned(p.arg(w, 1), r.lo, r.hi)
			}
			if !ok {
				p.report(kc.ClassGeneral, fmt.Sprintf(r.refused, w[1]))
				return
			}
			g := &p.load.cfg.Global
			g.Settings = append(g.Settings, Setting{Keyword: w[0], Args: w[1:]})
		}
	}
}

func garpInterval(name string, set func(*Global, time.Duration)) handler {
	return func(p *parser, w []string) {
		v, ok := p.readDecimal(p.arg(w, 1), 1, 1<<32-1, 6, true)
		if !ok {
			p.report(kc.ClassGeneral, name+" '"+w[1]+"' is invalid")
			return
		}
		set(&p.load.cfg.Global, usec(v))
	}
}

// resolvable reports whether host names a usable address: a literal
// address, or a name the resolver answers within a short time.
func (l *loader) resolvable(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil || inetAton(host) {
		return true
	}
	if l.opts.Resolve != nil {
		return l.opts.Resolve(host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	return err == nil && len(addrs) > 0
}

// inetAton reports whether s is an IPv4 address in inet_aton's wider
// syntax (1 to 4 parts, decimal, octal or hex), which the C resolver
// accepts as a host name.
func inetAton(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 4 || s == "" {
		return false
	}
	for i, p := range parts {
		limit := uint64(255)
		if i == len(parts)-1 {
			limit = 1<<(8*(5-len(parts))) - 1
		}
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		if v, err := strconv.ParseUint(p, base, 32); err != nil || v > limit {
			return false
		}
	}
	return true
}

// stripRange drops a "-N" range or "/N" mask after an address, as the
// reference's address reader does.
func stripRange(s string) string {
	if i := strings.IndexAny(s, "-/"); i >= 0 {
		return s[:i]
	}
	return s
}

// globalGarpExtraIf reads vrrp_garp_extra_if (old name
// vrrp_vmac_garp_intvl): a delay of 1-86400 s and/or "all".
func globalGarpExtraIf(p *parser, w []string) {
	if w[0] == "vrrp_vmac_garp_intvl" {
		p.report(kc.ClassDeprecated, "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"")
	}
	if !p.extraIfDelay(w, 1, "") {
		return
	}
	g := &p.load.cfg.Global
	g.Settings = append(g.Settings, Setting{Keyword: w[0], Args: w[1:]})
}

// extraIfDelay checks the words of a garp_extra_if keyword: "all" and one
// delay of lo-86400 seconds. prefix starts the messages ("(VI_1): ").
func (p *parser) extraIfDelay(w []string, lo uint64, prefix string) bool {
	delay := false
	for _, a := range w[1:] {
		if a == "all" {
			continue
		}
		if _, ok := p.readUnsigned(a, lo, 86400); !ok {
			p.report(kc.ClassGeneral, prefix+w[0]+" '"+a+"' invalid - ignoring")
			return false
		}
		delay = true
	}
	if !delay {
		p.report(kc.ClassGeneral, prefix+w[0]+" specified without time - ignoring")
	}
	return delay
}
