package haproxy

import (
	"fmt"
	"regexp"
	"strings"

	"fulcrum/confparse"
)

// How a keyword used where its proxy lacks the capability is reported.
const (
	capNone      = iota
	capNeedFE    // warning "... has no frontend capability"
	capNeedBE    // warning "... has no backend capability"
	capServerish // alert in a frontend: "'server' not allowed because ..."
	capFcgi      // alert: "only available in backend or listen section"
)

// proxyRule is one keyword of the frontend/backend/listen/defaults
// sections: where it applies, how it is checked and filled, and whether
// the engine acts on it.
type proxyRule struct {
	cap        int
	noDefaults string // message when used in a defaults section
	handle     func(l *loader, px *Proxy, d line)
	shape      shape // argument check shared with other keywords, if any
	built      bool
}

// removedProxy are keywords removed from HAProxy with the reference's
// replacement hints.
var removedProxy = map[string]string{
	"redisp":      "keyword 'redisp' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.",
	"redispatch":  "keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.",
	"contimeout":  "the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'.",
	"clitimeout":  "the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'.",
	"srvtimeout":  "the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'.",
	"block":       "The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.",
	"reqadd":      "The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead.",
	"reqallow":    "The 'reqallow' directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead.",
	"reqdel":      "The 'reqdel' directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead.",
	"reqdeny":     "The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.",
	"reqiallow":   "The 'reqiallow' directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead.",
	"reqidel":     "The 'reqidel' directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead.",
	"reqideny":    "The 'reqideny' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.",
	"reqipass":    "The 'reqipass' directive is not supported anymore since HAProxy 2.1.",
	"reqirep":     "The 'reqirep' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-header' instead.",
	"reqitarpit":  "The 'reqitarpit' directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead.",
	"reqpass":     "The 'reqpass' not supported anymore since HAProxy 2.1.",
	"reqrep":      "The 'reqrep' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead.",
	"reqtarpit":   "The 'reqtarpit' directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead.",
	"rspadd":      "The 'rspadd' directive is not supported anymore since HAProxy 2.1. Use 'http-response add-header' instead.",
	"rspdel":      "The 'rspdel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' .",
	"rspdeny":     "The 'rspdeny' directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead.",
	"rspidel":     "The 'rspidel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' instead.",
	"rspideny":    "The 'rspideny' directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead.",
	"rspirep":     "The 'rspirep' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead.",
	"rsprep":      "The 'rsprep' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead.",
	"appsession":  "'appsession' is not supported anymore since HAProxy 1.6.",
	"monitor-net": "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src x }' instead.",
	"grace":       "",
}

// removedOptions are "option" names removed with their hints.
var removedOptions = map[string]string{
	"forceclose":  "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.",
	"http-tunnel": "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed.",
	"http_proxy":  "option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if absolutely required.",
}

// notNegatableOptions refuse the "no" and "default" prefixes.
var notNegatableOptions = setOf("httplog", "tcplog", "httpslog", "httpchk", "forwardfor", "originalto", "ssl-hello-chk",
	"smtpchk", "redis-check", "mysql-check", "ldap-check", "spop-check", "tcp-check", "external-check", "tcpka",
	"http-restrict-req-hdr-names", "pgsql-check")

var timeoutKinds = setOf("client", "server", "connect", "check", "queue", "http-keep-alive", "http-request", "tunnel", "tarpit", "client-fin", "server-fin")

var proxyRules = map[string]*proxyRule{}

