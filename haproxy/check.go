package haproxy

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"fulcrum/confparse"
	"fulcrum/confparse/haproxycfg"
)

// DefaultBuild describes the reference build (Debian's HAProxy 2.6) so
// that `.if` blocks choose the same branches.
func DefaultBuild() *haproxycfg.Build {
	return &haproxycfg.Build{
		Version: "2.6.12-1+deb12u4",
		Features: []string{"-51DEGREES", "+ACCEPT4", "+BACKTRACE", "-CLOSEFROM", "+CPU_AFFINITY", "+CRYPT_H",
			"-DEVICEATLAS", "+DL", "-ENGINE", "+EPOLL", "-EVPORTS", "+GETADDRINFO", "-KQUEUE", "+LIBCRYPT",
			"+LINUX_SPLICE", "+LINUX_TPROXY", "+LUA", "-MEMORY_PROFILING", "+NETFILTER", "+NS", "-OBSOLETE_LINKER",
			"+OPENSSL", "+OT", "-PCRE", "+PCRE2", "+PCRE2_JIT", "-PCRE_JIT", "+POLL", "+PRCTL", "-PROCCTL", "+PROMEX",
			"-QUIC", "+RT", "+SLZ", "-STATIC_PCRE", "-STATIC_PCRE2", "+SYSTEMD", "+TFO", "+THREAD", "+THREAD_DUMP",
			"+TPROXY", "-WURFL", "-ZLIB"},
		OpenSSLVersion: "3.0.19",
		SSLLibName:     "OpenSSL",
		Env:            envLookup,
	}
}

