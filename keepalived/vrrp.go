package keepalived

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	kc "fulcrum/confparse/keepalivedconf"
)

const timerHz = 1000000 // the reference counts time in microseconds

func usec(u uint64) time.Duration { return time.Duration(u) * time.Microsecond }

func newInstance(name string) *Instance {
	return &Instance{Name: name, State: StateBackup, Priority: 100, AdvertInt: time.Second, Version: 2,
		Preempt: true, GarpMasterDelay: 5 * time.Second, GarpMasterRepeat: 5, Notify: map[string]*NotifyScript{}}
}

// vrrpHandlers fill vrrp_instance and its companions. They run only in the
// VRRP pass, where the reference parses them.
func vrrpHandlers() map[string]handler {
	h := map[string]handler{
		"vrrp_instance": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			if !p.namedBlock(w, "vrrp_instance must have a name", "vrrp instance", func(n string) bool { return l.instance(n) != nil }) {
				if l.inst == nil {
					// The reference goes on filling whatever its list
					// head points at, named "(null)"; so do we, without
					// keeping it.
					l.inst = newInstance("(null)")
				}
				return
			}
			l.inst = newInstance(w[1])
			l.inst.Pos = p.pos()
			l.cfg.Instances = append(l.cfg.Instances, l.inst)
		},
		"vrrp_instance/state": func(p *parser, w []string) {
			in, s := p.load.inst, p.arg(w, 1)
			in.stateGiven = true
			switch s {
			case "MASTER":
				in.State = StateMaster
			case "BACKUP":
				if in.State == StateMaster && in.stateGiven {
					p.report(kc.ClassGeneral, "("+in.Name+") state previously set as MASTER - ignoring BACKUP")
				} else {
					in.State = StateBackup
				}
			default:
				p.report(kc.ClassGeneral, "("+in.Name+") unknown state '"+s+"', defaulting to BACKUP")
				in.State = StateBackup
			}
		},
		"vrrp_instance/interface": func(p *parser, w []string) {
			in, name := p.load.inst, p.arg(w, 1)
			if len(name) >= 16 {
				p.report(kc.ClassGeneral, "Interface name '"+name+"' too long - ignoring")
				return
			}
			ok, lo := p.load.ifaceExists(name)
			switch {
			case !ok:
				p.load.badInterface = true
				p.report(kc.ClassGeneral, "WARNING - interface "+name+" for vrrp_instance "+in.Name+" doesn't exist")
				in.Interface = ""
			case lo:
				p.report(kc.ClassGeneral, "("+in.Name+") cannot use a loopback interface ("+name+") for vrrp - ignoring")
				in.Interface = ""
			default:
				in.Interface = name
			}
		},
		"vrrp_instance/virtual_router_id": func(p *parser, w []string) {
			in := p.load.inst
			v, ok := p.readUnsigned(p.arg(w, 1), 1, 255)
			if !ok {
				p.report(kc.ClassGeneral, "("+in.Name+"): VRID '"+w[1]+"' not valid - must be between 1 & 255")
				return
			}
			in.VRID = int(v)
		},
		"vrrp_instance/priority": func(p *parser, w []string) {
			in := p.load.inst
			v, ok := p.readUnsigned(p.arg(w, 1), 1, 255)
			in.priorityGiven = true
			if !ok {
				p.report(kc.ClassGeneral, "("+in.Name+") Priority not valid! must be between 1 & 255. Using default 100")
				in.Priority = 100
				return
			}
			in.Priority = int(v)
		},
		"vrrp_instance/advert_int": func(p *parser, w []string) {
			in := p.load.inst
			v, ok := p.readDecimal(p.arg(w, 1), timerHz/100, 255*timerHz, 6, true)
			if !ok || v == 0 {
				p.report(kc.ClassGeneral, "("+in.Name+") Advert interval ("+w[1]+") not valid! Must be > 0 - ignoring")
				return
			}
			in.AdvertInt = usec(v)
		},
		"vrrp_instance/version": func(p *parser, w []string) {
			in := p.load.inst
			v, ok := p.readInt(p.arg(w, 1), 2, 3)
			if !ok {
				p.report(kc.ClassGeneral, "("+in.Name+"): Version must be either 2 or 3")
				return
			}
			if (in.ver != 0 && in.ver != v) || (v == 2 && in.fam == 6) {
				p.report(kc.ClassGeneral, "("+in.Name+") vrrp_version "+itoa(v)+" conflicts with configured or deduced version "+itoa(in.ver)+"; ignoring.")
				return
			}
			in.Version, in.ver = v, v
		},
		"vrrp_instance/authentication/auth_type": func(p *parser, w []string) {
			in, s := p.load.inst, p.arg(w, 1)
			switch s {
			case "AH":
				in.AuthType = AuthAH
			case "PASS":
				in.AuthType = AuthPass
			default:
				p.report(kc.ClassGeneral, "("+in.Name+") unknown authentication type '"+s+"'")
			}
		},
		"vrrp_instance/authentication/auth_pass": func(p *parser, w []string) {
			in, s := p.load.inst, p.arg(w, 1)
			if len(s) > 8 {
				p.report(kc.ClassGeneral, "Truncating auth_pass to 8 characters")
				s = s[:8]
			}
			in.AuthPass = make([]byte, 8)
			copy(in.AuthPass, s)
		},
		"vrrp_instance/nopreempt": func(p *parser, w []string) { p.load.inst.Preempt = false },
		"vrrp_instance/preempt":   func(p *parser, w []string) { p.load.inst.Preempt = true },
		"vrrp_instance/preempt_delay": func(p *parser, w []string) {
			in := p.load.inst
			v, ok := p.readDecimal(p.arg(w, 1), 0, 1000*timerHz, 6, true)
			if !ok {
				p.report(kc.ClassGeneral, "("+in.Name+") Preempt_delay not valid! must be between 0-1000")
				in.PreemptDelay = 0
				return
			}
			in.PreemptDelay = usec(v)
		},
		"vrrp_instance/garp_master_delay": instUnsigned(0, (1<<32-1)/timerHz, "(%s): garp_master_delay '%v' invalid - ignoring", "",
			func(in *Instance, v uint64) { in.GarpMasterDelay = time.Duration(v) * time.Second }),
		"vrrp_instance/garp_master_repeat": instUnsigned(0, 1<<32-1, "(%s): garp_master_repeat '%v' invalid - ignoring", "(%s): garp_master_repeat must be greater than 0, setting to 1",
			func(in *Instance, v uint64) { in.GarpMasterRepeat = int(v) }),
		"vrrp_instance/garp_master_refresh": instUnsigned(0, 1<<32-1, "(%s): Invalid garp_master_refresh '%v' - ignoring", "",
			func(in *Instance, v uint64) { in.GarpMasterRefresh = time.Duration(v) * time.Second }),
		"vrrp_instance/garp_master_refresh_repeat": instUnsigned(0, 1<<32-1, "(%s): garp_master_refresh_repeat '%v' invalid - ignoring", "(%s): garp_master_refresh_repeat must be greater than 0, setting to 1",
			func(in *Instance, v uint64) { in.GarpMasterRefreshRepeat = int(v) }),
		"vrrp_instance/garp_lower_prio_delay": instUnsigned(0, (1<<32-1)/timerHz, "(%s): garp_lower_prio_delay '%v' invalid - ignoring", "",
			func(in *Instance, v uint64) { d := time.Duration(v) * time.Second; in.GarpLowerPrioDelay = &d }),
		"vrrp_instance/garp_lower_prio_repeat": instUnsigned(0, 1<<31-1, "(%s): Invalid garp_lower_prio_repeat '%v'", "",
			func(in *Instance, v uint64) { n := int(v); in.GarpLowerPrioRepeat = &n }),
		"vrrp_instance/lower_prio_no_advert":    instFlag("lower_prio_no_advert", func(in *Instance, b bool) { in.LowerPrioNoAdvert = &b }),
		"vrrp_instance/higher_prio_send_advert": instFlag("higher_prio_send_advert", func(in *Instance, b bool) { in.HigherPrioSendAdvert = &b }),
		"vrrp_instance/mcast_src_ip":            srcIP("mcast_src_ip"),
		"vrrp_instance/unicast_src_ip":          srcIP("unicast_src_ip"),
		"vrrp_instance/unicast_peer": func(p *parser, w []string) {
			in := p.load.inst
			in.unicastConfigured = true
			p.valueBlock(w, func(v []string) {
				if !validSockaddr(v[0], "") {
					p.report(kc.ClassGeneral, "Configuration error: VRRP instance["+in.Name+"] malformed unicast peer address["+v[0]+"]. Skipping...")
					return
				}
				text := v[0]
				if i := strings.IndexAny(text, "-/"); i >= 0 {
					text = text[:i]
				}
				in.UnicastPeers = append(in.UnicastPeers, netip.MustParseAddr(text))
			})
		},
		"vrrp_instance/virtual_ipaddress": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if a := p.address(v, false); a != nil {
					f := 4
					if a.Prefix.Addr().Is6() {
						f = 6
					}
					if in.fam == 0 {
						in.fam = f
					} else if in.fam != f {
						p.report(kc.ClassGeneral, "("+in.Name+"): address family must match VRRP instance ["+v[0]+"] - ignoring")
						return
					}
					in.VIPs = append(in.VIPs, a)
				}
			})
		},
		"vrrp_instance/virtual_ipaddress_excluded": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if a := p.address(v, false); a != nil {
					in.ExcludedVIPs = append(in.ExcludedVIPs, a)
				}
			})
		},
		"vrrp_instance/virtual_routes": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if r := p.route(v); r != nil {
					in.Routes = append(in.Routes, r)
				}
			})
		},
		"vrrp_instance/virtual_rules": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if r := p.rule(v); r != nil {
					in.Rules = append(in.Rules, r)
				}
			})
		},
		"vrrp_instance/track_interface": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if t, ok := p.trackInterface(in.Name, in.TrackInterfaces, v); ok {
					in.TrackInterfaces = append(in.TrackInterfaces, t)
				}
			})
		},
		"vrrp_instance/track_script": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if t, ok := p.trackScript(in.Name, in.TrackScripts, v); ok {
					in.TrackScripts = append(in.TrackScripts, t)
				}
			})
		},
		"vrrp_instance/track_file": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if t, ok := p.trackNamed(in.Name, "track file", v, p.load.trackFileWeight); ok {
					in.TrackFiles = append(in.TrackFiles, t)
				}
			})
		},
		"vrrp_instance/track_process": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if t, ok := p.trackNamed(in.Name, "track process", v, p.load.trackProcessWeight); ok {
					in.TrackProcesses = append(in.TrackProcesses, t)
				}
			})
		},
		"vrrp_instance/linkbeat_use_polling": func(p *parser, w []string) {
			in := p.load.inst
			p.report(kc.ClassGeneral, "("+in.Name+") 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block")
			in.Settings = append(in.Settings, Setting{Keyword: w[0], Args: w[1:]})
		},
		"track_group": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			if p.namedBlock(w, "track_group must have a name - skipping", "track_group", func(n string) bool { return contains(l.trackGroups, n) }) {
				l.trackGroups = append(l.trackGroups, w[1])
				l.trackGroupSeen = false
			}
		},
		"track_group/group": func(p *parser, w []string) {
			l := p.load
			if l.trackGroupSeen {
				p.report(kc.ClassGeneral, "Group list already specified for sync group "+l.trackGroups[len(l.trackGroups)-1])
				p.skipBlock(true)
				return
			}
			l.trackGroupSeen = true
			if len(p.readValueBlock(w)) == 0 {
				p.report(kc.ClassGeneral, "Warning - track group "+l.trackGroups[len(l.trackGroups)-1]+" has empty group block")
			}
		},
		"vrrp_instance/unicast_ttl": func(p *parser, w []string) {
			in := p.load.inst
			v, ok := p.readUnsigned(w[1], 0, 255)
			if !ok {
				p.report(kc.ClassGeneral, "("+in.Name+"): TTL '"+w[1]+"' not valid - must be between 0 & 255")
				return
			}
			n := int(v)
			in.UnicastTTL = &n
		},
		"vrrp_instance/unicast_fault_no_peer": func(p *parser, w []string) {
			unicastFlag(p, w)
			p.load.inst.faultNoPeer = true
		},
		"vrrp_instance/check_unicast_src":    unicastFlag,
		"vrrp_instance/old_unicast_checksum": unicastFlag,
		"vrrp_instance/track_bfd": func(p *parser, w []string) {
			in := p.load.inst
			p.valueBlock(w, func(v []string) {
				if !contains(p.load.vrrpBFDs, v[0]) {
					p.report(kc.ClassGeneral, "("+in.Name+") track bfd "+v[0]+" not found, ignoring...")
					return
				}
				in.Settings = append(in.Settings, Setting{Keyword: "track_bfd", Args: v})
			})
		},
		"vrrp_instance/garp_extra_if":   garpExtraIf,
		"vrrp_instance/vmac_garp_intvl": garpExtraIf,
		"vrrp_instance/kernel_rx_buf_size": func(p *parser, w []string) {
			in := p.load.inst
			if len(w) == 2 {
				if _, ok := p.readUnsigned(w[1], 0, 1<<32-1); ok {
					in.Settings = append(in.Settings, Setting{Keyword: w[0], Args: w[1:]})
					return
				}
			}
			p.report(kc.ClassGeneral, "("+in.Name+") invalid kernel_rx_buf_size specified")
		},
		"vrrp_instance/lvs_sync_daemon_interface": func(p *parser, w []string) {
			in := p.load.inst
			p.report(kc.ClassGeneral, "("+in.Name+") Specifying lvs_sync_daemon_interface against a vrrp is deprecated.")
			pad := len(in.Name) - 2
			if pad < 0 {
				pad = 0
			}
			p.report(kc.ClassGeneral, "      "+strings.Repeat(" ", pad)+"Please use global lvs_sync_daemon")
			p.arg(w, 1)
		},
		"vrrp_instance/smtp_alert": func(p *parser, w []string) {
			in := p.load.inst
			on := true
			if len(w) >= 2 {
				switch checkTrueFalse(w[1]) {
				case -1:
					p.report(kc.ClassGeneral, "Invalid vrrp_instance smtp_alert parameter "+w[1])
					return
				case 0:
					on = false
				}
			}
			in.SMTPAlert = on
		},
		"vrrp_instance/native_ipv6": func(p *parser, w []string) {
			in := p.load.inst
			if in.fam == 4 {
				p.report(kc.ClassGeneral, "("+in.Name+") Cannot specify native_ipv6 with IPv4 addresses")
				return
			}
			in.NativeIPv6, in.fam, in.Version, in.ver = true, 6, 3, 3
		},
		"vrrp_instance/dont_track_primary": func(p *parser, w []string) { p.load.inst.DontTrackPrimary = true },
		"vrrp_instance/accept":             func(p *parser, w []string) { p.load.inst.Accept = true },
		"vrrp_instance/no_accept":          func(p *parser, w []string) { p.load.inst.Accept = false },
		"vrrp_instance/strict_mode": func(p *parser, w []string) {
			in := p.load.inst
			in.StrictMode, in.strictGiven = len(w) < 2 || checkTrueFalse(w[1]) != 0, true
		},
		"vrrp_instance/vmac_xmit_base": func(p *parser, w []string) { p.load.inst.VMACXmitBase = true },
		"vrrp_instance/use_vmac": func(p *parser, w []string) {
			in := p.load.inst
			in.UseVMAC = "vrrp." + itoa(in.VRID)
			if len(w) > 1 {
				in.UseVMAC = w[1]
			}
		},
		"vrrp_script": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			l.script = &Script{Name: p.arg(w, 1), Interval: time.Second, Rise: 1, Fall: 1, Pos: p.pos()}
			l.scriptUserSet, l.removeScript = false, false
			l.cfg.Scripts = append(l.cfg.Scripts, l.script)
		},
		"vrrp_script/script": func(p *parser, w []string) {
			if cmd, _, ok := p.scriptLine(false); ok {
				p.load.script.Command = cmd
			}
		},
		"vrrp_script/interval": func(p *parser, w []string) {
			s := p.load.script
			const most = (1<<32 - 1) / timerHz
			v, ok := p.readUnsigned(p.arg(w, 1), 0, most)
			if !ok {
				p.report(kc.ClassGeneral, "("+s.Name+"): vrrp script interval '"+w[1]+"' must be between 1 and "+utoa(most)+" - ignoring")
				return
			}
			if v == 0 {
				p.report(kc.ClassGeneral, "("+s.Name+"): vrrp script interval must be greater than 0, setting to 1")
				v = 1
			}
			s.Interval = time.Duration(v) * time.Second
		},
		"vrrp_script/timeout": func(p *parser, w []string) {
			s := p.load.script
			v, ok := p.readUnsigned(p.arg(w, 1), 0, (1<<32-1)/timerHz)
			if !ok {
				p.report(kc.ClassGeneral, "("+s.Name+"): vrrp script timeout '"+w[1]+"' invalid - ignoring")
				return
			}
			if v == 0 {
				p.report(kc.ClassGeneral, "("+s.Name+"): vrrp script timeout must be greater than 0, setting to 1")
				v = 1
			}
			s.Timeout = time.Duration(v) * time.Second
		},
		"vrrp_script/weight": func(p *parser, w []string) {
			s := p.load.script
			v, ok := p.readInt(p.arg(w, 1), -253, 253)
			if !ok {
				p.report(kc.ClassGeneral, "vrrp_script "+s.Name+" weight "+w[1]+" must be in [-253, 253]")
			}
			s.Weight = v
			s.Reverse = p.reverseOption(w, "vrrp_script "+s.Name)
		},
		"vrrp_script/rise": scriptCount("rise"),
		"vrrp_script/fall": scriptCount("fall"),
		"vrrp_script/user": func(p *parser, w []string) {
			l := p.load
			l.script.User = p.arg(w, 1)
			if len(w) > 2 {
				l.script.Group = w[2]
			}
			if !userExists(l.script.User, l.script.Group) {
				p.report(kc.ClassGeneral, "Unable to set uid/gid for script "+cmdString(l.script.Command))
				l.removeScript = true
			} else {
				l.removeScript, l.scriptUserSet = false, true
			}
		},
		"vrrp_script/init_fail": func(p *parser, w []string) { p.load.script.InitFail = true },
		"vrrp_sync_group": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			exists := func(n string) bool {
				for _, g := range l.cfg.SyncGroups {
					if g.Name == n {
						return true
					}
				}
				return false
			}
			if !p.namedBlock(w, "vrrp_sync_group must have a name - skipping", "vrrp sync group", exists) {
				return
			}
			l.sgroup = &SyncGroup{Name: w[1], Notify: map[string]*NotifyScript{}}
			l.cfg.SyncGroups = append(l.cfg.SyncGroups, l.sgroup)
		},
		"vrrp_sync_group/group": func(p *parser, w []string) {
			g := p.load.sgroup
			if g.groupSeen {
				p.report(kc.ClassGeneral, "Group list already specified for sync group "+g.Name)
				p.skipBlock(true)
				return
			}
			g.groupSeen = true
			p.valueBlock(w, func(v []string) { g.Group = append(g.Group, v...) })
			if len(g.Group) == 0 {
				p.report(kc.ClassGeneral, "Warning - sync group "+g.Name+" has empty group block")
			}
		},
		"vrrp_sync_group/global_tracking": func(p *parser, w []string) {
			p.report(kc.ClassGeneral, "("+p.load.sgroup.Name+") global_tracking is deprecated. Use track_interface/script/file on the sync group")
			p.load.sgroup.Settings = append(p.load.sgroup.Settings, Setting{Keyword: w[0]})
			p.load.sgroup.trackingWeight = true
		},
		"vrrp_sync_group/sync_group_tracking_weight": func(p *parser, w []string) {
			p.load.sgroup.Settings = append(p.load.sgroup.Settings, Setting{Keyword: w[0]})
			p.load.sgroup.trackingWeight = true
		},
		"vrrp_track_process": func(p *parser, w []string) {
			if w == nil {
				return
			}
			l := p.load
			l.tproc = &TrackProcess{Name: p.arg(w, 1), Quorum: 1}
			l.cfg.TrackProcesses = append(l.cfg.TrackProcesses, l.tproc)
		},
		"vrrp_track_process/process": func(p *parser, w []string) { p.load.tproc.Process = w[1:] },
		"vrrp_track_process/weight": func(p *parser, w []string) {
			if v, ok := p.readInt(p.arg(w, 1), -254, 254); ok {
				p.load.tproc.Weight = v
			}
		},
		"vrrp_track_process/quorum": func(p *parser, w []string) {
			v, ok := p.readUnsigned(p.arg(w, 1), 1, 1<<32-1)
			if !ok {
				p.report(kc.ClassGeneral, "Quorum "+w[1]+" must be in [1, 4294967295]. Setting to 1.")
				v = 1
			}
			p.load.tproc.Quorum = int(v)
		},
		"static_ipaddress": func(p *parser, w []string) {
			if w == nil {
				return
			}
			p.valueBlock(w, func(v []string) {
				if a := p.address(v, true); a != nil {
					p.load.cfg.StaticAddresses = append(p.load.cfg.StaticAddresses, a)
				}
			})
		},
		"static_routes": func(p *parser, w []string) {
			if w == nil {
				return
			}
			p.valueBlock(w, func(v []string) {
				if r := p.route(v); r != nil {
					p.load.cfg.StaticRoutes = append(p.load.cfg.StaticRoutes, r)
				}
			})
		},
		"static_rules": func(p *parser, w []string) {
			if w == nil {
				return
			}
			p.valueBlock(w, func(v []string) {
				if r := p.rule(v); r != nil {
					p.load.cfg.StaticRules = append(p.load.cfg.StaticRules, r)
				}
			})
		},
	}
	for _, k := range []string{"notify", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_deleted", "notify_master_rx_lower_pri"} {
		key := k
		h["vrrp_instance/"+key] = func(p *parser, w []string) {
			if _, dup := p.load.inst.Notify[key]; dup && key != "notify_deleted" {
				p.report(kc.ClassGeneral, "("+p.load.inst.Name+") "+key+" script already specified - ignoring "+p.arg(w, 1))
				return
			}
			if key == "notify_deleted" && len(w) < 2 {
				// Without a script it only asks for DELETED in notify.
				p.load.inst.Notify[key] = &NotifyScript{}
				return
			}
			if cmd, user, ok := p.scriptLine(true); ok && p.scriptUserOK(user) {
				p.load.inst.Notify[key] = notifyScript(cmd, user)
				p.load.notifyScripts = append(p.load.notifyScripts, cmd)
			}
		}
		h["vrrp_sync_group/"+key] = func(p *parser, w []string) {
			if _, dup := p.load.sgroup.Notify[key]; dup {
				p.report(kc.ClassGeneral, "vrrp group "+p.load.sgroup.Name+": "+key+" script already specified - ignoring "+p.arg(w, 1))
				return
			}
			if cmd, user, ok := p.scriptLine(true); ok && p.scriptUserOK(user) {
				p.load.sgroup.Notify[key] = notifyScript(cmd, user)
				p.load.notifyScripts = append(p.load.notifyScripts, cmd)
			}
		}
	}
	for _, k := range []string{"track_interface", "track_script"} {
		key := k
		h["vrrp_sync_group/"+key] = func(p *parser, w []string) {
			g := p.load.sgroup
			var list []Tracked
			p.valueBlock(w, func(v []string) {
				var t Tracked
				var ok bool
				if key == "track_interface" {
					t, ok = p.trackInterface(g.Name, list, v)
				} else {
					t, ok = p.trackScript(g.Name, list, v)
				}
				if ok {
					list = append(list, t)
				}
			})
		}
	}
	return h
}