func init() {
	accept := func(names ...string) {
		for _, n := range names {
			proxyRules[n] = &proxyRule{}
		}
	}
	accept("backlog", "bind-process", "capture", "clitcpka-cnt", "clitcpka-idle", "clitcpka-intvl", "compression",
		"cookie", "declare", "description", "disabled", "dispatch", "email-alert", "enabled", "errorfiles", "errorloc",
		"errorloc302", "errorloc303", "error-log-format", "external-check", "force-persist", "fullconn",
		"hash-balance-factor", "hash-type", "http-check", "http-error", "http-reuse", "http-send-name-header", "id",
		"ignore-persist", "load-server-state-from-file", "log-format", "log-format-sd", "log-tag",
		"max-keep-alive-queue", "monitor", "monitor-uri", "persist", "rate-limit", "redirect", "retries", "retry-on",
		"server-state-file-name", "server-template", "source", "srvtcpka-cnt", "srvtcpka-idle", "srvtcpka-intvl",
		"stick", "stick-table", "tcp-check", "transparent", "unique-id-format", "unique-id-header", "use-fcgi-app",
		"use-server", "filter", "default-server", "dynamic-cookie-key", "max-session-srv-conns")
	for kw := range removedProxy {
		proxyRules[kw] = &proxyRule{}
	}
	capOf := func(c int, names ...string) {
		for _, n := range names {
			if proxyRules[n] == nil {
				proxyRules[n] = &proxyRule{}
			}
			proxyRules[n].cap = c
		}
	}
	capOf(capNeedFE, "backlog", "capture", "declare", "monitor", "monitor-uri")
	capOf(capNeedBE, "ignore-persist", "http-check", "http-reuse", "dispatch", "dynamic-cookie-key", "http-send-name-header")
	capOf(capNeedBE, "balance", "cookie", "fullconn", "hash-type", "retries", "server-state-file-name", "source",
		"stick", "tcp-check", "use-server", "force-persist")
	capOf(capServerish, "server-template")
	for _, kw := range []string{"disabled", "enabled", "transparent"} {
		proxyRules[kw].shape = noArgs()
	}
	proxyRules["http-reuse"].shape = choice("'%s' only supports 'never', 'safe', 'aggressive', 'always'.%.0s", "never", "safe", "aggressive", "always")
	proxyRules["load-server-state-from-file"].shape = choice("'%s' expects 'global', 'local' or 'none'. Got '%s'", "global", "local", "none")
	proxyRules["cookie"].shape = cookieArgs
	proxyRules["stick"].shape = stickRuleArgs
	proxyRules["http-check"].shape, proxyRules["tcp-check"].shape = checkRuleArgs, checkRuleArgs
	proxyRules["external-check"].shape, proxyRules["compression"].shape = externalCheckArgs, compressionArgs
	proxyRules["source"].shape = sourceArgs
	proxyRules["ignore-persist"].shape, proxyRules["force-persist"].shape = persistRuleArgs, persistRuleArgs
	proxyRules["monitor"].shape = monitorArgs
	proxyRules["use-server"].shape = useServerArgs
	for _, kw := range []string{"log-format", "log-format-sd", "error-log-format"} {
		proxyRules[kw].shape = logFormatArgs
	}
	proxyRules["capture"].shape, proxyRules["declare"].shape = captureArgs, declareArgs // captureargs.go
	proxyRules["retry-on"].shape = retryOnArgs
	proxyRules["rate-limit"].shape = choice("'%s' only supports 'sessions' (got '%s')", "sessions")
	capOf(capFcgi, "use-fcgi-app")
	set := func(kw string, built bool, h func(l *loader, px *Proxy, d line)) {
		r := proxyRules[kw]
		if r == nil {
			r = &proxyRule{}
			proxyRules[kw] = r
		}
		r.handle, r.built = h, built
	}
	set("mode", true, func(l *loader, px *Proxy, d line) {
		switch d.arg(0) {
		case "tcp", "http":
			px.Mode = d.arg(0)
		case "health":
			l.alert(d.pos, "'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.")
		default:
			l.alert(d.pos, fmt.Sprintf("unknown proxy mode '%s'.", d.arg(0)))
		}
	})
	set("balance", true, func(l *loader, px *Proxy, d line) {
		algo := d.arg(0)
		base, _, _ := strings.Cut(algo, "(")
		switch {
		case base == "":
			// a bare "balance" is round robin, the default
			px.Balance = []string{"roundrobin"}
		case !balanceAlgos[base] || algo == "hdr": // hdr needs its "(name)"
			l.alert(d.pos, "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.")
		default:
			if msg := balanceProblem(d.args); msg != "" { // balanceargs.go
				l.alert(d.pos, msg)
				return
			}
			px.Balance = append([]string(nil), d.args...)
		}
	})
	set("maxconn", true, func(l *loader, px *Proxy, d line) {
		if len(d.args) == 0 {
			l.alert(d.pos, "'maxconn' expects an integer argument.")
			return
		}
		px.MaxConn = atoi(d.args[0])
	})
	set("timeout", true, func(l *loader, px *Proxy, d line) {
		kind := d.arg(0)
		if msg := removedProxy[kind]; strings.HasSuffix(kind, "timeout") && msg != "" {
			l.alert(d.pos, msg)
			return
		}
		if !timeoutKinds[kind] {
			l.alert(d.pos, fmt.Sprintf("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '%s')", kind))
			return
		}
		if len(d.args) < 2 {
			l.alert(d.pos, fmt.Sprintf("'timeout %s' expects an integer value (in milliseconds)", kind))
			return
		}
		ms, msg := parseTime(d.args[1])
		if msg != "" {
			l.alert(d.pos, fmt.Sprintf(msg, "timeout "+kind))
			return
		}
		l.timerTrailer(d.args[1])
		l.timeoutValue(px, d, kind, ms)
	})
	set("option", true, (*loader).proxyOption)
	set("bind", true, (*loader).bindLine)
	set("server-template", false, (*loader).serverTemplate)
	set("server", true, (*loader).serverLine)
	set("default-server", true, func(l *loader, px *Proxy, d line) {
		if px.DefaultServer == nil {
			px.DefaultServer = map[string]string{}
		}
		l.serverOptions(px, d, d.args, px.DefaultServer, "", "default-server")
	})
	set("acl", true, (*loader).aclLine)
	set("use_backend", true, func(l *loader, px *Proxy, d line) {
		cond := d.args[1:]
		if len(cond) > 0 && cond[0] != "if" && cond[0] != "unless" {
			l.alert(d.pos, fmt.Sprintf("unexpected keyword '%s' after switching rule, only 'if' and 'unless' are allowed.", cond[0]))
			return
		}
		if !l.checkCond(px, d, cond, "switching rule") {
			return
		}
		px.UseBackends = append(px.UseBackends, UseBackend{Backend: d.args[0], Cond: cond, Pos: d.pos,
			Condition: parseCondition(append([]string(nil), cond...))})
	})
	set("default_backend", true, func(l *loader, px *Proxy, d line) {
		px.DefaultBackend, px.defaultBackendPos = d.args[0], d.pos
	})
	set("log", true, func(l *loader, px *Proxy, d line) {
		if d.mod == "no" {
			if len(d.args) > 0 {
				l.alert(d.pos, "log : 'no log' does not expect arguments")
				return
			}
			px.Logs = nil
			return
		}
		if lg, ok := l.parseLog(d); ok {
			px.Logs = append(px.Logs, lg)
		}
	})
	set("log-format", true, func(l *loader, px *Proxy, d line) {
		l.logFormatOverride(px, d, "log-format")
		delete(px.Options, "httplog")
		delete(px.Options, "tcplog")
		delete(px.Options, "httpslog")
		px.logFormatPos = d.pos
		px.Options["log-format"] = true
	})
	set("errorfile", true, func(l *loader, px *Proxy, d line) { l.errorfile(px, d) })
	set("errorfiles", true, func(l *loader, px *Proxy, d line) {
		// The statuses taken from the section, read as atol reads
		// them: each must be one with a built-in message.
		for _, code := range d.args[min(1, len(d.args)):] {
			if n := leadingInt(code); !defaultErrorCodes[n] {
				l.alert(d.pos, fmt.Sprintf("errorfiles : status code '%d' not handled.", n))
				return
			}
		}
	})
	set("stats", true, func(l *loader, px *Proxy, d line) {
		switch d.arg(0) {
		case "admin", "uri", "realm", "auth", "scope", "enable", "hide-version", "show-node", "show-desc",
			"show-legends", "show-modules", "refresh", "http-request":
			if !l.statsArgs(d) {
				return
			}
			px.stats = true
		case "bind-process":
		case "":
			l.alertTight(d.pos, "missing keyword in 'stats', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.")
		default:
			l.alertTight(d.pos, fmt.Sprintf("unknown stats parameter '%s', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.", d.arg(0)))
		}
	})
	for _, kw := range []string{"http-request", "http-response", "http-after-response", "tcp-request", "tcp-response"} {
		set(kw, true, (*loader).ruleLine)
	}
	set("filter", false, func(l *loader, px *Proxy, d line) {
		l.filterCompression(px, d) // compression.go
		l.filterLine(px, d)        // spoefilter.go
		l.cacheFilter(px, d)       // cachesection.go
	})
	set("external-check", false, func(l *loader, px *Proxy, d line) {
		if d.arg(0) == "command" {
			px.Options["external-check command"] = true
		}
	})
	set("redirect", false, func(l *loader, px *Proxy, d line) {
		if msg := redirectProblem(d.args); msg != "" {
			l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing redirect rule : %s", proxyWord(px), px.Name, msg))
			return
		}
		for i, a := range d.args {
			if a == "if" || a == "unless" {
				missing, problem := l.condProblem(px, d.args[i:])
				if problem == "" && missing != "" {
					problem = fmt.Sprintf("no such ACL : '%s'", missing)
				}
				if problem != "" {
					l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing redirect rule : error in condition: %s.", proxyWord(px), px.Name, problem))
				}
				return
			}
		}
	})
	set("bind-process", false, func(l *loader, px *Proxy, d line) {
		if !l.bindProcessArgs(d) {
			return
		}
		l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d]: 'bind-process' has no effect, is deprecated, and will be removed in version 2.7.", d.pos.File, d.pos.Line))
	})
	set("compression", false, func(l *loader, px *Proxy, d line) {
		switch d.arg(0) {
		case "algo", "type", "offload":
		default:
			l.alert(d.pos, "'compression' expects 'algo', 'type' or 'offload'")
		}
		l.compressionOffload(px, d) // compression.go
	})
	set("http-error", false, func(l *loader, px *Proxy, d line) { l.httpErrorArgs(d) }) // httperror.go
	set("stick-table", false, func(l *loader, px *Proxy, d line) {
		if l.stickTableNameFree(px, d) && l.stickTableArgs(d) { // stickargs.go
			l.declareStickTable(px, d)
		}
	})
	set("grace", false, func(l *loader, px *Proxy, d line) {
		l.alertTight(d.pos, "the 'grace' keyword is not supported any more since HAProxy version 2.5.")
	})
}

