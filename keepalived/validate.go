package keepalived

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	kc "fulcrum/confparse/keepalivedconf"
)

// handlers and closers is the keyword table: a keyword path names the
// function that fills the model. Keywords of the table without a function
// are kept as settings (see recordSetting) and reported as not built yet.
var handlers, closers = buildTable()

func buildTable() (map[string]handler, map[string]func(*parser)) {
	h := map[string]handler{}
	for _, m := range []map[string]handler{globalHandlers(), vrrpHandlers(), checkHandlers(), trackFileHandlers()} {
		for k, v := range m {
			h[k] = v
		}
	}
	for _, c := range []string{"HTTP_GET", "SSL_GET"} {
		h["virtual_server/real_server/"+c+"/nb_get_retry"] = checkerNbGetRetry
	}
	c := vrrpClosers()
	for k, v := range checkClosers() {
		c[k] = v
	}
	for k, v := range trackFileClosers() {
		c[k] = v
	}
	return h, c
}

// afterPass runs the checks the reference makes once a pass has read the
// whole file.
func (l *loader) afterPass(pass Pass) {
	switch pass {
	case PassChecker:
		l.validateCheck()
	case PassVRRP:
		l.validateVRRP()
	}
}

func (l *loader) validateCheck() {
	defer l.checkScriptSecurity()
	for _, vs := range l.cfg.VirtualServers {
		name := vsName(vs)
		if len(vs.Reals) == 0 {
			l.noPos(kc.ClassGeneral, "Virtual server "+name+" has no real servers - ignoring")
			continue
		}
		group := strings.HasPrefix(vs.Address, "group ")
		if (group && l.groupHasAddresses(vs) || !group && !vs.fwmark) && !vs.hasProto {
			l.noPos(kc.ClassGeneral, "Virtual server "+name+": no protocol set - defaulting to UDP")
			vs.hasProto, vs.proto = true, "udp"
		}
		if f := strings.Fields(vs.Address); !group && !vs.fwmark && (len(f) < 2 || strings.Trim(f[1], "0") == "") && !vs.persistent {
			l.noPos(kc.ClassGeneral, "Virtual server "+vsName(vs)+": zero port only valid for persistent services - setting")
		}
		if vs.hasProto && vs.fwmark {
			l.noPos(kc.ClassGeneral, "Warning: Virtual server "+name+": protocol specified for fwmark - protocol will be ignored")
			vs.hasProto, vs.proto = false, ""
		}
		if !hasSetting(vs.Settings, "lb_algo") && !hasSetting(vs.Settings, "lvs_sched") {
			l.noPos(kc.ClassGeneral, "Virtual server "+vsName(vs)+": no scheduler set, setting default 'wlc'")
		}
		var weightSum uint64
		for _, rs := range vs.Reals {
			if rs.kind == "" {
				if vs.kind == "" {
					l.noPos(kc.ClassGeneral, "Virtual server "+vsName(vs)+": no forwarding method set, setting default NAT")
					vs.kind = "NAT"
				}
				rs.kind = vs.kind
			}
			weightSum += rs.weight
		}
		if vs.quorum > weightSum {
			l.noPos(kc.ClassGeneral, "Warning - quorum "+utoa(vs.quorum)+" for "+vsName(vs)+" exceeds total weight of real servers "+utoa(weightSum)+", reducing quorum to "+utoa(weightSum))
			vs.quorum = weightSum
		}
		if vs.hysteresis >= vs.quorum {
			l.noPos(kc.ClassGeneral, "Virtual server "+vsName(vs)+": hysteresis "+utoa(vs.hysteresis)+" >= quorum "+utoa(vs.quorum)+"; setting hysteresis to "+strconv.FormatInt(int64(vs.quorum)-1, 10))
			vs.hysteresis = vs.quorum - 1
		}
		if group {
			continue
		}
		for _, rs := range vs.Reals {
			if rs.kind == "NAT" {
				if !vs.fwmark && rs.port == "" {
					rs.port = vs.port
				}
				continue
			}
			switch {
			case vs.fwmark && rs.port != "":
				l.noPos(kc.ClassGeneral, "WARNING - fwmark virtual server "+vsName(vs)+", real server "+rsName(vs, rs)+" has port specified - clearing")
				rs.port = ""
			case !vs.fwmark && rs.port == "":
				rs.port = vs.port
			case !vs.fwmark && rs.port != vs.port:
				l.noPos(kc.ClassGeneral, "WARNING - virtual server "+vsName(vs)+" and real server "+rsName(vs, rs)+" ports don't match - resetting")
				rs.port = vs.port
			}
		}
	}
}

