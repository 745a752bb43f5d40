package proxy

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/haproxy/spoe"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
	"fulcrum/proxy/httpcache"
	"fulcrum/proxy/userlist"
)

// FromConfig maps a parsed haproxy.cfg onto the engine's Config, with
// HAProxy's defaults. Keywords and options the engine does not act on
// come back as warnings with their file:line; what it cannot run at all
// (mode http, unknown fetches in conditions, unresolvable servers) as
// alerts, and then the Config must not be used.
func FromConfig(hc *haproxy.Config) (*Config, []confparse.Diagnostic) {
	a := &adapter{hc: hc, cfg: &Config{MaxConn: hc.Global.MaxConn}}
	a.cfg.Userlists = a.userlistsOf()
	a.cfg.Resolvers, a.cfg.ResolversOrder = a.resolversOf()
	a.peersTables()
	a.peersSections()
	for _, px := range hc.Proxies {
		a.proxy(px)
		a.optionNotices(px)
		a.filterNotices(px) // fromcompression.go
		a.cacheFilterChecks(px)
	}
	a.cfg.Stats = a.statsGlobal()
	a.cfg.H2 = h2Settings(&hc.Global) // fromh2.go
	a.cfg.SpreadChecks = a.spreadChecks()
	a.cfg.Caches = a.cacheList()                                // fromcache.go
	a.cfg.ProcVars = a.procVarInits()                           // fromprocvars.go
	a.cfg.ConnRateLimit, a.cfg.SessRateLimit = a.rateLimitsOf() // ratelimits.go
	a.externalProxyIDs()
	a.spoeHooks() // fromspoe.go
	return a.cfg, a.diags
}

// ActsOn reports whether the adapter maps a proxy-section keyword onto the
// engine (so the model's "not acted on yet" notice for it is stale). Its
// unsupported arguments are reported by FromConfig itself.
func ActsOn(keyword string) bool { return actedKeywords[keyword] }

var actedKeywords = map[string]bool{"clitcpka-idle": true, "clitcpka-intvl": true, "clitcpka-cnt": true,
	"srvtcpka-idle": true, "srvtcpka-intvl": true, "srvtcpka-cnt": true, "backlog": true, "fullconn": true,
	"hash-balance-factor": true, "retries": true, "retry-on": true, "ignore-persist": true, "force-persist": true, "hash-type": true, "http-check": true, "tcp-check": true,
	"server-template": true, "tcp-request": true, "http-request": true, "http-reuse": true, "default-server": true, "disabled": true, "enabled": true,
	"log-format": true, "log-format-sd": true, "capture": true, "declare": true, "unique-id-format": true, "unique-id-header": true,
	"source": true, "external-check": true}

type adapter struct {
	// connectPort is the port of the backend being mapped's first
	// tcp-check rule when it is a connect with one: its servers need
	// no port of their own to be checked.
	connectPort int
	hc          *haproxy.Config
	cfg         *Config
	diags       []confparse.Diagnostic
	// userlists are the userlist sections, built on first use.
	userlists map[string]*userlist.List
	// srvRecord is the SRV record of the server-template being expanded.
	srvRecord string
	// spoe are the filter spoe engines compiled (fromspoe.go).
	spoe map[*spoe.Engine]*spoeFilter
	// caches are the cache sections' stores, built on first use.
	caches map[string]*httpcache.Cache
}

func (a *adapter) add(sev confparse.Severity, pos confparse.Pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if pos.File != "" {
		msg = fmt.Sprintf("parsing [%s:%d] : %s", pos.File, pos.Line, msg)
	}
	a.diags = append(a.diags, confparse.Diagnostic{Pos: pos, Severity: sev, Message: msg})
}

func (a *adapter) warn(pos confparse.Pos, format string, args ...any) {
	a.add(confparse.Warning, pos, format, args...)
}

func (a *adapter) alert(pos confparse.Pos, format string, args ...any) {
	a.add(confparse.Alert, pos, format, args...)
}

// defaultsOf finds the defaults section a proxy inherits from: the named
// one, or the last one before it in the file (none for a defaults
// section, which resets what the one before it set).
func (a *adapter) defaultsOf(px *haproxy.Proxy) *haproxy.Proxy {
	if px.Kind == "defaults" && px.From == "" {
		return nil
	}
	var last *haproxy.Proxy
	for _, sec := range a.hc.Order {
		if sec == px.Section {
			break
		}
		for _, d := range a.hc.Defaults {
			if d.Section == sec {
				last = d
			}
		}
	}
	if px.From != "" {
		for _, d := range a.hc.Defaults {
			if d.Name == px.From {
				return d
			}
		}
	}
	return last
}