// proxyCandidates are the words offered as "did you mean" suggestions in
// proxy sections, in the reference's order.
func proxyCandidates() []string { return proxySuggest }

func (l *loader) proxyKeyword(d line) {
	px := l.px
	if px == nil {
		return
	}
	if msg, gone := removedProxy[d.kw]; gone && msg != "" {
		l.alert(d.pos, msg)
		return
	}
	r, ok := proxyRules[d.kw]
	if !ok {
		l.alert(d.pos, fmt.Sprintf("unknown keyword '%s' in '%s' section%s", d.kw, px.Kind, suggestion(d.kw, proxyCandidates())))
		return
	}
	backendOnly := px.Kind == "backend" && (d.kw == "bind" || d.kw == "use_backend" || d.kw == "default_backend")
	if backendOnly {
		// The reference warns before it looks at the arguments, and
		// still reads the line.
		l.warn(d.pos, fmt.Sprintf("'%s' ignored because backend '%s' has no frontend capability.", d.kw, px.Name))
	}
	if l.missingArgs(px, d) {
		return
	}
	if px.Kind == "defaults" && px.Name == "" {
		switch {
		case d.kw == "acl" || d.kw == "http-request" || d.kw == "http-response" || d.kw == "http-after-response":
			l.alert(d.pos, fmt.Sprintf("'%s' not allowed in anonymous 'defaults' section.", d.kw))
			return
		case d.kw == "tcp-request":
			l.alert(d.pos, fmt.Sprintf("tcp-request %s is not allowed in anonymous 'defaults' sections", d.arg(0)))
			return
		case d.kw == "tcp-response":
			l.alert(d.pos, fmt.Sprintf("tcp-response %s is only allowed in 'backend' sections or 'defaults' section with a name", d.arg(0)))
			return
		}
	}
	if px.Kind == "defaults" {
		switch d.kw {
		case "bind", "dispatch", "redirect", "stick", "use_backend", "monitor":
			l.alert(d.pos, fmt.Sprintf("'%s' not allowed in 'defaults' section.", d.kw))
			return
		case "server", "server-template":
			l.alertBare(d.pos, fmt.Sprintf("'%s' not allowed in 'defaults' section.", d.kw))
			return
		case "stick-table":
			l.alert(d.pos, "'stick-table' is not supported in 'defaults' section.")
			return
		}
	}
	if l.proxyContext(px, d) {
		return
	}
	switch {
	case r.cap == capNeedFE && !px.hasFE() && px.Kind != "defaults":
		l.warnNoFrontendCap(px, d)
		l.checkIgnoredValue(r, px, d)
		return
	case r.cap == capNeedBE && !px.hasBE() && px.Kind != "defaults":
		l.warnNoBackendCap(px, d)
		mark, fatals := len(l.diags), l.fatals
		l.checkIgnoredValue(r, px, d)
		if d.kw == "use-server" && l.fatals == fatals {
			// The reference still keeps the ignored rule: it counts for
			// the rule-order warnings.
			l.warnMisplaced(px, d, mark)
		}
		return
	case d.kw == "maxconn" && px.Kind == "backend":
		l.warn(d.pos, fmt.Sprintf("'maxconn' ignored because backend '%s' has no frontend capability. Maybe you want 'fullconn' instead ?", px.Name))
		return
	case (r.cap == capServerish || d.kw == "server" || d.kw == "default-server") && px.Kind == "frontend":
		l.alertBare(d.pos, fmt.Sprintf("parsing [%s:%d] : '%s' not allowed because %s '%s' has no backend capability.", d.pos.File, d.pos.Line, d.kw, px.Kind, px.Name))
		return
	case r.cap == capFcgi && !(px.Kind == "backend" || px.Kind == "listen"):
		l.alert(d.pos, "'use-fcgi-app' only available in backend or listen section")
		return
	}
	if d.kw == "bind" && backendOnly {
		// The reference checks the line and creates the listener, but
		// the backend never uses it.
		l.bindLine(&Proxy{Kind: px.Kind, Name: px.Name, Section: px.Section}, d)
		l.cfg.auxBinds++
		return
	}
	if l.tooManyArgs(proxyMaxArgs, d) {
		return
	}
	if r.shape != nil && !r.shape(l, d) {
		return
	}
	if !r.built {
		l.notBuilt(d.pos, d.kw)
	}
	// A rule counts for the order warnings only once accepted; the
	// reference gives its warning then, before the rule's own ones.
	mark, fatals := len(l.diags), l.fatals
	if r.handle != nil {
		r.handle(l, px, d)
	}
	if l.fatals == fatals {
		l.warnMisplaced(px, d, mark)
	}
	l.checkMapFiles(d)
}

