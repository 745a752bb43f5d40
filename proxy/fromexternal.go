package proxy

import (
	"strconv"

	"fulcrum/haproxy"
	"fulcrum/proxy/check"
)

// externalCheck maps `option external-check` with its `external-check
// command` and `external-check path` lines (the last of each wins; the
// model refused a missing command or global `external-check`).
func (a *adapter) externalCheck(px *haproxy.Proxy, lines []haproxy.Directive) check.Spec {
	x := &check.External{ProxyName: px.Name, NoFork: a.hc.Global.Section == nil || !globalHasLine(a.hc, "insecure-fork-wanted")}
	for _, d := range lines {
		if d.Keyword == "external-check" && len(d.Args) > 1 {
			switch d.Args[0] {
			case "command":
				x.Command = d.Args[1]
			case "path":
				x.Path = d.Args[1]
			}
		}
	}
	// The proxy's first listening address, as the reference shows it.
	for _, b := range px.Binds {
		if len(b.Addrs) == 0 || b.Addrs[0].Path != "" {
			break
		}
		host := b.Addrs[0].Host
		if host == "" || host == "*" {
			host = "0.0.0.0"
		}
		x.ProxyAddr, x.ProxyPort = host, strconv.Itoa(b.Addrs[0].Port)
		break
	}
	return check.Spec{Kind: check.ExternalCmd, External: x}
}

// externalProxyIDs gives external checks their proxy's numeric id, known
// once every proxy is mapped.
func (a *adapter) externalProxyIDs() {
	for _, be := range a.cfg.Backends {
		if x := be.Check.External; x != nil && a.cfg.Stats != nil {
			x.ProxyID = a.cfg.Stats.ProxyIDs[be.Name]
		}
	}
}

// externalTarget describes server s to its backend's external check (nil
// for other checks).
func (b *backend) externalTarget(s *server) *check.ExternalTarget {
	if b.cfg.Check.Kind != check.ExternalCmd {
		return nil
	}
	t := &check.ExternalTarget{ServerName: s.cfg.Name, ServerID: s.lb.ID, MaxConn: s.cfg.MaxConn,
		SSL:     s.cfg.TLS != nil && s.cfg.TLS.Traffic,
		CurConn: func() int { return int(s.state.counters.Cur.Load()) },
		Log: func(alert bool, msg string) {
			lv := Warning
			if alert {
				lv = Alert
			}
			b.engine.log(lv, "", msg)
		}}
	if s.cfg.Addr.IsValid() {
		t.ServerAddr = s.cfg.Addr.Addr().String()
		if !s.cfg.MapPorts {
			t.ServerPort = int(s.cfg.Addr.Port())
		}
	}
	return t
}

// globalHasLine reports whether the global section has a kw line.
func globalHasLine(hc *haproxy.Config, kw string) bool {
	for _, d := range hc.Global.Section.Lines {
		if d.Keyword == kw {
			return true
		}
	}
	return false
}