// postChecks are the checks the reference makes once every file is read:
// backend references, timeouts, server names, then server addresses.
func (l *loader) postChecks() {
	l.pendingByMode()
	if msg := l.userlistRefs(); msg != "" { // userlistrefs.go; nothing else is checked then
		l.emit(confparse.Alert, confparse.Pos{}, msg)
		l.emit(confparse.Alert, confparse.Pos{}, "Fatal errors found in configuration.")
		l.cfg.fatal = true
		return
	}
	byName := map[string][]*Proxy{}
	for _, p := range l.cfg.Proxies {
		byName[p.Name] = append(byName[p.Name], p)
	}
	findBE := func(name string) *Proxy {
		for _, p := range byName[name] {
			if p.hasBE() {
				return p
			}
		}
		return nil
	}
	fatal := false
	alert := func(pos confparse.Pos, msg string) {
		l.emit(confparse.Alert, pos, msg)
		fatal = true
	}
	// checkBackend resolves a backend a frontend switches to; true when
	// the proxy may use it (a name known only at run time too).
	checkBackend := func(p *Proxy, name, kw, how string) bool {
		if isDynamicName(name) {
			return true
		}
		be := findBE(name)
		switch {
		case be == p:
			alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': loop detected for %s: '%s'.", p.Name, kw, name))
		case be == nil:
			alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': unable to find required %s: '%s'.", p.Name, kw, name))
		case modeOf(p) != modeOf(be) && !(modeOf(p) == "tcp" && modeOf(be) == "http"):
			alert(confparse.Pos{}, fmt.Sprintf("%s %s '%s' (%s:%d) tries to use incompatible %s %s '%s' (%s:%d) %s (see 'mode').",
				modeOf(p), p.Kind, p.Name, p.Section.Pos.File, p.Section.Pos.Line, modeOf(be), be.Kind, be.Name, be.Section.Pos.File, be.Section.Pos.Line, how))
		default:
			return true
		}
		return false
	}
	for _, p := range l.cfg.Proxies {
		if t, what, ok := p.stickTable(); ok && !l.hasStickTable(t) && !l.cfg.hasPeersTable(t) {
			alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': unable to find %s '%s'.", p.Name, what, t))
		}
		if name := stickTablePeers(p); name != "" && !l.cfg.hasPeersSection(name) {
			alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': unable to find sync peers '%s'.", p.Name, name))
		}
		l.warnNoHTTP(p) // checkrules.go
		l.warnNoBind(p)
		// Backends too: the reference keeps their switching rules, and
		// goes on with the proxy's checks after a loop.
		usable := p.DefaultBackend != "" && checkBackend(p, p.DefaultBackend, "default_backend", "as its default backend")
		if usable && !isDynamicName(p.DefaultBackend) && len(p.Servers) > 0 {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("In proxy '%s', the 'default_backend' rule always has precedence over the servers, which will never be used.", p.Name))
		}
		for _, u := range p.UseBackends {
			checkBackend(p, u.Backend, "use_backend", "in a 'use_backend' rule")
		}
		l.spoeChecks(p, findBE, alert) // spoefilter.go
		tables, actions := p.trackTables()
		missing := false
		for i, t := range tables {
			if !l.hasStickTable(t) && !l.cfg.hasPeersTable(t) {
				alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': unable to find table '%s' referenced by %s.", p.Name, t, actions[i]))
				missing = true
			}
		}
		if !missing { // the reference warns of tracking once the tables are found
			for _, w := range l.contentTrackWarnings(p) {
				l.emit(confparse.Warning, confparse.Pos{}, w)
			}
		}
		if p.Options["external-check"] {
			if !l.cfg.Global.ExternalCheck {
				alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s' : 'option external-check' unable to find required 'global.external-check'.", p.Name))
			}
			if !p.Options["external-check command"] {
				alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s' : 'option external-check' unable to find required 'external-check command'.", p.Name))
			}
			if !l.globalHas("insecure-fork-wanted") {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("Proxy '%s' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.", p.Name))
			}
			// The command is given a port: unlike a connect check's, an
			// external check without one is fatal.
			for _, s := range p.Servers {
				_, chk := s.Options["check"]
				_, noChk := s.Options["no-check"]
				_, port := s.Options["port"]
				if chk && !noChk && !port && s.Addr.Port == 0 && s.Addr.Offset == "" && s.Addr.Path == "" {
					alert(confparse.Pos{}, fmt.Sprintf("config: %s '%s': server '%s' has neither service port nor check port.", proxyWord(p), p.Name, s.Name))
				}
			}
		}
		l.warnChecksWithoutOption(p, "http-check")
		if missingTimeouts(p) {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("missing timeouts for %s '%s'.\n"+
				"   | While not properly invalid, you will certainly encounter various problems\n"+
				"   | with such a configuration. To fix this, please ensure that all following\n"+
				"   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.", proxyWord(p), p.Name))
		}
		l.warnChecksWithoutOption(p, "tcp-check")
		l.warnIgnoredSettings(p)
		if p.hasFE() && p.Options["log-format"] && !l.hasLogTarget(p) {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("log format ignored for %s '%s' since it has no log address.", proxyWord(p), p.Name))
		}
		if statsAuthAndRules(p) {
			alert(confparse.Pos{}, fmt.Sprintf("proxy '%s': stats 'auth'/'realm' and 'http-request' can't be used at the same time.", p.Name))
		}
		if modeOf(p) != "http" {
			if p.stats {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("'stats' statement ignored for %s '%s' as it requires HTTP mode.", proxyWord(p), p.Name))
			}
			for _, kw := range []string{"http-request", "http-response", "http-after-response"} {
				if p.hasRule(kw) {
					l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("'%s' rules ignored for %s '%s' as they require HTTP mode.", kw, proxyWord(p), p.Name))
				}
			}
			for _, o := range httpOnlyOptions {
				// Only where the option applies: one inherited from
				// defaults by a proxy without its capability is not
				// reported (the reference tests the capability too).
				if p.Options[o] && (!optionNeedsFE[o] || p.hasFE()) && (!optionNeedsBE[o] || p.hasBE()) {
					l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("'option %s' ignored for %s '%s' as it requires HTTP mode.", o, proxyWord(p), p.Name))
				}
			}
		}
		seen := map[string]*Server{}
		for _, s := range p.Servers {
			if prev, dup := seen[s.Name]; dup {
				alert(s.Pos, fmt.Sprintf("parsing [%s:%d] : %s '%s', another server named '%s' was already defined at line %d, please use distinct names.",
					s.Pos.File, s.Pos.Line, p.Kind, p.Name, s.Name, prev.Pos.Line))
				continue
			}
			seen[s.Name] = s
			l.checkServerSSL(p, s, alert)
		}
	}
	// TLS listeners are prepared after every proxy is checked.
	for _, p := range l.cfg.Proxies {
		for _, b := range p.Binds {
			_, ssl := b.Options["ssl"]
			_, crt := b.Options["crt"]
			_, list := b.Options["crt-list"]
			if ssl && !crt && !list {
				alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': no SSL certificate specified for bind '%s' at [%s:%d] (use 'crt').", p.Name, b.Spec, b.Pos.File, b.Pos.Line))
			}
		}
	}
	l.incompleteSections()
	// The reference prepares the resolvers after the proxies and the
	// TLS listeners, whatever errors these had.
	l.checkNameservers()
	for _, p := range l.cfg.Proxies {
		for _, r := range l.resolverRefs[p] {
			// "default" always exists: the reference builds it from
			// /etc/resolv.conf when no section has that name.
			if r.resolvers != "default" && !l.hasSection("resolvers", r.resolvers) {
				alert(confparse.Pos{}, fmt.Sprintf("%s '%s', server '%s': unable to find required resolvers '%s'", proxyWord(p), p.Name, r.server, r.resolvers))
			}
		}
	}
	l.serverCheckPorts(alert)   // checkport.go
	l.compressionFilters(alert) // compression.go
	l.peersSSL(alert)
	l.cacheRefs(alert)        // cachesection.go
	l.errorfilesChecks(alert) // errorfiles.go
	l.cfg.masterWorker = l.opt.MasterWorker || l.cfg.Global.MasterWorker
	if len(l.cfg.Programs) > 0 && !l.cfg.masterWorker {
		alert(confparse.Pos{}, "Can't use a 'program' section without master worker mode.")
	}
	if fatal {
		l.emit(confparse.Alert, confparse.Pos{}, "Fatal errors found in configuration.")
		l.cfg.fatal = true
		return
	}
	l.resolveServers()
}

func (l *loader) globalHas(kw string) bool {
	if l.cfg.Global.Section == nil {
		return false
	}
	for _, d := range l.cfg.Global.Section.Lines {
		if d.Keyword == kw {
			return true
		}
	}
	return false
}

// isDynamicName is a backend name built by a log-format expression,
// resolved per request.
func isDynamicName(n string) bool {
	for i := 0; i+1 < len(n); i++ {
		if n[i] == '%' && n[i+1] == '[' {
			return true
		}
	}
	return false
}

func modeOf(p *Proxy) string {
	if p.Mode == "" {
		return "tcp"
	}
	return p.Mode
}

// missingTimeouts follows the reference: a tcp or http proxy needs
// "client" on its frontend side, "connect" and "server" on its backend.
func missingTimeouts(p *Proxy) bool {
	if p.hasFE() && p.Timeouts["client"] == 0 {
		return true
	}
	// A backend needs them only when it has servers; in tcp mode a
	// tunnel timeout stands for the server one.
	serverTimeout := p.Timeouts["server"] != 0 || modeOf(p) != "http" && p.Timeouts["tunnel"] != 0
	return p.hasBE() && p.hasServers() && (p.Timeouts["connect"] == 0 || !serverTimeout)
}

// hasServers: a server or server-template line was read.
func (p *Proxy) hasServers() bool {
	return len(p.Servers) > 0 || p.Section.has("server-template")
}

// resolveServers resolves server host names at startup, like the
// reference's default "init-addr last,libc".
func (l *loader) resolveServers() {
	if file := l.globalArg("server-state-file"); file != "" {
		if base := l.globalArg("server-state-base"); base != "" && !strings.HasPrefix(file, "/") {
			file = strings.TrimSuffix(base, "/") + "/" + file
		}
		if !fileExists(file) {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("config: Can't open global server state file '%s': No such file or directory", file))
		}
	}
	failed := false
	for _, p := range l.cfg.Proxies {
		for _, s := range p.Servers {
			host := s.Addr.Host
			if s.Addr.Family != "" && s.Addr.Family != "ipv4" && s.Addr.Family != "ipv6" && s.Addr.Family != "tcp" {
				continue
			}
			if isIPOrAny(host) {
				continue
			}
			switch initAddr(s.Options["init-addr"], func() bool { return l.opt.Resolve(host) }) {
			case addrResolved:
				continue
			case addrDisabled:
				l.emit(confparse.Warning, s.Pos, fmt.Sprintf("[%s:%d] : 'server %s/%s' : could not resolve address '%s', disabling server.", s.Pos.File, s.Pos.Line, p.Name, s.Name, host))
				continue
			}
			if l.opt.IgnoreResolveErrors {
				l.emit(confparse.Warning, s.Pos, fmt.Sprintf("[%s:%d] : 'server %s/%s' : could not resolve address '%s', disabling server.", s.Pos.File, s.Pos.Line, p.Name, s.Name, host))
				continue
			}
			l.emit(confparse.Alert, s.Pos, fmt.Sprintf("[%s:%d] : 'server %s/%s' : could not resolve address '%s'.", s.Pos.File, s.Pos.Line, p.Name, s.Name, host))
			failed = true
		}
	}
	if failed {
		l.emit(confparse.Alert, confparse.Pos{}, "Failed to initialize server(s) addr.")
		l.cfg.fatal = true
	}
}

// Outcomes of the init-addr methods.
const (
	addrResolved = iota // an address was found (or none was needed)
	addrDisabled        // resolution failed, "none" lets the server start disabled
	addrFailed          // every method failed
)

// initAddr runs the init-addr methods in order ("last,libc" by default):
// "last" needs a server state file we do not read, "libc" resolves, a
// literal address always works, and "none" accepts no address, which
// the reference reports only when a resolution was tried first.
func initAddr(list string, resolve func() bool) int {
	if list == "" {
		list = "last,libc"
	}
	tried := false
	for _, m := range splitComma(list) {
		switch {
		case m == "libc":
			if resolve() {
				return addrResolved
			}
			tried = true
		case m == "none":
			if tried {
				return addrDisabled
			}
			return addrResolved
		case net.ParseIP(m) != nil:
			return addrResolved
		}
	}
	return addrFailed
}