// useServerArgs: "use-server NAME if|unless COND", the condition checked
// as a switching rule's.
func useServerArgs(l *loader, d line) bool {
	if len(d.args) < 2 || d.args[1] != "if" && d.args[1] != "unless" {
		l.alert(d.pos, "'use-server' requires either 'if' or 'unless' followed by a condition.")
		return false
	}
	return l.checkCond(l.px, d, d.args[1:], "switching rule")
}

// logFormatArgs: a format is one word; a backend ignores the log
// formats, which belong to the frontend that logs.
func logFormatArgs(l *loader, d line) bool {
	if len(d.args) > 1 {
		l.alert(d.pos, fmt.Sprintf("%s expects only one argument, don't forget to escape spaces!", d.kw))
		return false
	}
	if l.px.Kind == "backend" {
		l.warn(d.pos, fmt.Sprintf("backend '%s' : '%s' directive is ignored in backends.", l.px.Name, d.kw))
		return false
	}
	return true
}

// warnNoFrontendCap: a frontend keyword in a proxy without frontend
// capability is ignored.
func (l *loader) warnNoFrontendCap(px *Proxy, d line) {
	l.warn(d.pos, fmt.Sprintf("'%s' ignored because %s '%s' has no frontend capability.", d.kw, px.Kind, px.Name))
}