// garpExtraIf reads garp_extra_if (and its old name vmac_garp_intvl):
// a delay in seconds and/or "all".
func garpExtraIf(p *parser, w []string) {
	in := p.load.inst
	if w[0] == "vmac_garp_intvl" {
		p.report(kc.ClassDeprecated, "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"")
	}
	if !p.extraIfDelay(w, 0, "("+in.Name+"): ") {
		return
	}
	in.Settings = append(in.Settings, Setting{Keyword: w[0], Args: w[1:]})
}

// unicastFlag marks keywords that only make sense with unicast peers.
func unicastFlag(p *parser, w []string) {
	p.load.inst.unicastConfigured = true
	p.load.inst.Settings = append(p.load.inst.Settings, Setting{Keyword: w[0], Args: w[1:]})
}

func scriptCount(kw string) handler {
	return func(p *parser, w []string) {
		s := p.load.script
		v, ok := p.readUnsigned(p.arg(w, 1), 1, 1<<31-1)
		if !ok {
			p.report(kc.ClassGeneral, "("+s.Name+"): vrrp script "+kw+" value '"+w[1]+"' invalid, defaulting to 1")
			v = 1
		}
		if kw == "rise" {
			s.Rise = int(v)
		} else {
			s.Fall = int(v)
		}
	}
}

func srcIP(kw string) handler {
	return func(p *parser, w []string) {
		in := p.load.inst
		if kw == "unicast_src_ip" {
			in.unicastConfigured = true
		}
		a, err := netip.ParseAddr(p.arg(w, 1))
		if err != nil {
			p.report(kc.ClassGeneral, "Configuration error: VRRP instance["+in.Name+"] malformed src address["+w[1]+"]. Skipping...")
			return
		}
		f := 4
		if a.Is6() {
			f = 6
		}
		if in.fam == 0 {
			in.fam = f
		} else if in.fam != f {
			p.report(kc.ClassGeneral, "Configuration error: VRRP instance["+in.Name+"] and src address["+w[1]+"] MUST be of the same family !!! Skipping...")
			return
		}
		if kw == "mcast_src_ip" {
			in.McastSrcIP = a
		} else {
			in.UnicastSrcIP = a
		}
	}
}

// vrrpClosers run at the closing brace of a block, as the reference's end
// handlers.
func vrrpClosers() map[string]func(*parser) {
	return map[string]func(*parser){
		"vrrp_instance": func(p *parser) {
			in := p.load.inst
			if in != nil && len(in.UnicastPeers) == 0 && in.UnicastTTL != nil {
				p.report(kc.ClassGeneral, "("+in.Name+"): Cannot use unicast_ttl without unicast peers - resetting")
				in.UnicastTTL = nil
			}
		},
		"vrrp_track_process": func(p *parser) {
			t := p.load.tproc
			if t != nil && len(t.Process) == 0 {
				p.report(kc.ClassGeneral, "track process '"+t.Name+"' process name not specified")
				p.load.cfg.TrackProcesses = p.load.cfg.TrackProcesses[:len(p.load.cfg.TrackProcesses)-1]
			}
		},
		"vrrp_script": func(p *parser) {
			l := p.load
			s := l.script
			if len(s.Command) == 0 {
				p.report(kc.ClassGeneral, "No script set for vrrp_script "+s.Name+" - removing")
				l.removeScript = true
			} else if !l.removeScript && !l.scriptUserSet {
				if l.defaultScriptUserFails(p) {
					p.report(kc.ClassGeneral, "Unable to set default user for vrrp script "+s.Name+" - removing")
					l.removeScript = true
				}
			}
			if l.removeScript {
				l.cfg.Scripts = l.cfg.Scripts[:len(l.cfg.Scripts)-1]
			}
		},
	}
}

func (p *parser) trackInterface(owner string, have []Tracked, v []string) (Tracked, bool) {
	name := v[0]
	ok, _ := p.load.ifaceExists(name)
	if !ok {
		p.load.badInterface = true
		p.report(kc.ClassGeneral, "("+owner+") tracked interface "+name+" doesn't exist")
		return Tracked{}, false
	}
	for _, t := range have {
		if t.Name == name {
			p.report(kc.ClassGeneral, "("+owner+") duplicate track_interface "+name+" - ignoring")
			return Tracked{}, false
		}
	}
	t := Tracked{Name: name}
	if len(v) >= 2 {
		if v[1] != "weight" {
			p.report(kc.ClassGeneral, "("+owner+") unknown track_interface "+name+" option "+v[1]+" - ignoring")
			return Tracked{}, false
		}
		if len(v) == 2 {
			p.report(kc.ClassGeneral, "("+owner+") weight without value specified for track_interface "+name+" - ignoring")
			return Tracked{}, false
		}
		w, ok := p.readInt(v[2], -254, 254)
		if !ok {
			p.report(kc.ClassGeneral, "("+owner+") weight "+v[2]+" for "+name+" must be between [-253..253] inclusive. Ignoring...")
			w = 0
		}
		t.Weight = w
		if len(v) >= 4 && v[3] == "reverse" {
			t.Reverse = true
		}
	}
	return t, true
}

func (p *parser) trackScript(owner string, have []Tracked, v []string) (Tracked, bool) {
	name := v[0]
	var s *Script
	for _, e := range p.load.cfg.Scripts {
		if e.Name == name {
			s = e
		}
	}
	if s == nil {
		p.report(kc.ClassGeneral, "("+owner+") track script "+name+" not found, ignoring...")
		return Tracked{}, false
	}
	for _, t := range have {
		if t.Name == name {
			p.report(kc.ClassGeneral, "("+owner+") duplicate track_script "+name+" - ignoring")
			return Tracked{}, false
		}
	}
	t := Tracked{Name: name, Weight: s.Weight, Reverse: s.Reverse}
	if len(v) >= 2 {
		if v[1] != "weight" {
			p.report(kc.ClassGeneral, "("+owner+") unknown track script option "+v[1]+" - ignoring")
			return Tracked{}, false
		}
		if len(v) == 2 {
			p.report(kc.ClassGeneral, "("+owner+") weight without value specified for track script "+name+" - ignoring")
			return Tracked{}, false
		}
		w, ok := p.readInt(v[2], -254, 254)
		if !ok {
			w = s.Weight
			p.report(kc.ClassGeneral, "("+owner+") track script "+name+": weight must be between [-253..253] inclusive, ignoring...")
		} else if w == 254 || w == -254 {
			p.report(kc.ClassGeneral, "("+owner+") weight for "+name+" cannot be +/-254. Setting to +/-253")
			w = w / 254 * 253
		}
		t.Weight = w
		if len(v) >= 4 {
			switch v[3] {
			case "reverse":
				t.Reverse = true
			case "noreverse":
				t.Reverse = false
			default:
				p.report(kc.ClassGeneral, "("+owner+") unknown track_script "+name+" weight option "+v[3]+" - ignoring")
			}
		}
	}
	return t, true
}

// trackNamed handles track_file and track_process entries.
func (p *parser) trackNamed(owner, what string, v []string, exists func(string) (int, bool)) (Tracked, bool) {
	name := v[0]
	w, ok := exists(name)
	if !ok {
		p.report(kc.ClassGeneral, "("+owner+") "+what+" "+name+" not found, ignoring...")
		return Tracked{}, false
	}
	t := Tracked{Name: name, Weight: w}
	if len(v) >= 3 && v[1] == "weight" {
		if x, ok := p.readInt(v[2], -254, 254); ok {
			t.Weight = x
		}
	}
	return t, true
}

func (l *loader) trackFileWeight(name string) (int, bool) {
	for _, f := range l.cfg.TrackFiles {
		if f.Name == name {
			return f.Weight, true
		}
	}
	return 0, false
}

func (l *loader) trackProcessWeight(name string) (int, bool) {
	for _, f := range l.cfg.TrackProcesses {
		if f.Name == name {
			return f.Weight, true
		}
	}
	return 0, false
}

// namedBlock checks the opening line of a named block ("NAME {"): exactly
// one name, not used before. Otherwise it reports and skips the block,
// as the reference does.
func (p *parser) namedBlock(w []string, noName, what string, exists func(string) bool) bool {
	switch {
	case len(w) != 2:
		p.report(kc.ClassGeneral, noName)
	case exists(w[1]):
		p.report(kc.ClassGeneral, what+" "+w[1]+" already defined")
	default:
		return true
	}
	p.skipBlock(true)
	return false
}

// instUnsigned is the rule for an unsigned vrrp_instance value: the
// reference's number check, its own message when the value is refused,
// and (zeroMsg) the message when 0 is raised to 1.
func instUnsigned(lo, hi uint64, invalid, zeroMsg string, set func(*Instance, uint64)) handler {
	return func(p *parser, w []string) {
		in := p.load.inst
		v, ok := p.readUnsigned(p.arg(w, 1), lo, hi)
		if !ok {
			p.report(kc.ClassGeneral, fmt.Sprintf(invalid, in.Name, w[1]))
			return
		}
		if v == 0 && zeroMsg != "" {
			p.report(kc.ClassGeneral, fmt.Sprintf(zeroMsg, in.Name))
			v = 1
		}
		set(in, v)
	}
}

// instFlag is the rule for an optional on/off vrrp_instance keyword.
func instFlag(name string, set func(*Instance, bool)) handler {
	return func(p *parser, w []string) {
		in := p.load.inst
		b := true
		if len(w) > 1 {
			switch checkTrueFalse(w[1]) {
			case 0:
				b = false
			case -1:
				p.report(kc.ClassGeneral, "("+in.Name+") invalid "+name+" "+w[1]+" specified")
				return
			}
		}
		set(in, b)
	}
}

func notifyScript(cmd, user []string) *NotifyScript {
	n := &NotifyScript{Command: cmd}
	if len(user) > 0 {
		n.User = user[0]
	}
	if len(user) > 1 {
		n.Group = user[1]
	}
	return n
}

// reverseOption reads the optional "reverse" after a weight; anything
// else is reported as "<owner> unknown weight option X".
func (p *parser) reverseOption(w []string, owner string) bool {
	if len(w) <= 2 {
		return false
	}
	if w[2] == "reverse" {
		return true
	}
	p.report(kc.ClassGeneral, owner+" unknown weight option "+w[2])
	return false
}