// checkScriptSecurity reports MISC_CHECK scripts that would run as root
// without enable_script_security; the reference checks this last.
func (l *loader) checkScriptSecurity() {
	if len(l.cfg.VirtualServers) > 0 {
		found := false
		for _, m := range l.miscScripts {
			if scriptState(m) == scriptFound {
				found = true
			}
		}
		if found && !l.cfg.Global.EnableScriptSecurity {
			l.noPos(kc.ClassSecurity, "SECURITY VIOLATION - check scripts are being executed but script_security not enabled.")
		}
	}
}

func hasSetting(s []Setting, kw string) bool {
	for _, e := range s {
		if e.Keyword == kw {
			return true
		}
	}
	return false
}

// groupHasAddresses reports whether the virtual_server_group a virtual
// server names holds address entries (not only fwmarks).
func (l *loader) groupHasAddresses(vs *VirtualServer) bool {
	f := strings.Fields(vs.Address)
	for _, g := range l.cfg.ServerGroups {
		if len(f) > 1 && g.Name == f[1] {
			for _, e := range g.Entries {
				if e[0] != "fwmark" {
					return true
				}
			}
		}
	}
	return false
}

// rsName formats a real server the way the reference's messages do.
func rsName(vs *VirtualServer, rs *RealServer) string {
	proto := vs.proto
	if proto == "" {
		proto = "none"
	}
	port := rs.port
	if port == "" {
		port = "0"
	}
	return "[" + rs.ip + "]:" + proto + ":" + port
}

// vsName formats a virtual server the way the reference's messages do.
func vsName(vs *VirtualServer) string {
	f := strings.Fields(vs.Address)
	switch {
	case len(f) >= 2 && f[0] == "fwmark":
		return "FWM " + f[1]
	case len(f) >= 2 && f[0] == "group":
		return "[" + f[1] + "]:0"
	}
	proto := vs.proto
	if proto == "" {
		proto = "none"
	}
	port := "0"
	if len(f) >= 2 {
		port = f[1]
	}
	return "[" + f[0] + "]:" + proto + ":" + port
}

func (l *loader) validateVRRP() {
	if l.badInterface {
		l.noPos(kc.ClassBadIf, "Non-existent interface specified in configuration")
		return
	}
	if len(l.cfg.Instances) > 0 {
		l.scriptSecurity()
	}
	for _, in := range l.cfg.Instances {
		if in.VRID == 0 {
			l.noPos(kc.ClassGeneral, "("+in.Name+") the virtual router id must be set")
			return
		}
		if in.Interface == "" { // unicast is not known yet at this point in the reference
			l.noPos(kc.ClassGeneral, "("+in.Name+") Unknown interface!")
			return
		}
	}
	l.syncGroups()
	l.completeInstances()
}