// linesOf lists the directives that apply to px: its defaults chain's,
// then its own (later lines override earlier ones).
// optionOn tells whether px (or its defaults) turns option name on, the
// last `option`/`no option` line deciding; def when there is none.
func (a *adapter) optionOn(px *haproxy.Proxy, name string, def bool) bool {
	on := def
	for _, d := range a.linesOf(px) {
		if set, args, ok := optionLine(d); ok && args[0] == name {
			on = set
		}
	}
	return on
}

func (a *adapter) linesOf(px *haproxy.Proxy) []haproxy.Directive {
	var out []haproxy.Directive
	seen := map[*haproxy.Proxy]bool{}
	var walk func(p *haproxy.Proxy)
	walk = func(p *haproxy.Proxy) {
		if p == nil || seen[p] {
			return
		}
		seen[p] = true
		if p.Kind != "defaults" || p.From != "" { // a defaults section starts afresh unless it says "from"
			walk(a.defaultsOf(p))
		}
		if p.Section != nil {
			out = append(out, p.Section.Lines...)
		}
	}
	walk(px)
	return out
}

func msDur(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// parseTime reads a time word with HAProxy's units (default ms).
func parseTime(s string) (time.Duration, bool) { return parseTimeUnit(s, time.Millisecond) }

// parseTimeUnit reads a time word whose bare number counts in units of
// bare (seconds for the *tcpka-* settings).
func parseTimeUnit(s string, bare time.Duration) (time.Duration, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": bare, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[s[i:]]
	if unit == 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

func (a *adapter) proxy(px *haproxy.Proxy) {
	if px.Options["disabled"] {
		return
	}
	lines := a.linesOf(px)
	for _, d := range lines {
		if d.Keyword == "disabled" {
			return
		}
	}
	a.cfg.Order = append(a.cfg.Order, px.Name)
	acls := a.acls(px)
	a.stickTable(px)
	if px.Kind == "frontend" || px.Kind == "listen" {
		fe := a.frontend(px, lines, acls)
		if px.Mode == "http" {
			a.httpFrontend(fe, px, lines, acls)
		}
	}
	if px.Kind == "backend" || px.Kind == "listen" {
		be := a.backend(px, lines)
		be.Listen = px.Kind == "listen"
		be.Stick = a.stickRules(px, acls)
		be.ContentRules, be.InspectDelay = a.backendContentRules(px, acls)
		be.ResponseRules, be.ResponseInspectDelay = a.responseRules(px, lines, acls)
		if px.Mode == "http" {
			a.httpBackend(be, px, lines, acls)
		}
	}
}

func (a *adapter) frontend(px *haproxy.Proxy, lines []haproxy.Directive, acls map[string][]acl) *Frontend {
	fe := &Frontend{Name: px.Name, MaxConn: px.MaxConn, DefaultBackend: px.DefaultBackend,
		TimeoutClient: msDur(px.Timeouts["client"]), TimeoutClientFin: msDur(px.Timeouts["client-fin"])}
	if px.Kind == "listen" && fe.DefaultBackend == "" {
		fe.DefaultBackend = px.Name
	}
	fe.ClientKeepAlive = keepAlive(px.Options["clitcpka"] || px.Options["tcpka"], "clitcpka", lines)
	fe.NoLinger, fe.IndependentStreams = a.optionOn(px, "nolinger", false), a.optionOn(px, "independent-streams", false)
	fe.ContStats = a.optionOn(px, "contstats", false)
	fe.SocketStats = a.optionOn(px, "socket-stats", false)
	fe.SessionSrvConns = sessionSrvConns(lines) // frompreferlast.go
	for _, d := range px.Section.Lines {
		switch d.Keyword {
		case "bind":
			a.bind(fe, px, d)
		case "backlog":
			fe.Backlog, _ = strconv.Atoi(first(d.Args))
		case "use_backend":
			cond, ok := a.cond(acls, d.Pos, d.Args[1:])
			if ok {
				fe.UseBackend = append(fe.UseBackend, a.useBackend(fe, d, cond))
			}
		case "tcp-request":
			a.tcpRequest(fe, acls, d)
		}
	}
	a.accessLog(fe, px, lines)
	a.cfg.Frontends = append(a.cfg.Frontends, fe)
	return fe
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// bind maps one bind line; the address word is re-read from the line
// itself so ParseListenAddrs sees it as written.
func (a *adapter) bind(fe *Frontend, px *haproxy.Proxy, d haproxy.Directive) {
	if len(d.Args) == 0 {
		return
	}
	addrs, err := ParseListenAddrs(d.Args[0])
	if err != nil {
		a.alert(d.Pos, "'bind %s' : %v", d.Args[0], err)
		return
	}
	kind := "frontend"
	if px.Kind == "listen" {
		kind = "proxy"
	}
	tmpl := Bind{UID: -1, GID: -1, Where: fmt.Sprintf("Binding [%s:%d] for %s %s", d.Pos.File, d.Pos.Line, kind, px.Name),
		SmartAccept: a.optionOn(px, "tcp-smart-accept", px.Mode == "http"), Buffers: a.socketBuffers("client")}
	for i := 1; i < len(d.Args); i++ {
		opt, val := d.Args[i], ""
		takesValue := bindValueOptions[opt]
		if takesValue && i+1 < len(d.Args) {
			i++
			val = d.Args[i]
		}
		switch opt {
		case "name":
			tmpl.Name = val
		case "maxconn":
			tmpl.MaxConn, _ = strconv.Atoi(val)
		case "backlog":
			tmpl.Backlog, _ = strconv.Atoi(val)
		case "accept-proxy":
			tmpl.AcceptProxy = true
		case "v6only":
			tmpl.V6Only = true
		case "v4v6":
			tmpl.V6Only = false
		case "defer-accept":
			tmpl.DeferAccept = true
		case "interface":
			tmpl.Interface = val
		case "transparent":
			tmpl.Transparent = true
		case "mode":
			m, _ := strconv.ParseUint(val, 8, 32)
			tmpl.Mode = os.FileMode(m)
		case "uid":
			tmpl.UID, _ = strconv.Atoi(val)
		case "gid":
			tmpl.GID, _ = strconv.Atoi(val)
		case "user":
			if u, err := user.Lookup(val); err == nil {
				tmpl.UID, _ = strconv.Atoi(u.Uid)
			}
		case "group":
			if g, err := user.LookupGroup(val); err == nil {
				tmpl.GID, _ = strconv.Atoi(g.Gid)
			}
		case "proto":
			// h2 and h1 both serve: a client's HTTP/2 preface is
			// recognised on every http-mode bind (h2serve.go).
		case "id":
			tmpl.ID, _ = strconv.Atoi(val)
		case "process", "nice", "tfo", "npn":
			a.warn(d.Pos, "bind option '%s' is accepted but not acted on yet by Fulcrum.", opt)
		case "ssl", "crt", "crt-list", "ca-file", "verify", "alpn", "ssl-min-ver", "ssl-max-ver", "no-sslv3", "no-tlsv10",
			"no-tlsv11", "no-tlsv12", "no-tlsv13", "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12",
			"force-tlsv13", "no-tls-tickets", "ciphers", "ciphersuites":
			// read by bindTLS (fromtls.go)
		default:
			a.warn(d.Pos, "bind option '%s' is accepted but not acted on yet by Fulcrum.", opt)
		}
	}
	tmpl.TLS = a.bindTLS(d)
	for _, addr := range addrs {
		b := tmpl
		b.Addr = addr
		fe.Binds = append(fe.Binds, b)
	}
}

// bindValueOptions are the bind options followed by a value.
var bindValueOptions = map[string]bool{"name": true, "maxconn": true, "backlog": true, "interface": true,
	"mode": true, "uid": true, "gid": true, "user": true, "group": true, "process": true, "id": true, "nice": true,
	"alpn": true, "npn": true, "crt": true, "crt-list": true, "ca-file": true, "verify": true, "mss": true,
	"tcp-ut": true, "namespace": true, "level": true, "severity-output": true, "ciphers": true,
	"ciphersuites": true, "curves": true, "ecdhe": true, "ssl-min-ver": true, "ssl-max-ver": true, "proto": true,
	"thread": true, "crl-file": true}

func (a *adapter) backend(px *haproxy.Proxy, lines []haproxy.Directive) *Backend {
	be := &Backend{Name: px.Name, Retries: 3, RedispatchAfter: -1,
		TimeoutConnect: msDur(px.Timeouts["connect"]), TimeoutServer: msDur(px.Timeouts["server"]),
		TimeoutServerFin: msDur(px.Timeouts["server-fin"]), TimeoutQueue: msDur(px.Timeouts["queue"]),
		TimeoutTunnel: msDur(px.Timeouts["tunnel"]), TimeoutCheck: msDur(px.Timeouts["check"])}
	be.Balance = a.balance(px, be)
	be.Balance.AllBackups = px.Options["allbackups"]
	be.Redispatch = px.Options["redispatch"]
	be.AbortOnClose = px.Options["abortonclose"]
	be.SmartConnect = a.optionOn(px, "tcp-smart-connect", false)
	be.Buffers = a.socketBuffers("server")
	be.NoLinger, be.IndependentStreams = a.optionOn(px, "nolinger", false), a.optionOn(px, "independent-streams", false)
	be.CheckCache = px.Mode == "http" && a.optionOn(px, "checkcache", false)
	be.PreferLast = preferLast(px, lines) // frompreferlast.go
	be.LogHealthChecks = px.Options["log-health-checks"]
	be.ServerKeepAlive = keepAlive(px.Options["srvtcpka"] || px.Options["tcpka"], "srvtcpka", lines)
	for _, d := range lines {
		switch d.Keyword {
		case "retries":
			be.Retries, _ = strconv.Atoi(first(d.Args))
		case "retry-on":
			be.RetryOn = retryOn(d.Args, px.Mode == "http")
		case "hash-type":
			a.hashType(&be.Balance, d)
		case "fullconn":
			be.Balance.FullConn, _ = strconv.Atoi(first(d.Args))
		case "hash-balance-factor":
			be.Balance.HashBalanceFactor, _ = strconv.Atoi(first(d.Args))
		case "option":
			if first(d.Args) == "redispatch" && len(d.Args) > 1 {
				be.RedispatchAfter, _ = strconv.Atoi(d.Args[1])
			}
		}
	}
	be.Check = a.checkSpec(px, lines)
	be.ServerState = a.serverStateSource(px, lines)
	a.connectPort = firstConnectPort(lines)
	be.Servers = a.serversInOrder(px)
	a.cfg.Backends = append(a.cfg.Backends, be)
	return be
}

func (a *adapter) balance(px *haproxy.Proxy, be *Backend) balance.Config {
	words := px.Balance
	if len(words) == 0 {
		return balance.Config{Algo: balance.RoundRobin}
	}
	algo, arg, _ := strings.Cut(strings.TrimSuffix(words[0], ")"), "(")
	c := balance.Config{Algo: balance.Algo(algo)}
	switch c.Algo {
	case balance.RoundRobin, balance.StaticRR, balance.LeastConn, balance.First, balance.Source:
	case balance.Random:
		c.Draws, _ = strconv.Atoi(arg)
	case balance.RDPCookie:
		c.Param = arg
		if c.Param == "" {
			c.Param = "mstshash"
		}
	case balance.Sample:
		a.hashKey(px, be, strings.Join(words[1:], " "))
	case balance.URI, balance.URLParam, balance.Hdr:
		if px.Mode == "http" {
			c.SetHTTPArgs(arg, words[1:])
			break
		}
		c.Algo = balance.RoundRobin
	default:
		// uri, url_param, hdr need HTTP: HAProxy falls back to round
		// robin in tcp mode.
		c.Algo = balance.RoundRobin
	}
	return c
}

func (a *adapter) hashType(c *balance.Config, d haproxy.Directive) {
	c.Consistent = first(d.Args) == "consistent"
	c.Func, c.Avalanche = "", false
	for _, w := range d.Args[1:] {
		switch w {
		case "avalanche":
			c.Avalanche = true
		case "sdbm", "djb2", "wt6", "crc32", "none":
			c.Func = balance.HashFunc(w)
		default:
			a.warn(d.Pos, "'hash-type' : '%s' is not supported by Fulcrum.", w)
		}
	}
	if c.Consistent && len(d.Args) == 1 {
		c.Avalanche = true
	}
}

// serverFlags are the server options without a value.
var serverFlags = map[string]bool{"check": true, "no-check": true, "backup": true, "no-backup": true,
	"disabled": true, "enabled": true, "send-proxy": true, "no-send-proxy": true, "send-proxy-v2": true,
	"no-send-proxy-v2": true, "check-send-proxy": true, "no-check-send-proxy": true, "ssl": true, "no-ssl": true,
	"agent-check": true, "no-agent-check": true, "non-stick": true, "stick": true, "check-ssl": true,
	"no-check-ssl": true, "tfo": true, "no-tfo": true, "allow-0rtt": true, "no-verifyhost": true,
	"send-proxy-v2-ssl": true, "send-proxy-v2-ssl-cn": true, "check-via-socks4": true, "sni-auto": true}

// serverIgnored are options with no effect on a tcp-mode engine.
var serverIgnored = map[string]bool{"observe": true, "error-limit": true, "resolvers": true,
	"resolve-prefer": true, "resolve-net": true, "resolve-opts": true, "proto": true, "check-proto": true,
	"pool-max-conn": true, "pool-purge-delay": true, "pool-low-conn": true, "max-reuse": true,
	"redir": true, "track": true, "tfo": true, "namespace": true, "usesrc": true}

// server maps one server's options (default-server already merged).
func (a *adapter) server(px *haproxy.Proxy, name string, addr haproxy.Address, opts map[string]string, pos confparse.Pos) *Server {
	has := func(k string) bool { _, ok := opts[k]; return ok }
	dur := func(k string) time.Duration {
		v, ok := opts[k]
		if !ok {
			return 0
		}
		t, _ := parseTime(v)
		return t
	}
	num := func(k string, def int) int {
		if v, ok := opts[k]; ok {
			n, _ := strconv.Atoi(v)
			return n
		}
		return def
	}
	s := &Server{Name: name, Weight: num("weight", 1), MaxConn: num("maxconn", 0), MinConn: num("minconn", 0),
		MaxQueue: num("maxqueue", 0), ID: num("id", 0), Rise: num("rise", 2), Fall: num("fall", 3),
		Inter: 2 * time.Second, FastInter: dur("fastinter"), DownInter: dur("downinter"), SlowStart: dur("slowstart"),
		Check:          has("check") && !has("no-check"),
		Backup:         has("backup") && !has("no-backup"),
		Disabled:       has("disabled") && !has("enabled"),
		SendProxy:      has("send-proxy") && !has("no-send-proxy"),
		SendProxyV2:    has("send-proxy-v2") && !has("no-send-proxy-v2"),
		NonStick:       has("non-stick") && !has("stick"),
		CheckSendProxy: has("check-send-proxy") && !has("no-check-send-proxy"),
		ShutdownOnDown: opts["on-marked-down"] == "shutdown-sessions",
		// HAProxy's keyword is "shutdown-backup-sessions".
		ShutdownBackupsOnUp: opts["on-marked-up"] == "shutdown-backup-sessions",
		Cookie:              opts["cookie"]}
	if t := dur("inter"); t > 0 {
		s.Inter = t
	}
	s.Agent = a.agentCheck(px, name, opts, pos)
	s.Source = a.sourceOf(px, name, opts, pos)
	s.Hostname, s.AddrFromState = hostnameOf(addr.Host, opts["init-addr"])
	if t, ok := a.serverTLS(px, name, opts, pos); ok {
		s.TLS = t
	} else {
		return nil
	}
	if p := num("port", 0); p > 0 {
		s.CheckPort = uint16(p)
	}
	if v, ok := opts["addr"]; ok {
		if ip, err := netip.ParseAddr(v); err == nil {
			s.CheckAddr = ip
		} else {
			a.alert(pos, "'server %s/%s' : check 'addr %s' must be a literal IP address in Fulcrum.", px.Name, name, v)
		}
	}
	s.Resolve = a.serverResolve(px, name, addr.Host, opts, pos)
	if v, ok := opts["socks4"]; ok {
		host, port, err := net.SplitHostPort(v)
		p, perr := strconv.ParseUint(port, 10, 16)
		ip, found := a.resolve(host, "libc")
		switch {
		case err != nil || perr != nil:
			a.alert(pos, "'server %s/%s' : 'socks4 %s' : invalid address.", px.Name, name, v)
		case !found:
			a.alert(pos, "'server %s/%s' : 'socks4 %s' : could not resolve address '%s'.", px.Name, name, v, host)
		default:
			s.Socks4 = netip.AddrPortFrom(ip, uint16(p))
			s.CheckViaSocks4 = has("check-via-socks4")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		switch {
		case serverIgnored[k] && !resolveOptionActed(s, addr.Host, k):
			a.warn(pos, "'server %s/%s' : option '%s' is accepted but not acted on yet by Fulcrum.", px.Name, name, k)
		}
	}
	if addr.Path != "" || addr.Family == "unix" || addr.Family == "abns" {
		a.alert(pos, "'server %s/%s' : unix socket servers are not supported by Fulcrum yet.", px.Name, name)
		return nil
	}
	if addr.Offset != "" || addr.Port == 0 {
		s.MapPorts = true
		s.PortOffset, _ = strconv.Atoi(strings.TrimPrefix(addr.Offset, "+"))
		if s.Check && s.CheckPort == 0 && a.connectPort == 0 {
			a.warn(pos, "'server %s/%s' : has neither service port nor check port. Check has been disabled.", px.Name, name)
			s.Check = false
		}
	}
	ip, ok := a.resolve(addr.Host, opts["init-addr"])
	if !ok {
		if strings.Contains(opts["init-addr"], "none") {
			// A resolved server leaves its maintenance when DNS answers.
			s.Disabled, s.Unresolved = s.Resolve == nil || s.Disabled, true
			s.Addr = netip.AddrPortFrom(netip.Addr{}, uint16(addr.Port))
			return s // no address: Addr stays invalid
		} else {
			a.alert(pos, "'server %s/%s' : could not resolve address '%s'.", px.Name, name, addr.Host)
			return nil
		}
	}
	s.Addr = netip.AddrPortFrom(ip, uint16(addr.Port))
	return s
}

// resolve turns a server host into an address: a literal IP, or the
// first address the system resolver gives (IPv4 first, like libc's
// default order for HAProxy).
func (a *adapter) resolve(host, initAddr string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, true
	}
	if host == "" || host == "*" {
		return netip.IPv4Unspecified(), true
	}
	// init-addr's methods, in their order (default last,libc): `none`
	// stops before any lookup, as in the reference.
	methods := []string{"last", "libc"}
	if initAddr != "" {
		methods = strings.Split(initAddr, ",")
	}
	for _, m := range methods {
		switch m {
		case "libc":
			if ip, ok := lookupHost(host); ok {
				return ip, true
			}
		case "none":
			return netip.Addr{}, false
		case "last": // the server-state file's address: not kept
		default:
			if ip, err := netip.ParseAddr(m); err == nil {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

// lookupHost is the system resolver's first address for host, IPv4 first.
func lookupHost(host string) (netip.Addr, bool) {
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, false
	}
	for _, ip := range ips {
		if v4 := ip.To4(); v4 != nil {
			return netip.AddrFrom4([4]byte(v4)), true
		}
	}
	ip, _ := netip.AddrFromSlice(ips[0])
	return ip, true
}

// serverTemplate expands "server-template PREFIX NUM|LOW-HIGH ADDR opts"
// into PREFIX<n> servers sharing the address (no resolvers: every slot
// takes the address as it resolves at start).
func (a *adapter) serverTemplate(px *haproxy.Proxy, d haproxy.Directive) []*Server {
	if len(d.Args) < 3 {
		return nil
	}
	lo, hi := 1, 0
	if l, h, isRange := strings.Cut(d.Args[1], "-"); isRange {
		lo, _ = strconv.Atoi(l)
		hi, _ = strconv.Atoi(h)
	} else {
		hi, _ = strconv.Atoi(l)
	}
	addr, ok := splitHostPort(d.Args[2])
	srv := !ok && strings.HasPrefix(d.Args[2], "_") && slices.Contains(d.Args[3:], "resolvers")
	switch {
	case srv:
		// A DNS SRV record gives the servers their addresses and ports
		// at run time (resolvers.go); until then they are in
		// maintenance.
		addr = haproxy.Address{Host: "0.0.0.0", Port: 1} // replaced below
		a.srvRecord = d.Args[2]
		defer func() { a.srvRecord = "" }()
	case !ok:
		a.alert(d.Pos, "'server-template %s' : address '%s' needs a literal host and port in Fulcrum.", d.Args[0], d.Args[2])
		return nil
	}
	opts := map[string]string{}
	for k, v := range px.DefaultServer {
		opts[k] = v
	}
	for i := 3; i < len(d.Args); i++ {
		k := d.Args[i]
		if serverFlags[k] || i+1 >= len(d.Args) {
			opts[k] = ""
			continue
		}
		i++
		opts[k] = d.Args[i]
	}
	var out []*Server
	for n := lo; n <= hi && n-lo < 4096; n++ {
		if s := a.server(px, fmt.Sprintf("%s%d", d.Args[0], n), addr, opts, d.Pos); s != nil {
			if srv {
				s.Addr, s.Disabled, s.Unresolved = netip.AddrPort{}, s.Resolve == nil || s.Disabled, true
			}
			out = append(out, s)
		}
	}
	return out
}

func splitHostPort(w string) (haproxy.Address, bool) {
	host, port, err := net.SplitHostPort(w)
	if err != nil {
		return haproxy.Address{}, false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return haproxy.Address{}, false
	}
	return haproxy.Address{Host: host, Port: p}, true
}

// checkSpec builds the backend's health check from its options and
// http-check/tcp-check lines.
func (a *adapter) checkSpec(px *haproxy.Proxy, lines []haproxy.Directive) check.Spec {
	var spec check.Spec
	kind := ""
	for _, d := range lines {
		if d.Keyword != "option" || len(d.Args) == 0 {
			continue
		}
		switch o := d.Args[0]; o {
		case "httpchk":
			kind = o
			spec = check.Spec{Kind: check.HTTP}
			switch args := d.Args[1:]; len(args) {
			case 1:
				spec.URI = args[0]
			case 2, 3:
				spec.Method, spec.URI = args[0], args[1]
				if len(args) == 3 {
					spec.Version = args[2]
				}
			}
		case "tcp-check":
			kind, spec = o, check.Spec{Kind: check.TCPCheck}
		case "redis-check":
			kind, spec = o, check.Redis()
		case "ssl-hello-chk":
			kind, spec = o, check.SSLHello()
		case "mysql-check", "pgsql-check", "smtpchk", "ldap-check":
			kind, spec = o, a.protocolCheck(d)
		case "external-check":
			kind, spec = o, a.externalCheck(px, lines)
		case "spop-check":
			kind, spec = o, check.Spec{}
			a.warn(d.Pos, "'option %s' is not acted on yet by Fulcrum: servers get a TCP connect check.", o)
		}
	}
	for _, d := range lines {
		switch {
		case d.Keyword == "http-check" && kind == "httpchk":
			a.httpCheck(&spec, d)
		case d.Keyword == "tcp-check" && kind == "tcp-check":
			a.tcpCheck(&spec, d)
		case d.Keyword == "http-check" || d.Keyword == "tcp-check":
			// HAProxy ignores rules of the other check type.
		}
	}
	return spec
}

func (a *adapter) httpCheck(spec *check.Spec, d haproxy.Directive) {
	args := d.Args
	switch first(args) {
	case "send":
		for i := 1; i+1 < len(args); i += 2 {
			switch v := args[i+1]; args[i] {
			case "meth":
				spec.Method = v
			case "uri":
				spec.URI = v
			case "ver":
				spec.Version = v
			case "hdr":
				if i+2 < len(args) {
					spec.Headers = append(spec.Headers, v+": "+args[i+2])
					i++
				}
			case "body":
				spec.Body = v
			default:
				a.warn(d.Pos, "'http-check send %s' is not acted on yet by Fulcrum.", args[i])
			}
		}
	case "expect":
		e, ok := a.expect(d, args[1:], map[string]check.ExpectKind{"status": check.ExpectStatus,
			"rstatus": check.ExpectRStatus, "string": check.ExpectString, "rstring": check.ExpectRString})
		if ok {
			spec.Expect = e
		}
	case "disable-on-404", "send-state":
		a.warn(d.Pos, "'http-check %s' is not acted on yet by Fulcrum.", first(args))
	default:
		a.warn(d.Pos, "'http-check %s' is not acted on yet by Fulcrum.", first(args))
	}
}

func (a *adapter) expect(d haproxy.Directive, args []string, kinds map[string]check.ExpectKind) (*check.Expect, bool) {
	negate := false
	if first(args) == "!" {
		negate, args = true, args[1:]
	}
	if len(args) < 2 {
		a.alert(d.Pos, "'%s expect' : expects a match type and a pattern.", d.Keyword)
		return nil, false
	}
	k, ok := kinds[args[0]]
	if !ok {
		a.warn(d.Pos, "'%s expect %s' is not acted on yet by Fulcrum.", d.Keyword, args[0])
		return nil, false
	}
	e, err := check.NewExpect(k, negate, args[1])
	if err != nil {
		a.alert(d.Pos, "'%s expect' : %v", d.Keyword, err)
		return nil, false
	}
	if len(args) > 2 {
		a.warn(d.Pos, "'%s expect' options after the pattern are not acted on yet by Fulcrum.", d.Keyword)
	}
	return e, true
}

func (a *adapter) tcpCheck(spec *check.Spec, d haproxy.Directive) {
	args := d.Args
	switch first(args) {
	case "connect":
		st := check.Step{Kind: check.Connect}
		for i := 1; i < len(args); i++ {
			if args[i] == "port" && i+1 < len(args) {
				p, _ := strconv.Atoi(args[i+1])
				st.Port = uint16(p)
				i++
			} else {
				a.warn(d.Pos, "'tcp-check connect %s' is not acted on yet by Fulcrum.", args[i])
			}
		}
		spec.Steps = append(spec.Steps, st)
	case "send", "send-binary":
		if len(args) < 2 {
			a.alert(d.Pos, "'tcp-check %s' expects a string.", args[0])
			return
		}
		k := check.Send
		if args[0] == "send-binary" {
			k = check.SendBinary
		}
		spec.Steps = append(spec.Steps, check.Step{Kind: k, Data: args[1]})
	case "expect":
		e, ok := a.expect(d, args[1:], map[string]check.ExpectKind{"string": check.ExpectString,
			"rstring": check.ExpectRString, "binary": check.ExpectBinary, "rbinary": check.ExpectRBinary})
		if ok {
			spec.Steps = append(spec.Steps, check.Step{Kind: check.ExpectStep, Expect: e})
		}
	default:
		a.warn(d.Pos, "'tcp-check %s' is not acted on yet by Fulcrum.", first(args))
	}
}

// tcpRequest maps tcp-request connection/content rules and inspect-delay.
func (a *adapter) tcpRequest(fe *Frontend, acls map[string][]acl, d haproxy.Directive) {
	args := d.Args
	if first(args) == "inspect-delay" {
		if len(args) > 1 {
			fe.InspectDelay, _ = parseTime(args[1])
		}
		return
	}
	if len(args) < 2 || (args[0] != "connection" && args[0] != "content" && args[0] != "session") {
		a.warn(d.Pos, "'tcp-request %s' is not acted on yet by Fulcrum.", first(args))
		return
	}
	words, condWords := splitCond(args[1:])
	act, do, ok := a.tcpRuleAction(d.Pos, fe.Name, "tcp-request "+args[0], words, tcpRequestFinals)
	if !ok {
		return
	}
	cond, ok := a.cond(acls, d.Pos, condWords)
	if !ok {
		return
	}
	r := Rule{Action: act, Cond: cond, Do: do}
	switch args[0] {
	case "connection":
		fe.ConnectionRules = append(fe.ConnectionRules, r)
	case "session":
		fe.SessionRules = append(fe.SessionRules, r)
	default:
		fe.ContentRules = append(fe.ContentRules, r)
	}
}

// The final actions of tcp rules, by ruleset.
var (
	tcpRequestFinals  = map[string]Action{"accept": Accept, "reject": Reject, "silent-drop": SilentDrop}
	tcpResponseFinals = map[string]Action{"accept": Accept, "reject": Reject, "close": CloseServer}
)

// tcpRuleAction maps a tcp rule's action words (kw is its ruleset, as
// "tcp-request content"): an acting action (Do) or one of finals; ok is
// false when the rule is refused or not acted on (warned).
func (a *adapter) tcpRuleAction(pos confparse.Pos, proxyName, kw string, words []string, finals map[string]Action) (act Action, do func(*Session), ok bool) {
	do, isDo := a.doAction(pos, proxyName, words, kw)
	if !isDo {
		do, isDo = a.varAction(pos, words)
	}
	if isDo {
		return Do, do, do != nil
	}
	if act, ok := finals[first(words)]; ok {
		return act, nil, true
	}
	a.warn(pos, "'%s %s' is not acted on yet by Fulcrum.", kw, first(words))
	return 0, nil, false
}

// keepAlive reads one side's keep-alive: on, and the PREFIX-idle,
// PREFIX-intvl (times, seconds by default) and PREFIX-cnt settings.
func keepAlive(on bool, prefix string, lines []haproxy.Directive) TCPKeepAlive {
	k := TCPKeepAlive{On: on}
	for _, d := range lines {
		switch d.Keyword {
		case prefix + "-idle":
			k.Idle, _ = parseTimeUnit(first(d.Args), time.Second)
		case prefix + "-intvl":
			k.Interval, _ = parseTimeUnit(first(d.Args), time.Second)
		case prefix + "-cnt":
			k.Count, _ = strconv.Atoi(first(d.Args))
		}
	}
	return k
}

// firstConnectPort is the port of a `tcp-check connect port N` that is
// the first tcp-check rule, else 0.
func firstConnectPort(lines []haproxy.Directive) int {
	for _, d := range lines {
		if d.Keyword != "tcp-check" || len(d.Args) == 0 {
			continue
		}
		if d.Args[0] != "connect" {
			return 0
		}
		for i := 1; i+1 < len(d.Args); i++ {
			if d.Args[i] == "port" {
				p, _ := strconv.Atoi(d.Args[i+1])
				return p
			}
		}
		return 0
	}
	return 0
}