// hasLogTarget tells whether a proxy logs anywhere; "log global" counts
// when the global section has targets.
func (l *loader) hasLogTarget(p *Proxy) bool {
	for _, lg := range p.Logs {
		if !lg.Global || len(l.cfg.Global.Logs) > 0 {
			return true
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// hasListener is false when nothing would accept connections: no bind in
// any enabled frontend or listen, no stats socket, no peers or
// log-forward listener.
func (c *Config) hasListener() bool {
	if len(c.Global.StatsSockets) > 0 || c.auxBinds > 0 {
		return true
	}
	for _, p := range c.Proxies {
		if p.hasFE() && len(p.Binds) > 0 {
			return true
		}
	}
	return false
}

func envLookup(name string) (string, bool) { return os.LookupEnv(name) }

// HasFatal reports whether the check failed.
func HasFatal(c *Config) bool { return c == nil || c.fatal }

// hasRule tells whether a proxy has a rule of this keyword.
func (p *Proxy) hasRule(kw string) bool {
	for _, r := range p.Rules {
		if r.Keyword == kw {
			return true
		}
	}
	return false
}

// checkNameservers opens, like the reference, a UDP socket towards each
// resolvers nameserver (connecting a UDP socket sends nothing) and warns
// when that is impossible, e.g. without a network.
func (l *loader) checkNameservers() {
	for _, s := range l.cfg.Others {
		if s.Kind != "resolvers" || len(s.Args) == 0 {
			continue
		}
		for _, d := range s.Lines {
			if d.Keyword != "nameserver" || len(d.Args) < 2 {
				continue
			}
			a, msg := l.parseAddr(d.Args[1], addrServer)
			if msg != "" || a.Path != "" {
				continue
			}
			host, port := a.Host, a.Port
			if host == "" || host == "*" {
				host = "0.0.0.0"
			}
			if port == 0 {
				port = 53
			}
			var err error
			if !isIPOrAny(host) && !l.opt.Resolve(host) {
				err = fmt.Errorf("unresolvable")
			} else {
				var c net.Conn
				if c, err = net.Dial("udp", net.JoinHostPort(host, fmt.Sprint(port))); err == nil {
					c.Close()
				}
			}
			if err != nil {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("resolvers '%s': can't connect socket for nameserver '%s'.", s.Args[0], d.Args[0]))
			}
		}
	}
}

// incompleteSections warns, like the reference, about a peers section
// with no peer named after this host (the local peer) and about mailers
// no proxy uses; both are dropped.
func (l *loader) incompleteSections() {
	local := l.localPeerName()
	used := map[string]bool{}
	for _, p := range l.cfg.Proxies {
		for _, d := range p.Section.Lines {
			if d.Keyword == "email-alert" && len(d.Args) > 1 && d.Args[0] == "mailers" {
				used[d.Args[1]] = true
			}
		}
	}
	for _, s := range l.cfg.Others {
		if len(s.Args) == 0 {
			continue
		}
		switch s.Kind {
		case "log-forward":
			if !s.has("bind", "dgram-bind") {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("frontend '%s' has no 'bind' directive. Please declare it as a backend if this was intended.", s.Args[0]))
			}
		case "peers":
			found := false
			for _, d := range s.Lines {
				if (d.Keyword == "peer" || d.Keyword == "server") && len(d.Args) > 0 && d.Args[0] == local {
					found = true
				}
			}
			if found && !s.has("disabled") {
				l.cfg.auxBinds++ // the local peer listens
			}
			if !found && !s.has("disabled") {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("Removing incomplete section 'peers %s' (no peer named '%s').", s.Args[0], local))
			}
		case "mailers":
			if !used[s.Args[0]] {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("Removing incomplete section 'mailers %s'.", s.Args[0]))
			}
		}
	}
}

// globalArg is the first argument of a global keyword, or "".
func (l *loader) globalArg(kw string) string { return l.cfg.Global.Arg(kw) }

// has tells whether the section has one of these keywords with arguments,
// or "disabled" at all.
func (s *Section) has(kws ...string) bool {
	for _, d := range s.Lines {
		for _, kw := range kws {
			if d.Keyword == kw && (len(d.Args) > 0 || kw == "disabled") {
				return true
			}
		}
	}
	return false
}

const verifyHint = "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default."

// checkServerSSL makes the checks the reference makes when it prepares a
// server's TLS context: the client certificate must exist, and without a
// CA file verification must be turned off explicitly.
func (l *loader) checkServerSSL(p *Proxy, s *Server, alert func(confparse.Pos, string)) {
	opt := func(k string) bool { _, ok := s.Options[k]; return ok }
	if !(opt("ssl") && !opt("no-ssl") || opt("check-ssl") && !opt("no-check-ssl") || connectsSSL(p)) {
		return
	}
	where := fmt.Sprintf("[%s:%d] : 'server %s/%s' : ", s.Pos.File, s.Pos.Line, p.Name, s.Name)
	mustVerify := s.Options["verify"] != "none" && l.globalArg("ssl-server-verify") != "none" && !opt("ca-file")
	if crt := s.Options["crt"]; crt != "" {
		if path := l.basePath("crt-base", crt); !fileExists(path) {
			alert(s.Pos, where+fmt.Sprintf("unable to stat SSL certificate from file '%s' : No such file or directory.", path))
			if mustVerify {
				alert(confparse.Pos{}, verifyHint)
			}
			return
		}
	}
	if mustVerify {
		alert(s.Pos, where+verifyHint)
	}
}

