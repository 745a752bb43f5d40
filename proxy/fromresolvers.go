package proxy

import (
	"bufio"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/resolve"
)

// ResolvConf is the file `parse-resolv-conf` reads (tests point it at
// their own).
var ResolvConf = "/etc/resolv.conf"

// ActsOnResolvers reports whether a resolvers-section keyword is mapped
// onto the engine (so the model's "not acted on yet" notice is stale).
func ActsOnResolvers(keyword string) bool {
	switch keyword {
	case "nameserver", "parse-resolv-conf", "accepted_payload_size", "hold", "resolve_retries", "timeout":
		return true
	}
	return false
}

// resolversOf maps the `resolvers` sections, and lists their names in
// configuration order, the implicit "default" last.
func (a *adapter) resolversOf() (map[string]*resolve.Config, []string) {
	out := map[string]*resolve.Config{}
	var order []string
	for _, sec := range a.hc.Others {
		if sec.Kind != "resolvers" || len(sec.Args) == 0 {
			continue
		}
		rc := resolve.Defaults(sec.Args[0])
		for _, d := range sec.Lines {
			a.resolversLine(rc, d)
		}
		if out[rc.Name] == nil {
			order = append(order, rc.Name)
		}
		out[rc.Name] = rc
	}
	if out["default"] == nil {
		// The reference's implicit section: the system's nameservers.
		rc := resolve.Defaults("default")
		rc.Nameservers = readResolvConf()
		out["default"] = rc
		order = append(order, "default")
	}
	return out, order
}

// resolversLine applies one line of a resolvers section; the model has
// checked its shape already.
func (a *adapter) resolversLine(rc *resolve.Config, d haproxy.Directive) {
	arg := func(i int) string {
		if i < len(d.Args) {
			return d.Args[i]
		}
		return ""
	}
	dur := func(w string) time.Duration {
		t, _ := parseTime(w)
		return t
	}
	switch d.Keyword {
	case "nameserver":
		if ns, ok := parseNameserver(arg(0), arg(1)); ok {
			rc.Nameservers = append(rc.Nameservers, ns)
		} else {
			// The model has warned when it cannot be reached at all.
			a.warn(d.Pos, "nameserver '%s' : address '%s' is not a literal IP address and port: Fulcrum does not query it.", arg(0), arg(1))
		}
	case "parse-resolv-conf":
		rc.Nameservers = append(rc.Nameservers, a.resolvConf(d.Pos)...)
	case "accepted_payload_size":
		rc.PayloadSize, _ = strconv.Atoi(arg(0))
	case "resolve_retries":
		rc.Retries, _ = strconv.Atoi(arg(0))
	case "timeout":
		switch arg(0) {
		case "resolve":
			rc.TimeoutResolve = dur(arg(1))
		case "retry":
			rc.TimeoutRetry = dur(arg(1))
		}
	case "hold":
		t := dur(arg(1))
		switch h := &rc.Hold; arg(0) {
		case "valid":
			h.Valid = t
		case "nx":
			h.NX = t
		case "timeout":
			h.Timeout = t
		case "refused":
			h.Refused = t
		case "other":
			h.Other = t
		case "obsolete":
			h.Obsolete = t
		}
	}
}

// parseNameserver reads `[udp@|tcp@|ipv4@|ipv6@]IP[:PORT]` (port 53 by
// default).
func parseNameserver(name, w string) (resolve.Nameserver, bool) {
	ns := resolve.Nameserver{Name: name}
	if p, rest, ok := strings.Cut(w, "@"); ok {
		switch p {
		case "tcp", "tcp4", "tcp6":
			ns.TCP = true
		case "udp", "udp4", "udp6", "ipv4", "ipv6":
		default:
			return ns, false
		}
		w = rest
	}
	if ap, err := netip.ParseAddrPort(w); err == nil {
		ns.Addr = ap
		return ns, true
	}
	if ip, err := netip.ParseAddr(strings.Trim(w, "[]")); err == nil {
		ns.Addr = netip.AddrPortFrom(ip, 53)
		return ns, true
	}
	return ns, false
}

// resolvConf reads the nameservers of ResolvConf, named by their
// address as the reference names them.
func (a *adapter) resolvConf(pos confparse.Pos) []resolve.Nameserver {
	if _, err := os.Stat(ResolvConf); err != nil {
		a.warn(pos, "failed to open %s: %v", ResolvConf, err)
		return nil
	}
	return readResolvConf()
}

// readResolvConf reads the nameservers of ResolvConf (none when it
// cannot be read).
func readResolvConf() []resolve.Nameserver {
	f, err := os.Open(ResolvConf)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []resolve.Nameserver
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if ip, err := netip.ParseAddr(fields[1]); err == nil {
			out = append(out, resolve.Nameserver{Name: fields[1], Addr: netip.AddrPortFrom(ip, 53)})
		}
	}
	return out
}

// serverResolve maps a server's `resolvers`, `resolve-prefer`,
// `resolve-net` and `resolve-opts` (nil without resolvers or for a
// literal address, which the reference does not resolve).
func (a *adapter) serverResolve(px *haproxy.Proxy, name, host string, opts map[string]string, pos confparse.Pos) *ServerResolve {
	sec, ok := opts["resolvers"]
	if !ok || a.cfg.Resolvers[sec] == nil {
		return nil
	}
	srv := a.srvRecord != ""
	if srv {
		host = a.srvRecord
	} else if _, err := netip.ParseAddr(host); err == nil || host == "" || host == "*" {
		return nil
	}
	r := &ServerResolve{Resolvers: sec, FQDN: host, SRV: srv, PreferIPv4: opts["resolve-prefer"] == "ipv4"}
	if nets := opts["resolve-net"]; nets != "" {
		for _, n := range strings.Split(nets, ",") {
			if p, err := netip.ParsePrefix(n); err == nil {
				r.Nets = append(r.Nets, p.Masked())
			} else {
				a.alert(pos, "'server %s/%s' : 'resolve-net' : invalid network '%s'.", px.Name, name, n)
			}
		}
	}
	for _, o := range strings.Split(opts["resolve-opts"], ",") {
		switch o {
		case "allow-dup-ip":
			r.AllowDupIP = true
		case "prevent-dup-ip":
			r.AllowDupIP = false
		case "ignore-weight":
			r.IgnoreWeight = true
		}
	}
	return r
}

// resolveOptionActed reports whether a server option is acted on by the
// resolution of s, or needs no action: a literal address, which the
// reference does not resolve either.
func resolveOptionActed(s *Server, host, k string) bool {
	switch k {
	case "resolvers", "resolve-prefer", "resolve-net", "resolve-opts", "init-addr":
		_, err := netip.ParseAddr(host)
		return s.Resolve != nil || err == nil
	}
	return false
}
