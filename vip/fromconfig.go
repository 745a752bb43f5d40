package vip

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/keepalived"
	"fulcrum/vip/notify"
	"fulcrum/vip/track"
	"fulcrum/vip/vrrp"
)

// Plan is a keepalived.Config mapped onto the engine: the instances and
// sync groups for Engine.Apply, the static addresses and routes for
// SetStatic, what must be watched for the tracked objects, the notify
// FIFO, and a warning (with file:line where the model has one) for each
// thing read that the engine does not act on.
type Plan struct {
	Instances    []Config
	Groups       []SyncGroup
	StaticAddrs  []VIP
	StaticRoutes []Route
	Watches      []Watch
	FIFO         string // global notify_fifo / vrrp_notify_fifo path; "" none
	Warnings     []confparse.Diagnostic
}

// WatchKind says what a Watch observes.
type WatchKind int

// The kinds of tracked objects.
const (
	WatchInterface WatchKind = iota // track_interface: link state
	WatchScript                     // vrrp_script
	WatchFile                       // track_file: a number
	WatchProcess                    // vrrp_track_process
)

// Watch is one tracked object and the instances that track it under Key
// (the Track name in their Config). Reverse inverts a script's result
// (weight ... reverse).
type Watch struct {
	Kind      WatchKind
	Key       string
	Interface string
	Script    track.Script
	File      string
	Process   track.Process
	Reverse   bool
	Instances []string
}

// Track keys carry their kind so a script and an interface of the same
// name stay apart.
func trackKey(kind, name string) string { return kind + ":" + name }

// fifoKeywords are the global keywords naming the VRRP notify FIFO; the
// engine writes it, so they are not reported as unbuilt.
var fifoKeywords = []string{"global_defs/notify_fifo", "global_defs/vrrp_notify_fifo"}

// FromConfig maps cfg onto the engine.
func FromConfig(cfg *keepalived.Config) *Plan {
	p := &Plan{}
	for _, u := range cfg.Unbuilt {
		if slices.Contains(fifoKeywords, u.Keyword) {
			continue
		}
		p.warnAt(confparse.Pos{File: u.File, Line: u.Line}, "'%s' is read but not acted on by Fulcrum's VRRP engine", u.Keyword)
	}
	g := &cfg.Global
	for _, s := range g.Settings {
		if (s.Keyword == "notify_fifo" || s.Keyword == "vrrp_notify_fifo") && len(s.Args) > 0 {
			p.FIFO = s.Args[0] // vrrp_notify_fifo comes later and wins
		}
	}
	if g.SMTPServer != "" || len(g.NotificationEmail) > 0 {
		p.warnAt(confparse.Pos{}, "smtp_server/notification_email: mail alerts are not built in Fulcrum; no mail is sent")
	}
	if len(cfg.VirtualServers) > 0 || len(cfg.ServerGroups) > 0 {
		p.warnAt(confparse.Pos{}, "%d virtual_server(s): LVS and its health checkers are not built in Fulcrum; only VRRP runs", len(cfg.VirtualServers))
	}
	if len(cfg.BFDInstances) > 0 {
		p.warnAt(confparse.Pos{}, "bfd_instance: BFD is not built in Fulcrum")
	}
	if len(cfg.StaticRules) > 0 {
		p.warnAt(confparse.Pos{}, "static_rules are not built in Fulcrum; they are not installed")
	}
	for _, a := range cfg.StaticAddresses {
		if v, ok := p.vip(a, confparse.Pos{}); ok {
			p.StaticAddrs = append(p.StaticAddrs, v)
		}
	}
	for _, r := range cfg.StaticRoutes {
		if rt, ok := p.route(r, confparse.Pos{}); ok {
			p.StaticRoutes = append(p.StaticRoutes, rt)
		}
	}
	watches := map[string]*Watch{}
	for _, in := range cfg.Instances {
		c, ok := p.instance(cfg, in, watches)
		if ok {
			p.Instances = append(p.Instances, c)
		}
	}
	keys := make([]string, 0, len(watches))
	for k := range watches {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.Watches = append(p.Watches, *watches[k])
	}
	for _, sg := range cfg.SyncGroups {
		p.Groups = append(p.Groups, SyncGroup{Name: sg.Name, Members: slices.Clone(sg.Group), Notify: scripts(sg.Notify, g)})
	}
	return p
}

func (p *Plan) warnAt(pos confparse.Pos, format string, args ...any) {
	p.Warnings = append(p.Warnings, confparse.Diagnostic{Pos: pos, Severity: confparse.Warning,
		Message: "WARNING: " + fmt.Sprintf(format, args...)})
}

// instance maps one vrrp_instance; false when the engine cannot run it
// (the warning says why).
func (p *Plan) instance(cfg *keepalived.Config, in *keepalived.Instance, watches map[string]*Watch) (Config, bool) {
	g := &cfg.Global
	c := Defaults()
	c.Name, c.Interface = in.Name, in.Interface
	if c.Interface == "" {
		c.Interface = g.DefaultInterface
	}
	if in.VRID < 1 || in.VRID > 255 || in.Priority < 1 || in.Priority > 255 {
		p.warnAt(in.Pos, "(%s) virtual_router_id %d / priority %d out of range: instance not run", in.Name, in.VRID, in.Priority)
		return c, false
	}
	c.VRID, c.Priority = uint8(in.VRID), uint8(in.Priority)
	c.InitialMaster = in.State == keepalived.StateMaster
	if in.AdvertInt > 0 {
		c.Interval = in.AdvertInt
	}
	if in.Version != 0 {
		c.Version = in.Version
	}
	switch in.AuthType {
	case keepalived.AuthPass:
		c.AuthType, c.AuthPass = vrrp.AuthPass, strings.TrimRight(string(in.AuthPass), "\x00")
	case keepalived.AuthAH:
		p.warnAt(in.Pos, "(%s) auth_type AH is not built in Fulcrum; advertisements carry no authentication", in.Name)
	}
	for _, a := range in.VIPs {
		if v, ok := p.vip(a, in.Pos); ok {
			c.VIPs = append(c.VIPs, v)
		}
	}
	for _, a := range in.ExcludedVIPs {
		if v, ok := p.vip(a, in.Pos); ok {
			c.ExcludedVIPs = append(c.ExcludedVIPs, v)
		}
	}
	for _, r := range in.Routes {
		if rt, ok := p.route(r, in.Pos); ok {
			c.Routes = append(c.Routes, rt)
		}
	}
	for _, r := range in.Rules {
		if ru, ok := p.rule(r, in.Pos); ok {
			c.Rules = append(c.Rules, ru)
		}
	}
	c.SrcAddr = in.McastSrcIP
	if in.UnicastSrcIP.IsValid() {
		c.SrcAddr = in.UnicastSrcIP
	}
	c.UnicastPeers = slices.Clone(in.UnicastPeers)
	if in.UnicastTTL != nil {
		c.UnicastTTL = *in.UnicastTTL
	}
	if len(c.VIPs) > 0 && c.VIPs[0].Prefix.Addr().Is6() {
		c.McastGroup = g.VRRPMcastGroup6
	} else {
		c.McastGroup = g.VRRPMcastGroup4
	}
	c.NoPreempt, c.PreemptDelay = !in.Preempt, in.PreemptDelay
	c.SkipCheckAdvAddr, c.Strict = g.VRRPSkipCheckAdvAddr, g.VRRPStrict || in.StrictMode
	c.DontTrackPrimary = in.DontTrackPrimary
	if in.UseVMAC != "" {
		c.UseVMAC, c.VMACName = true, in.UseVMAC
	}
	c.VMACXmitBase = in.VMACXmitBase
	c.GARPDelay, c.GARPRepeat = in.GarpMasterDelay, in.GarpMasterRepeat
	c.GARPRefresh, c.GARPRefreshRepeat = in.GarpMasterRefresh, max(in.GarpMasterRefreshRepeat, 1)
	c.GARPInterval, c.GNAInterval = g.VRRPGarpInterval, g.VRRPGnaInterval
	c.Notify = scripts(in.Notify, g)

	for _, t := range in.TrackInterfaces {
		c.Tracks = append(c.Tracks, Track{Name: trackKey("if", t.Name), Weight: t.Weight})
		addWatch(watches, Watch{Kind: WatchInterface, Key: trackKey("if", t.Name), Interface: t.Name}, in.Name)
	}
	for _, t := range in.TrackScripts {
		s := findNamed(cfg.Scripts, func(s *keepalived.Script) string { return s.Name }, t.Name)
		if s == nil {
			continue
		}
		key := trackKey("script", t.Name)
		if t.Reverse {
			// Reverse: the weight moves the priority the other way, which
			// is the opposite weight applied to the opposite result.
			key = trackKey("rscript", t.Name)
		}
		w := t.Weight
		if t.Reverse {
			w = -w
		}
		c.Tracks = append(c.Tracks, Track{Name: key, Weight: w})
		addWatch(watches, Watch{Kind: WatchScript, Key: key, Reverse: t.Reverse, Script: trackScript(s, g)}, in.Name)
	}
	for _, t := range in.TrackFiles {
		f := findNamed(cfg.TrackFiles, func(f *keepalived.TrackFile) string { return f.Name }, t.Name)
		if f == nil {
			continue
		}
		key := trackKey("file", t.Name)
		c.Tracks = append(c.Tracks, Track{Name: key, Weight: t.Weight, File: true, Reverse: t.Reverse})
		addWatch(watches, Watch{Kind: WatchFile, Key: key, File: f.File}, in.Name)
	}
	for _, t := range in.TrackProcesses {
		tp := findNamed(cfg.TrackProcesses, func(f *keepalived.TrackProcess) string { return f.Name }, t.Name)
		if tp == nil || len(tp.Process) == 0 {
			continue
		}
		key := trackKey("process", t.Name)
		c.Tracks = append(c.Tracks, Track{Name: key, Weight: t.Weight})
		addWatch(watches, Watch{Kind: WatchProcess, Key: key, Process: track.Process{Name: tp.Process[0], Quorum: tp.Quorum}}, in.Name)
	}
	p.unacted(in)
	if err := c.Validate(); err != nil {
		p.warnAt(in.Pos, "%v: instance not run", err)
		return c, false
	}
	return c, true
}

// unacted warns about instance settings the model reads and the engine
// does not act on.
func (p *Plan) unacted(in *keepalived.Instance) {
	for _, u := range []struct {
		set bool
		kw  string
	}{
		{in.SMTPAlert, "smtp_alert (mail alerts are not built)"},
		{in.GarpLowerPrioDelay != nil, "garp_lower_prio_delay"},
		{in.GarpLowerPrioRepeat != nil, "garp_lower_prio_repeat"},
		{in.LowerPrioNoAdvert != nil, "lower_prio_no_advert"},
		{in.HigherPrioSendAdvert != nil, "higher_prio_send_advert"},
		{in.Accept, "accept"},
	} {
		if u.set {
			p.warnAt(in.Pos, "(%s) %s is read but not acted on by Fulcrum's VRRP engine", in.Name, u.kw)
		}
	}
}

func addWatch(m map[string]*Watch, w Watch, inst string) {
	if have := m[w.Key]; have != nil {
		have.Instances = append(have.Instances, inst)
		return
	}
	w.Instances = []string{inst}
	m[w.Key] = &w
}

func findNamed[T any](list []T, name func(T) string, want string) T {
	var zero T
	for _, x := range list {
		if name(x) == want {
			return x
		}
	}
	return zero
}

func trackScript(s *keepalived.Script, g *keepalived.Global) track.Script {
	return track.Script{Name: s.Name, Cmd: script(s.Command, s.User, s.Group, g), Interval: s.Interval,
		Timeout: s.Timeout, Rise: max(s.Rise, 1), Fall: max(s.Fall, 1), InitFail: s.InitFail}
}

// script is one command with its user: its own, else script_user.
func script(argv []string, user, group string, g *keepalived.Global) notify.Script {
	if len(argv) == 0 {
		return notify.Script{}
	}
	if user == "" {
		user, group = g.ScriptUser, g.ScriptGroup
	}
	return notify.Script{Argv: slices.Clone(argv), User: user, Group: group}
}

func scripts(m map[string]*keepalived.NotifyScript, g *keepalived.Global) notify.Scripts {
	get := func(k string) notify.Script {
		if s := m[k]; s != nil {
			return script(s.Command, s.User, s.Group, g)
		}
		return notify.Script{}
	}
	return notify.Scripts{Master: get("notify_master"), Backup: get("notify_backup"), Fault: get("notify_fault"),
		Stop: get("notify_stop"), Any: get("notify")}
}

// scopes are the names `ip` gives address and route scopes.
var scopes = map[string]int{"global": 0, "universe": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}

func scopeNumber(s string) (int, bool) {
	if n, ok := scopes[s]; ok {
		return n, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= 255
}

func (p *Plan) vip(a *keepalived.Address, pos confparse.Pos) (VIP, bool) {
	v := VIP{Prefix: a.Prefix, Dev: a.Dev, Label: a.Label}
	if a.Broadcast != "" {
		b, err := netip.ParseAddr(a.Broadcast)
		if err != nil {
			p.warnAt(pos, "%v: brd %s is not built in Fulcrum (only an address); ignored", a.Prefix, a.Broadcast)
		}
		v.Broadcast = b
	}
	if a.Scope != "" {
		n, ok := scopeNumber(a.Scope)
		if !ok {
			p.warnAt(pos, "%v: unknown scope %s; global used", a.Prefix, a.Scope)
		}
		v.Scope = n
	}
	if a.Peer != "" || len(a.Options) > 0 {
		p.warnAt(pos, "%v: peer/%s not acted on by Fulcrum", a.Prefix, strings.Join(a.Options, " "))
	}
	return v, true
}

// route reads a virtual_routes / static_routes entry as `ip route` words.
func (p *Plan) route(r *keepalived.Route, pos confparse.Pos) (Route, bool) {
	rt := Route{Dev: r.Dev}
	w := r.Words
	bad := func(why string) (Route, bool) {
		p.warnAt(pos, "route '%s': %s; route not installed", strings.Join(w, " "), why)
		return Route{}, false
	}
	for i := 0; i < len(w); i++ {
		arg := func() (string, bool) {
			if i+1 >= len(w) {
				return "", false
			}
			i++
			return w[i], true
		}
		switch k := w[i]; k {
		case "to", "via", "gw", "src", "dev", "oif", "metric", "preference", "priority", "table", "scope":
			v, ok := arg()
			if !ok {
				return bad(k + " without a value")
			}
			var err error
			switch k {
			case "to":
				rt.Dst, err = parsePrefix(v)
			case "via", "gw":
				rt.Gateway, err = netip.ParseAddr(v)
			case "src":
				rt.Src, err = netip.ParseAddr(v)
			case "dev", "oif":
				rt.Dev = v
			case "metric", "preference", "priority":
				rt.Metric, err = strconv.Atoi(v)
			case "table":
				rt.Table, err = strconv.Atoi(v)
				if v == "main" {
					rt.Table, err = 0, nil
				}
			case "scope":
				var ok bool
				if rt.Scope, ok = scopeNumber(v); !ok {
					err = fmt.Errorf("unknown scope")
				}
			}
			if err != nil {
				return bad(k + " " + v + ": " + err.Error())
			}
		case "unicast":
		default:
			if !rt.Dst.IsValid() {
				d, err := parsePrefix(k)
				if err == nil {
					rt.Dst = d
					continue
				}
			}
			return bad("option " + k + " not built in Fulcrum")
		}
	}
	if !rt.Dst.IsValid() {
		return bad("no destination")
	}
	return rt, true
}

// parsePrefix reads ADDR[/LEN] or `default` (IPv4).
func parsePrefix(s string) (netip.Prefix, error) {
	if s == "default" {
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// rule reads a virtual_rules entry as `ip rule` words.
func (p *Plan) rule(r *keepalived.Rule, pos confparse.Pos) (Rule, bool) {
	var ru Rule
	w := r.Words
	for i := 0; i < len(w); i++ {
		if i+1 >= len(w) {
			p.warnAt(pos, "rule '%s': %s without a value; rule not installed", strings.Join(w, " "), w[i])
			return Rule{}, false
		}
		k, v := w[i], w[i+1]
		i++
		var err error
		switch k {
		case "from":
			if v != "all" {
				ru.From, err = parsePrefix(v)
			}
		case "to":
			if v != "all" {
				ru.To, err = parsePrefix(v)
			}
		case "table", "lookup":
			ru.Table, err = strconv.Atoi(v)
		case "preference", "priority", "pref":
			ru.Preference, err = strconv.Atoi(v)
		case "iif", "in":
			ru.IIF = v
		case "oif", "out":
			ru.OIF = v
		case "fwmark":
			var n uint64
			n, err = strconv.ParseUint(strings.SplitN(v, "/", 2)[0], 0, 32)
			ru.FWMark = uint32(n)
		default:
			err = fmt.Errorf("not built in Fulcrum")
		}
		if err != nil {
			p.warnAt(pos, "rule '%s': %s %s: %v; rule not installed", strings.Join(w, " "), k, v, err)
			return Rule{}, false
		}
	}
	return ru, true
}