// connectsSSL tells whether the proxy's check script has a `tcp-check
// connect` or `http-check connect` with `ssl`: its servers then check over
// TLS, with or without `check` on the line (checked against 2.6).
func connectsSSL(p *Proxy) bool {
	for _, lines := range [][]Directive{p.inheritedLines, p.Section.Lines} {
		for _, d := range lines {
			if (d.Keyword == "tcp-check" || d.Keyword == "http-check") && len(d.Args) > 1 && d.Args[0] == "connect" &&
				slices.Contains(d.Args[1:], "ssl") {
				return true
			}
		}
	}
	return false
}

// hasSection tells whether an auxiliary section of this kind and name
// exists.
func (l *loader) hasSection(kind, name string) bool {
	for _, s := range l.cfg.Others {
		if s.Kind == kind && len(s.Args) > 0 && s.Args[0] == name {
			return true
		}
	}
	return false
}

// stickTable is the table the proxy's "stick" rules use (their "table"
// argument, else the proxy itself); ok is false without such rules.
func (p *Proxy) stickTable() (name, what string, ok bool) {
	if !p.hasBE() {
		return "", "", false // the reference ignores "stick" there
	}
	for _, d := range p.Section.Lines {
		if d.Keyword != "stick" {
			continue
		}
		what = "stick-table"
		if len(d.Args) > 0 && strings.HasPrefix(d.Args[0], "store-") {
			what = "store table"
		}
		for i := 0; i+1 < len(d.Args); i++ {
			if d.Args[i] == "table" {
				return d.Args[i+1], what, true
			}
		}
		return p.Name, what, true
	}
	return "", "", false
}

// hasStickTable tells whether a proxy of this name declares a stick-table.
func (l *loader) hasStickTable(name string) bool {
	for _, p := range l.cfg.Proxies {
		if p.Name != name {
			continue
		}
		for _, d := range p.Section.Lines {
			if d.Keyword == "stick-table" {
				return true
			}
		}
	}
	return false
}

// statsAuthAndRules reports a proxy mixing `stats auth`/`stats realm`
// with `stats http-request`, which the reference refuses.
func statsAuthAndRules(p *Proxy) bool {
	if p.Section == nil {
		return false
	}
	auth, rules := false, false
	for _, d := range p.Section.Lines {
		if d.Keyword == "stats" && len(d.Args) > 0 {
			auth = auth || d.Args[0] == "auth" || d.Args[0] == "realm"
			rules = rules || d.Args[0] == "http-request"
		}
	}
	return auth && rules
}

// httpOnlyOptions are the options a proxy outside http mode ignores with
// a warning, in the order the reference warns about them.
var httpOnlyOptions = []string{"forwardfor", "originalto", "checkcache", "http-buffer-request",
	"http-ignore-probes", "prefer-last-server", "accept-invalid-http-request", "accept-invalid-http-response",
	"http-use-proxy-header", "http-pretend-keepalive", "http-no-delay", "disable-h2-upgrade"}

// pendingByMode records the keywords the engine acts on in one mode
// only, where the proxy's final mode is the other: tcp-response rules
// run in tcp mode, not in http mode.
func (l *loader) pendingByMode() {
	for _, px := range l.cfg.Proxies {
		if px.Mode != "http" || px.Section == nil {
			continue
		}
		for _, d := range px.Section.Lines {
			if d.Keyword == "tcp-response" {
				l.notBuilt(d.Pos, d.Keyword)
			}
		}
	}
}