// warnNoBackendCap: a backend keyword in a proxy without backend
// capability is ignored.
func (l *loader) warnNoBackendCap(px *Proxy, d line) {
	hint := ""
	if d.kw == "fullconn" {
		hint = " Maybe you want 'maxconn' instead ?"
	}
	l.warn(d.pos, fmt.Sprintf("'%s' ignored because %s '%s' has no backend capability.%s", d.kw, px.Kind, px.Name, hint))
}

// valueCheckedWhenIgnored are the backend or frontend keywords whose
// value the reference still reads, and may refuse, in a proxy that
// ignores them.
var valueCheckedWhenIgnored = setOf("balance", "cookie", "hash-type", "source", "server-state-file-name", "http-reuse",
	"dispatch", "ignore-persist", "dynamic-cookie-key", "http-send-name-header", "http-check", "tcp-check",
	"monitor-uri", "backlog", "monitor", "capture", "use-server")

// checkIgnoredValue checks the value of a keyword the proxy ignores, on
// a scratch proxy so that the ignored setting is kept out of the model.
func (l *loader) checkIgnoredValue(r *proxyRule, px *Proxy, d line) {
	if !valueCheckedWhenIgnored[d.kw] || l.tooManyArgs(proxyMaxArgs, d) || r.shape != nil && !r.shape(l, d) || r.handle == nil {
		return
	}
	r.handle(l, &Proxy{Kind: px.Kind, Name: px.Name, Section: px.Section, Timeouts: map[string]int64{}, Options: map[string]bool{}}, d)
}

func sortedStrings(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return sortedKeys(m)
}

var optionCandidates = optionSuggest