// scriptSecurity disables scripts that cannot be found and reports
// scripts that would run as root without enable_script_security.
func (l *loader) scriptSecurity() {
	security := l.cfg.Global.EnableScriptSecurity
	isScript := false
	var kept []*Script
	for _, s := range l.cfg.Scripts {
		switch scriptState(s.Command) {
		case scriptMissing:
			l.noPos(kc.ClassGeneral, "Disabling track script "+s.Name+" since not found/accessible")
			s.removed = true
			continue
		case scriptFound:
			isScript = true
		}
		kept = append(kept, s)
	}
	for _, n := range l.notifyScripts {
		if scriptState(n) == scriptFound {
			isScript = true
		}
	}
	if !security && isScript {
		l.noPos(kc.ClassSecurity, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
	}
	l.cfg.Scripts = kept
	for _, s := range kept {
		if s.Timeout == 0 {
			s.Timeout = s.Interval // the reference's default
		}
	}
	// Tracking a disabled script is dropped with it, as the reference does.
	for _, in := range l.cfg.Instances {
		var ts []Tracked
		for _, t := range in.TrackScripts {
			for _, s := range kept {
				if s.Name == t.Name {
					ts = append(ts, t)
					break
				}
			}
		}
		in.TrackScripts = ts
	}
}

// completeInstances makes the per-instance checks the reference makes
// once everything is read, and derives defaults (priority 255 for an
// initial MASTER without a priority).
func (l *loader) completeInstances() {
	for _, in := range l.cfg.Instances {
		if !in.strictGiven {
			in.StrictMode = l.cfg.Global.VRRPStrict
		}
		if in.ver == 0 {
			in.Version = l.cfg.Global.VRRPVersion
			if in.fam == 6 {
				in.Version = 3
			}
		}
		if len(in.VIPs) == 0 {
			if in.Version == 3 || in.fam == 6 || in.StrictMode {
				l.noPos(kc.ClassGeneral, "("+in.Name+") No VIP specified; at least one is required")
				return
			}
			l.noPos(kc.ClassGeneral, "("+in.Name+") No VIP specified; at least one is sensible")
		}
		if !in.priorityGiven && in.State == StateMaster {
			in.Priority = 255
		}
		if in.StrictMode && in.stateGiven && (in.State == StateMaster) != (in.Priority == 255) {
			l.noPos(kc.ClassGeneral, "("+in.Name+") State MASTER must match being address owner")
			in.State = StateBackup
			if in.Priority == 255 {
				in.State = StateMaster
			}
		}
		switch {
		case in.StrictMode && in.AuthType != AuthNone:
			l.noPos(kc.ClassGeneral, "("+in.Name+") Strict mode does not support authentication. Ignoring.")
			in.AuthType = AuthNone
		case in.AuthType != AuthNone && in.Version == 3:
			l.noPos(kc.ClassGeneral, "("+in.Name+") VRRP version 3 does not support authentication. Ignoring.")
			in.AuthType = AuthNone
		case in.AuthType != AuthNone && (len(in.AuthPass) == 0 || in.AuthPass[0] == 0):
			l.noPos(kc.ClassGeneral, "("+in.Name+") Authentication specified but no password given. Ignoring")
			in.AuthType = AuthNone
		case in.AuthType == AuthAH && in.State == StateMaster && in.Priority != 255:
			l.noPos(kc.ClassGeneral, "("+in.Name+") Initial state master is incompatible with AH authentication - clearing")
			in.State = StateBackup
		}
		if in.unicastConfigured && len(in.UnicastPeers) == 0 && !in.faultNoPeer {
			l.noPos(kc.ClassDeprecated, "("+in.Name+") A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.")
		}
		if in.Priority == 255 && !in.Preempt {
			l.noPos(kc.ClassGeneral, "("+in.Name+") nopreempt is incompatible with priority 255. resetting nopreempt")
			in.Preempt = true
		}
		var kept []Tracked
		for _, t := range in.TrackInterfaces {
			if in.Interface != "" && t.Name == in.Interface {
				l.noPos(kc.ClassGeneral, "("+in.Name+") Ignoring track_interface "+t.Name+" since own interface")
				continue
			}
			kept = append(kept, t)
		}
		in.TrackInterfaces = kept
		if in.State == StateMaster {
			if !in.Preempt {
				l.noPos(kc.ClassGeneral, "("+in.Name+") Warning - nopreempt will not work with initial state MASTER - clearing")
				in.Preempt = true
			}
			if in.PreemptDelay != 0 {
				l.noPos(kc.ClassGeneral, "("+in.Name+") Warning - preempt delay will not work with initial state MASTER - clearing")
				in.PreemptDelay = 0
			}
		}
		if in.StrictMode {
			if in.GarpLowerPrioRepeat != nil && *in.GarpLowerPrioRepeat != 0 {
				l.noPos(kc.ClassGeneral, "("+in.Name+") Strict mode requires no repeat garps. resetting")
				*in.GarpLowerPrioRepeat = 0
			}
			if in.GarpLowerPrioDelay != nil && *in.GarpLowerPrioDelay != 0 {
				l.noPos(kc.ClassGeneral, "("+in.Name+") Strict mode requires no repeat garp delay. resetting")
				*in.GarpLowerPrioDelay = 0
			}
			if in.LowerPrioNoAdvert != nil && !*in.LowerPrioNoAdvert {
				l.noPos(kc.ClassGeneral, "("+in.Name+") Strict mode requires no lower priority advert. resetting")
				*in.LowerPrioNoAdvert = true
			}
			if in.HigherPrioSendAdvert != nil && *in.HigherPrioSendAdvert {
				l.noPos(kc.ClassGeneral, "("+in.Name+") strict mode requires higher_prio_send_advert to be clear. resetting")
				*in.HigherPrioSendAdvert = false
			}
		}
		l.checkAdvertInt(in)
		if in.VMACXmitBase && in.UseVMAC == "" {
			l.noPos(kc.ClassGeneral, "("+in.Name+") vmac_xmit_base is only valid with a vmac")
			in.VMACXmitBase = false
		}
		if len(in.VIPs) == 0 {
			// The reference checks this twice and says so twice.
			l.noPos(kc.ClassWarning, "("+in.Name+") No VIP specified; at least one is sensible")
		}
		l.ignoreWeights(in)
	}
	l.vridConflicts()
}

// syncGroups resolves each vrrp_sync_group's members.
func (l *loader) syncGroups() {
	var kept []*SyncGroup
	inGroup := map[string]bool{}
	for _, g := range l.cfg.SyncGroups {
		if len(g.Group) == 0 {
			l.noPos(kc.ClassGeneral, "Sync group "+g.Name+" has no virtual router(s). removing")
			continue
		}
		n := 0
		for _, name := range g.Group {
			if l.instance(name) == nil {
				l.noPos(kc.ClassGeneral, "Virtual router "+name+" specified in sync group "+g.Name+" doesn't exist - ignoring")
				continue
			}
			if inGroup[name] {
				l.noPos(kc.ClassGeneral, "Virtual router "+name+" cannot exist in more than one sync group; ignoring "+g.Name)
				continue
			}
			inGroup[name] = true
			l.instance(name).syncGroup = g
			n++
		}
		if n == 0 {
			l.noPos(kc.ClassGeneral, "Sync group "+g.Name+", no matching virtual router found in group declaration - removing")
			continue
		}
		if n == 1 {
			l.noPos(kc.ClassGeneral, "Sync group "+g.Name+" has only 1 virtual router(s) - this probably isn't what you want")
		}
		kept = append(kept, g)
	}
	l.cfg.SyncGroups = kept
}

func (l *loader) instance(name string) *Instance {
	for _, in := range l.cfg.Instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// vridConflicts reports two multicast instances with the same VRID and
// address family on one interface.
func (l *loader) vridConflicts() {
	ins := l.cfg.Instances
	for i, a := range ins {
		for _, b := range ins[i+1:] {
			if a.VRID != b.VRID || a.family() != b.family() || a.Interface == "" || a.Interface != b.Interface {
				continue
			}
			if len(a.UnicastPeers) > 0 || len(b.UnicastPeers) > 0 {
				continue
			}
			v := "4"
			if a.family() == 6 {
				v = "6"
			}
			l.noPos(kc.ClassGeneral, a.Name+" and "+b.Name+" both use VRID "+itoa(a.VRID)+" with IPv"+v+" on interface "+a.Interface)
		}
	}
}

type scriptCheck int

const (
	scriptSystem scriptCheck = iota // a `</path` file check, never executed
	scriptMissing
	scriptFound
)

// scriptState finds a script the way the reference does before running
// it: a bare name is searched in PATH, a path must resolve.
func scriptState(cmd []string) scriptCheck {
	if len(cmd) == 0 {
		return scriptMissing
	}
	name := cmd[0]
	if strings.HasPrefix(name, "<") && strings.HasPrefix(strings.TrimLeft(name[1:], " \t"), "/") {
		return scriptSystem
	}
	if !strings.Contains(name, "/") {
		p, err := exec.LookPath(name)
		if err != nil {
			return scriptMissing
		}
		name = p
	}
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return scriptMissing
	}
	if _, err := os.Stat(real); err != nil {
		return scriptMissing
	}
	return scriptFound
}

// defaultScriptUserFails reproduces the reference's lookup of the default
// script user (keepalived_script, else root unless script security is on).
func (l *loader) defaultScriptUserFails(p *parser) bool {
	if l.defaultUserFail {
		return true
	}
	if l.defaultUserSet {
		return false
	}
	l.defaultUserSet = true
	if !userExists("keepalived_script", "") && l.cfg.Global.EnableScriptSecurity {
		p.report(kc.ClassGeneral, "Unable to set default user keepalived_script for script")
		l.defaultUserFail = true
		return true
	}
	return false
}

func trackFileHandlers() map[string]handler {
	h := map[string]handler{}
	for _, root := range []string{"track_file", "vrrp_track_file"} {
		h[root] = func(p *parser, w []string) {
			if w == nil || p.pass != PassVRRP {
				// The checker reads track_file too; the model takes it once.
				p.load.tfile = &TrackFile{Weight: 1}
				if w != nil {
					p.load.tfile.Name = p.arg(w, 1)
				}
				return
			}
			l := p.load
			l.tfile = &TrackFile{Name: p.arg(w, 1), Weight: 1}
			l.cfg.TrackFiles = append(l.cfg.TrackFiles, l.tfile)
		}
		h[root+"/file"] = func(p *parser, w []string) {
			f := p.load.tfile
			if f.File != "" {
				p.report(kc.ClassGeneral, "File already set for track file "+f.Name+" - ignoring "+w[1])
				return
			}
			f.File = w[1]
		}
		h[root+"/weight"] = func(p *parser, w []string) {
			f := p.load.tfile
			if f.Weight != 1 {
				p.report(kc.ClassGeneral, "Weight already set for track file "+f.Name+" - ignoring "+w[1])
				return
			}
			v, ok := p.readInt(w[1], -254, 254)
			if !ok {
				p.report(kc.ClassGeneral, "Weight ("+w[1]+") for track_file "+f.Name+" must be between [-254..254] inclusive. Ignoring...")
				v = 1
			}
			f.Weight = v
			f.Reverse = p.reverseOption(w, "track_file "+f.Name)
		}
		h[root+"/init_file"] = func(p *parser, w []string) {
			f := p.load.tfile
			f.InitFile = strings.Join(w[1:], " ")
			for _, word := range w[1:] {
				word = strings.TrimLeft(word, " \t\n\r\f\v")
				switch {
				case word != "" && (isDigitByte(word[0]) || word[0] == '-'):
					v, _, complete, overflow := strtoNum(word)
					switch {
					case !complete || overflow || v < -1<<31 || v > 1<<31-1:
						p.readInt(word, -1<<31, 1<<31-1) // the number message
						p.report(kc.ClassGeneral, "Track file "+f.Name+" init value "+word+" is invalid")
					case v < -254 || v > 254:
						p.report(kc.ClassGeneral, "Track file "+f.Name+" init value "+strconv.FormatInt(v, 10)+" is outside sensible range [-254, 254]")
					}
				case word == "overwrite":
				default:
					p.report(kc.ClassGeneral, "Unknown track file init option "+word)
				}
			}
		}
	}
	return h
}

func trackFileClosers() map[string]func(*parser) {
	c := map[string]func(*parser){}
	for _, root := range []string{"track_file", "vrrp_track_file"} {
		c[root] = func(p *parser) {
			f := p.load.tfile
			if f == nil || f.File != "" {
				return
			}
			p.report(kc.ClassGeneral, "No file set for track_file "+f.Name+" - ignoring")
			if p.pass == PassVRRP && len(p.load.cfg.TrackFiles) > 0 {
				p.load.cfg.TrackFiles = p.load.cfg.TrackFiles[:len(p.load.cfg.TrackFiles)-1]
			}
		}
	}
	return c
}

// checkAdvertInt applies the reference's limits on the advert interval:
// whole seconds below 256 s for VRRPv2, 10 ms units below 40.96 s for v3.
func (l *loader) checkAdvertInt(in *Instance) {
	d := in.AdvertInt
	if in.Version == 2 {
		switch {
		case d >= 256*time.Second:
			l.noPos(kc.ClassGeneral, fmt.Sprintf("(%s) VRRPv2 advertisement interval %.2fs is out of range. Must be less than %ds. Setting to %ds", in.Name, d.Seconds(), 256, 255))
			in.AdvertInt = 255 * time.Second
		case d%time.Second != 0:
			l.noPos(kc.ClassGeneral, fmt.Sprintf("(%s) VRRPv2 advertisement interval %fs must be an integer. rounding", in.Name, d.Seconds()))
			in.AdvertInt = (d + time.Second/2) / time.Second * time.Second
			if in.AdvertInt == 0 {
				in.AdvertInt = time.Second
			}
		}
		return
	}
	const centi = 10 * time.Millisecond
	switch {
	case d >= 4096*centi:
		l.noPos(kc.ClassGeneral, fmt.Sprintf("(%s) VRRPv3 advertisement interval %.2fs is out of range. Must be less than %.2fs. Setting to %.2fs", in.Name, d.Seconds(), 40.96, 40.95))
		in.AdvertInt = 4095 * centi
	case d%centi != 0:
		l.noPos(kc.ClassGeneral, fmt.Sprintf("(%s) VRRPv3 advertisement interval %fs must be in units of 10ms - rounding", in.Name, d.Seconds()))
		in.AdvertInt = (d + centi/2) / centi * centi
		if in.AdvertInt == 0 {
			in.AdvertInt = centi
		}
	}
}

// ignoreWeights drops tracking weights the reference ignores: in a sync
// group (unless it tracks with weights) and for an address owner.
func (l *loader) ignoreWeights(in *Instance) {
	inSync := in.syncGroup != nil && !in.syncGroup.trackingWeight
	if !inSync && in.Priority != 255 {
		return
	}
	why := "address owner"
	if inSync {
		why = "SYNC group"
	}
	var ifs []Tracked
	for _, t := range in.TrackInterfaces {
		if t.Weight != 0 {
			if inSync {
				l.noPos(kc.ClassGeneral, "("+in.Name+") ignoring "+t.Name+" tracked interface weight due to "+why)
				t.Weight = 0
			} else {
				l.noPos(kc.ClassGeneral, "("+in.Name+") ignoring "+t.Name+" tracked interface due to "+why)
				continue
			}
		}
		ifs = append(ifs, t)
	}
	in.TrackInterfaces = ifs
	if !inSync {
		why = "address_owner"
	}
	var scripts []Tracked
	for _, t := range in.TrackScripts {
		if t.Weight != 0 {
			l.noPos(kc.ClassGeneral, "("+in.Name+") ignoring tracked script "+t.Name+" with weights due to "+why)
			continue
		}
		scripts = append(scripts, t)
	}
	in.TrackScripts = scripts
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }
