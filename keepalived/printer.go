package keepalived

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Print writes cfg back as keepalived.conf text. Reading the text again
// gives the same model (TestPrintRoundTrip).
func Print(w io.Writer, cfg *Config) error {
	p := &printer{w: w}
	p.global(&cfg.Global)
	for _, s := range cfg.Scripts {
		p.open("vrrp_script " + s.Name)
		p.line("script", quote(joinScript(s.Command)))
		p.line("interval", secs(s.Interval))
		if s.Timeout != 0 {
			p.line("timeout", secs(s.Timeout))
		}
		weight := strconv.Itoa(s.Weight)
		if s.Reverse {
			weight += " reverse"
		}
		p.line("weight", weight)
		p.line("rise", strconv.Itoa(s.Rise))
		p.line("fall", strconv.Itoa(s.Fall))
		if s.User != "" {
			p.line("user", strings.TrimSpace(s.User+" "+s.Group))
		}
		if s.InitFail {
			p.line("init_fail")
		}
		p.close()
	}
	for _, t := range cfg.TrackProcesses {
		p.open("vrrp_track_process " + t.Name)
		p.line("process", words(t.Process))
		p.line("weight", strconv.Itoa(t.Weight))
		p.line("quorum", strconv.Itoa(t.Quorum))
		p.settings(t.Settings)
		p.close()
	}
	for _, t := range cfg.TrackFiles {
		p.open("track_file " + t.Name)
		if t.File != "" {
			p.line("file", t.File)
		}
		weight := strconv.Itoa(t.Weight)
		if t.Reverse {
			weight += " reverse"
		}
		p.line("weight", weight)
		if t.InitFile != "" {
			p.line("init_file", t.InitFile)
		}
		p.close()
	}
	if len(cfg.StaticAddresses) > 0 {
		p.open("static_ipaddress")
		for _, a := range cfg.StaticAddresses {
			p.line(address(a))
		}
		p.close()
	}
	p.wordBlock("static_routes", routeWords(cfg.StaticRoutes))
	p.wordBlock("static_rules", ruleWords(cfg.StaticRules))
	for _, in := range cfg.Instances {
		p.instance(in)
	}
	for _, g := range cfg.SyncGroups {
		p.open("vrrp_sync_group " + g.Name)
		p.open("group")
		for _, n := range g.Group {
			p.line(n)
		}
		p.close()
		p.notify(g.Notify)
		p.settings(g.Settings)
		p.close()
	}
	for _, b := range cfg.BFDInstances {
		p.open("bfd_instance " + b.Name)
		p.settings(b.Settings)
		p.close()
	}
	for _, g := range cfg.ServerGroups {
		p.open("virtual_server_group " + g.Name)
		for _, e := range g.Entries {
			p.line(words(e))
		}
		p.close()
	}
	for _, vs := range cfg.VirtualServers {
		p.open("virtual_server " + vs.Address)
		p.settings(vs.Settings)
		for _, rs := range vs.Reals {
			p.open("real_server " + rs.Address)
			p.settings(rs.Settings)
			for _, c := range rs.Checkers {
				p.open(c.Type)
				p.settings(c.Settings)
				p.close()
			}
			p.close()
		}
		p.close()
	}
	return p.err
}

type printer struct {
	w     io.Writer
	depth int
	err   error
}

func (p *printer) line(ws ...string) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, "%s%s\n", strings.Repeat("    ", p.depth), strings.Join(ws, " "))
}

func (p *printer) open(head string) { p.line(head, "{"); p.depth++ }
func (p *printer) close()           { p.depth--; p.line("}") }

func (p *printer) settings(list []Setting) {
	for _, s := range list {
		if s.Block != nil {
			p.open(strings.TrimSpace(s.Keyword + " " + words(s.Args)))
			p.settings(s.Block)
			p.close()
			continue
		}
		p.line(s.Keyword, words(s.Args))
	}
}

func (p *printer) wordBlock(name string, lines [][]string) {
	if len(lines) == 0 {
		return
	}
	p.open(name)
	for _, l := range lines {
		p.line(words(l))
	}
	p.close()
}

func (p *printer) notify(n map[string]*NotifyScript) {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := n[k]
		if len(s.Command) == 0 {
			p.line(k)
			continue
		}
		p.line(k, quote(joinScript(s.Command)), strings.TrimSpace(s.User+" "+s.Group))
	}
}

func (p *printer) global(g *Global) {
	p.open("global_defs")
	if g.RouterID != "" {
		p.line("router_id", g.RouterID)
	}
	if len(g.NotificationEmail) > 0 {
		p.open("notification_email")
		for _, e := range g.NotificationEmail {
			p.line(e)
		}
		p.close()
	}
	if g.NotificationEmailFrom != "" {
		p.line("notification_email_from", g.NotificationEmailFrom)
	}
	if g.SMTPServer != "" {
		host, port, _ := strings.Cut(g.SMTPServer, "]:")
		if !strings.HasPrefix(g.SMTPServer, "[") {
			i := strings.LastIndex(g.SMTPServer, ":")
			host, port = g.SMTPServer[:i], g.SMTPServer[i+1:]
		}
		p.line("smtp_server", strings.TrimPrefix(host, "["), port)
	}
	p.line("smtp_connect_timeout", strconv.Itoa(int(g.SMTPConnectTimeout/time.Second)))
	if g.EnableScriptSecurity {
		p.line("enable_script_security")
	}
	if g.ScriptUser != "" {
		p.line("script_user", strings.TrimSpace(g.ScriptUser+" "+g.ScriptGroup))
	}
	if g.VRRPSkipCheckAdvAddr {
		p.line("vrrp_skip_check_adv_addr")
	}
	if g.VRRPStrict {
		p.line("vrrp_strict")
	}
	if g.VRRPGarpInterval != 0 {
		p.line("vrrp_garp_interval", secs(g.VRRPGarpInterval))
	}
	if g.VRRPGnaInterval != 0 {
		p.line("vrrp_gna_interval", secs(g.VRRPGnaInterval))
	}
	p.line("vrrp_mcast_group4", g.VRRPMcastGroup4.String())
	p.line("vrrp_mcast_group6", g.VRRPMcastGroup6.String())
	p.line("vrrp_version", strconv.Itoa(g.VRRPVersion))
	if g.DefaultInterface != "" {
		p.line("default_interface", g.DefaultInterface)
	}
	if g.MaxAutoPriority != 0 {
		p.line("max_auto_priority", strconv.Itoa(g.MaxAutoPriority))
	}
	if g.StatusHTTPListen != "" {
		p.line("status_http_listen", g.StatusHTTPListen)
	}
	p.settings(g.Settings)
	p.close()
}

func (p *printer) instance(in *Instance) {
	p.open("vrrp_instance " + in.Name)
	p.line("state", string(in.State))
	if in.Interface != "" {
		p.line("interface", in.Interface)
	}
	if in.UseVMAC != "" {
		p.line("use_vmac", in.UseVMAC)
	}
	if in.VMACXmitBase {
		p.line("vmac_xmit_base")
	}
	if in.NativeIPv6 {
		p.line("native_ipv6")
	}
	if in.VRID != 0 {
		p.line("virtual_router_id", strconv.Itoa(in.VRID))
	}
	p.line("priority", strconv.Itoa(in.Priority))
	p.line("advert_int", secs(in.AdvertInt))
	p.line("version", strconv.Itoa(in.Version))
	if in.AuthType != AuthNone || len(in.AuthPass) > 0 {
		p.open("authentication")
		if in.AuthType != AuthNone {
			p.line("auth_type", string(in.AuthType))
		}
		if len(in.AuthPass) > 0 {
			p.line("auth_pass", quote(strings.TrimRight(string(in.AuthPass), "\x00")))
		}
		p.close()
	}
	for _, a := range []struct {
		name string
		set  []*Address
	}{{"virtual_ipaddress", in.VIPs}, {"virtual_ipaddress_excluded", in.ExcludedVIPs}} {
		if len(a.set) == 0 {
			continue
		}
		p.open(a.name)
		for _, v := range a.set {
			p.line(address(v))
		}
		p.close()
	}
	p.wordBlock("virtual_routes", routeWords(in.Routes))
	p.wordBlock("virtual_rules", ruleWords(in.Rules))
	for _, t := range []struct {
		name string
		list []Tracked
	}{{"track_interface", in.TrackInterfaces}, {"track_script", in.TrackScripts}, {"track_file", in.TrackFiles}, {"track_process", in.TrackProcesses}} {
		if len(t.list) == 0 {
			continue
		}
		p.open(t.name)
		for _, e := range t.list {
			s := e.Name + " weight " + strconv.Itoa(e.Weight)
			if e.Reverse {
				s += " reverse"
			}
			p.line(s)
		}
		p.close()
	}
	if in.Preempt {
		p.line("preempt")
	} else {
		p.line("nopreempt")
	}
	if in.PreemptDelay != 0 {
		p.line("preempt_delay", secs(in.PreemptDelay))
	}
	if in.UnicastSrcIP.IsValid() {
		p.line("unicast_src_ip", in.UnicastSrcIP.String())
	}
	if in.UnicastTTL != nil {
		p.line("unicast_ttl", strconv.Itoa(*in.UnicastTTL))
	}
	if len(in.UnicastPeers) > 0 {
		p.open("unicast_peer")
		for _, a := range in.UnicastPeers {
			p.line(a.String())
		}
		p.close()
	}
	if in.McastSrcIP.IsValid() {
		p.line("mcast_src_ip", in.McastSrcIP.String())
	}
	p.line("garp_master_delay", strconv.Itoa(int(in.GarpMasterDelay/time.Second)))
	p.line("garp_master_repeat", strconv.Itoa(in.GarpMasterRepeat))
	if in.GarpMasterRefresh != 0 {
		p.line("garp_master_refresh", strconv.Itoa(int(in.GarpMasterRefresh/time.Second)))
	}
	if in.GarpMasterRefreshRepeat != 0 {
		p.line("garp_master_refresh_repeat", strconv.Itoa(in.GarpMasterRefreshRepeat))
	}
	if in.GarpLowerPrioDelay != nil {
		p.line("garp_lower_prio_delay", strconv.Itoa(int(*in.GarpLowerPrioDelay/time.Second)))
	}
	if in.GarpLowerPrioRepeat != nil {
		p.line("garp_lower_prio_repeat", strconv.Itoa(*in.GarpLowerPrioRepeat))
	}
	if in.LowerPrioNoAdvert != nil {
		p.line("lower_prio_no_advert", strconv.FormatBool(*in.LowerPrioNoAdvert))
	}
	if in.HigherPrioSendAdvert != nil {
		p.line("higher_prio_send_advert", strconv.FormatBool(*in.HigherPrioSendAdvert))
	}
	p.notify(in.Notify)
	if in.SMTPAlert {
		p.line("smtp_alert")
	}
	if in.DontTrackPrimary {
		p.line("dont_track_primary")
	}
	if in.Accept {
		p.line("accept")
	}
	if in.StrictMode {
		p.line("strict_mode")
	}
	p.settings(in.Settings)
	p.close()
}

func address(a *Address) string {
	s := []string{a.Prefix.String()}
	if a.Broadcast != "" {
		s = append(s, "brd", a.Broadcast)
	}
	if a.Dev != "" {
		s = append(s, "dev", a.Dev)
	}
	if a.Scope != "" {
		s = append(s, "scope", a.Scope)
	}
	if a.Label != "" {
		s = append(s, "label", a.Label)
	}
	if a.Peer != "" {
		s = append(s, "peer", a.Peer)
	}
	return strings.Join(append(s, a.Options...), " ")
}

func routeWords(rs []*Route) [][]string {
	var out [][]string
	for _, r := range rs {
		out = append(out, r.Words)
	}
	return out
}

func ruleWords(rs []*Rule) [][]string {
	var out [][]string
	for _, r := range rs {
		out = append(out, r.Words)
	}
	return out
}

// words joins values, quoting those the reader would otherwise split.
func words(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		if w == "" || strings.ContainsAny(w, " \t#!{}") {
			w = quote(w)
		}
		out[i] = w
	}
	return strings.Join(out, " ")
}

func quote(s string) string { return `"` + s + `"` }

func joinScript(cmd []string) string {
	out := make([]string, len(cmd))
	for i, c := range cmd {
		if strings.ContainsAny(c, " \t") {
			c = "'" + c + "'"
		}
		out[i] = c
	}
	return strings.Join(out, " ")
}

// secs prints a duration in the seconds-with-decimals form the reference
// reads.
func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