func (l *loader) proxyOption(px *Proxy, d line) {
	name := d.arg(0)
	if name == "" {
		l.alertTight(d.pos, "'option' expects an option name.")
		return
	}
	if msg, gone := removedOptions[name]; gone {
		l.alertTight(d.pos, msg)
		return
	}
	if d.mod != "" && notNegatableOptions[name] {
		l.alertTight(d.pos, fmt.Sprintf("negation/default is not supported for option '%s'.", name))
		return
	}
	known := false
	for _, o := range proxyOptions {
		if o == name {
			known = true
			break
		}
	}
	if !known {
		msg := fmt.Sprintf("unknown option '%s'", name)
		if m := bestMatch(name, optionCandidates); m != "" {
			msg += fmt.Sprintf("; did you mean '%s' maybe ?", m)
		} else {
			msg += "."
		}
		l.alert(d.pos, msg)
		return
	}
	if !l.optionArgs(px, d) {
		return
	}
	switch name {
	case "http-restrict-req-hdr-names":
		switch d.arg(1) {
		case "preserve", "reject", "delete":
		default:
			l.alert(d.pos, "missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.")
			return
		}
	case "httpchk":
		if strings.Contains(d.arg(3), "\r\n") {
			l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d]: 'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.", d.pos.File, d.pos.Line))
		}
	case "mysql-check":
		if !l.mysqlCheckArgs(d) {
			return
		}
	case "pgsql-check":
		if d.arg(1) != "user" || d.arg(2) == "" {
			l.alert(d.pos, "'option pgsql-check' expects 'user <username>' as argument.")
			return
		}
	}
	switch name {
	case "httplog", "tcplog", "httpslog":
		if px.Kind == "backend" {
			l.warn(d.pos, fmt.Sprintf("backend '%s' : 'option %s' directive is ignored in backends.", px.Name, name))
			return
		}
		l.logFormatOverride(px, d, "option "+name)
		// One log format replaces another.
		delete(px.Options, "httplog")
		delete(px.Options, "tcplog")
		delete(px.Options, "httpslog")
		px.logFormatPos = d.pos
		px.Options["log-format"] = true
	}
	px.Options[name] = d.mod != "no"
}

// errorfile checks "errorfile CODE FILE": a handled status and a file
// that opens.
func (l *loader) errorfile(px *Proxy, d line) {
	if len(d.args) < 2 {
		l.alert(d.pos, "errorfile : expects <status_code> and <file> as arguments.")
		return
	}
	switch d.args[0] {
	case "200", "400", "401", "403", "404", "405", "407", "408", "410", "413", "425", "429", "500", "501", "502", "503", "504":
	default:
		l.alert(d.pos, fmt.Sprintf("errorfile : status code '%s' not handled.", d.args[0]))
		return
	}
	if msg := errorFileProblem(d.args[1], "error opening file '%s'."); msg != "" {
		l.alert(d.pos, "errorfile : "+msg)
		return
	}
	if px != nil {
		if px.ErrorFiles == nil {
			px.ErrorFiles = map[string]string{}
		}
		px.ErrorFiles[d.args[0]] = d.args[1]
	}
}

// mapConverter finds map converters and their pattern file argument.
var mapConverter = regexp.MustCompile(`\b(map(?:_[a-z]+)*)\(([^,)]*)`)

// missingMapFile finds, in one word, a map converter whose pattern file
// cannot be opened (the reference loads them while parsing).
func missingMapFile(word string) (conv, file string) {
	if !strings.Contains(word, "map") {
		return "", ""
	}
	for _, m := range mapConverter.FindAllStringSubmatch(word, -1) {
		if converterNames[m[1]] && m[2] != "" && !fileExists(m[2]) {
			return m[1], m[2]
		}
	}
	return "", ""
}

// checkMapFiles reports a map converter whose pattern file cannot be
// opened on a line that no more specific check covers.
func (l *loader) checkMapFiles(d line) {
	switch d.kw {
	case "acl", "use_backend", "http-request", "http-response", "http-after-response", "tcp-request", "tcp-response":
		return
	}
	for _, a := range d.args {
		if conv, file := missingMapFile(a); conv != "" && !l.cfg.failedMaps[file] {
			// The reference registers the pattern file even when it
			// cannot be read: it complains about it once.
			if l.cfg.failedMaps == nil {
				l.cfg.failedMaps = map[string]bool{}
			}
			l.cfg.failedMaps[file] = true
			l.alert(d.pos, fmt.Sprintf("invalid args in converter '%s' : failed to open pattern file <%s>", conv, file))
			return
		}
	}
}
