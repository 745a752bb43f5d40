package haproxy

import (
	"fmt"
	"os/user"

	"fulcrum/confparse"
	"sort"
	"strconv"
)

// globalKeywords are the keywords HAProxy 2.6 (Debian build) accepts in
// the global section; the handler checks and fills, nil only accepts.
var globalKeywords = map[string]func(l *loader, d line){}

// globalBuilt are the global keywords the engine acts on.
var globalBuilt = setOf("daemon", "master-worker", "maxconn", "nbthread", "user", "group", "uid", "gid", "chroot",
	"pidfile", "log", "stats", "quiet", "zero-warning", "external-check", "insecure-fork-wanted",
	"tune.h2.max-concurrent-streams", "tune.h2.initial-window-size", "tune.h2.max-frame-size", "tune.h2.header-table-size")

func init() {
	for _, k := range []string{
		"busy-polling", "ca-base", "chroot", "close-spread-time", "cluster-secret", "cpu-map", "crt-base", "daemon",
		"default-path", "description", "expose-experimental-directives", "fd-hard-limit", "gid", "grace",
		"h1-accept-payload-with-any-method", "h1-case-adjust", "h1-case-adjust-file",
		"h2-workaround-bogus-websocket-clients", "hard-stop-after", "httpclient.resolvers.id",
		"httpclient.resolvers.prefer", "httpclient.ssl.ca-file", "httpclient.ssl.verify", "insecure-fork-wanted",
		"insecure-setuid-wanted", "issuers-chain-path", "localpeer", "log-send-hostname", "log-tag",
		"lua-load-per-thread", "lua-prepend-path", "master-worker", "max-spread-checks", "maxcompcpuusage",
		"maxcomprate", "maxconnrate", "maxpipes", "maxsessrate", "maxsslconn", "maxsslrate", "maxzlibmem",
		"mworker-max-reloads", "no-memory-trimming", "node", "noepoll", "noevports", "nogetaddrinfo", "nokqueue",
		"nopoll", "noreuseport", "nosplice", "numa-cpu-mapping", "pidfile", "pp2-never-send-local", "presetenv",
		"profiling.tasks", "quiet", "resetenv", "server-state-base", "server-state-file", "set-dumpable", "set-var",
		"set-var-fmt", "setenv", "spread-checks", "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites",
		"ssl-default-bind-curves", "ssl-default-bind-options", "ssl-default-server-ciphers",
		"ssl-default-server-ciphersuites", "ssl-default-server-options", "ssl-dh-param-file",
		"ssl-load-extra-del-ext", "ssl-load-extra-files", "ssl-mode-async", "ssl-propquery", "ssl-provider",
		"ssl-provider-path", "ssl-server-verify", "ssl-skip-self-issued-ca", "strict-limits", "thread-group",
		"thread-groups", "tune.buffers.limit", "tune.buffers.reserve", "tune.bufsize", "tune.comp.maxlevel",
		"tune.fail-alloc", "tune.fd.edge-triggered", "tune.h2.header-table-size", "tune.h2.initial-window-size",
		"tune.h2.max-concurrent-streams", "tune.h2.max-frame-size", "tune.http.cookielen", "tune.http.logurilen",
		"tune.http.maxhdr", "tune.idle-pool.shared", "tune.idletimer", "tune.listener.multi-queue",
		"tune.lua.forced-yield", "tune.lua.maxmem", "tune.lua.service-timeout", "tune.lua.session-timeout",
		"tune.lua.task-timeout", "tune.maxaccept", "tune.maxpollevents", "tune.maxrewrite",
		"tune.pattern.cache-size", "tune.peers.max-updates-at-once", "tune.pipesize", "tune.pool-high-fd-ratio",
		"tune.pool-low-fd-ratio", "tune.rcvbuf.client", "tune.rcvbuf.server", "tune.recv_enough",
		"tune.runqueue-depth", "tune.sched.low-latency", "tune.sndbuf.client", "tune.sndbuf.server",
		"tune.ssl.cachesize", "tune.ssl.capture-buffer-size", "tune.ssl.capture-cipherlist-size",
		"tune.ssl.default-dh-param", "tune.ssl.force-private-cache", "tune.ssl.hard-maxrecord", "tune.ssl.keylog",
		"tune.ssl.lifetime", "tune.ssl.maxrecord", "tune.ssl.ssl-ctx-cache-size", "tune.vars.check-max-size",
		"tune.vars.global-max-size", "tune.vars.proc-max-size", "tune.vars.reqres-max-size",
		"tune.vars.sess-max-size", "tune.vars.txn-max-size", "uid", "ulimit-n", "unix-bind", "unsetenv",
		"zero-warning",
	} {
		globalKeywords[k] = nil
	}
	globalKeywords["daemon"] = func(l *loader, d line) { l.cfg.Global.Daemon = true }
	globalKeywords["master-worker"] = func(l *loader, d line) { l.cfg.Global.MasterWorker = true }
	globalKeywords["quiet"] = func(l *loader, d line) {
		if !l.cfg.Global.Quiet {
			l.cfg.QuietFrom = len(l.diags)
		}
		l.cfg.Global.Quiet = true
	}
	globalKeywords["chroot"] = func(l *loader, d line) {
		if l.cfg.Global.Chroot != "" {
			l.emit(confparse.Alert, d.pos, fmt.Sprintf("parsing [%s:%d] : 'chroot' already specified. Continuing.", d.pos.File, d.pos.Line))
			return
		}
		l.cfg.Global.Chroot = d.arg(0)
	}
	globalKeywords["pidfile"] = func(l *loader, d line) { l.cfg.Global.PidFile = d.arg(0) }
	globalKeywords["external-check"] = func(l *loader, d line) { l.cfg.Global.ExternalCheck = true }
	globalKeywords["maxconn"] = func(l *loader, d line) {
		if l.cfg.Global.MaxConn != 0 {
			// reported as an alert, yet not an error
			l.emit(confparse.Alert, d.pos, fmt.Sprintf("parsing [%s:%d] : 'maxconn' already specified. Continuing.", d.pos.File, d.pos.Line))
			return
		}
		l.cfg.Global.MaxConn = atoi(d.args[0])
	}
	globalKeywords["nbthread"] = func(l *loader, d line) {
		n, err := strconv.Atoi(d.arg(0))
		if err != nil {
			l.alert(d.pos, fmt.Sprintf("'nbthread' passed a missing or unparsable integer value in '%s'", d.arg(0)))
			return
		}
		l.cfg.Global.NbThread = n
	}
	globalKeywords["nbproc"] = func(l *loader, d line) {
		l.alert(d.pos, "nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.")
	}
	globalKeywords["user"] = func(l *loader, d line) {
		if l.cfg.Global.User != "" {
			l.emit(confparse.Alert, d.pos, fmt.Sprintf("parsing [%s:%d] : user/uid already specified. Continuing.", d.pos.File, d.pos.Line))
			return
		}
		if _, err := user.Lookup(d.arg(0)); err != nil {
			l.alert(d.pos, fmt.Sprintf("cannot find user id for '%s' (0:Success)", d.arg(0)))
			return
		}
		l.cfg.Global.User = d.arg(0)
	}
	globalKeywords["group"] = func(l *loader, d line) {
		if l.cfg.Global.Group != "" {
			l.emit(confparse.Alert, d.pos, fmt.Sprintf("parsing [%s:%d] : gid/group was already specified. Continuing.", d.pos.File, d.pos.Line))
			return
		}
		if _, err := user.LookupGroup(d.arg(0)); err != nil {
			l.alert(d.pos, fmt.Sprintf("cannot find group id for '%s' (0:Success)", d.arg(0)))
			return
		}
		l.cfg.Global.Group = d.arg(0)
	}
	globalKeywords["lua-load"] = func(l *loader, d line) {
		if !fileExists(d.arg(0)) {
			l.alert(d.pos, fmt.Sprintf("error in Lua file '%s': cannot open %s: No such file or directory", d.arg(0), d.arg(0)))
			return
		}
		l.cfg.luaLoaded = true
	}
	globalKeywords["lua-load-per-thread"] = globalKeywords["lua-load"]
	globalKeywords["log"] = func(l *loader, d line) {
		if lg, ok := l.parseLog(d); ok {
			l.cfg.Global.Logs = append(l.cfg.Global.Logs, lg)
		}
	}
	globalKeywords["stats"] = func(l *loader, d line) {
		if !l.globalStatsArgs(d) {
			return
		}
		switch d.arg(0) {
		case "socket":
			for i := 2; i < len(d.args); i++ {
				n, known := bindOptions[d.args[i]]
				if !known {
					msg := fmt.Sprintf("'stats socket' : unknown keyword '%s'.", d.args[i])
					if m := bestMatch(d.args[i], sortedKeys(bindOptions)); m != "" {
						msg = fmt.Sprintf("'stats socket' : unknown keyword '%s'. Did you mean '%s' maybe ?", d.args[i], m)
					}
					l.alert(d.pos, msg)
					return
				}
				if d.args[i] != "process" || i+1 >= len(d.args) {
					i += n
					continue
				}
				if !singleProcess(d.args[i+1]) {
					l.alert(d.pos, fmt.Sprintf("'stats socket' : ''process' : '%s' is not a valid number/range. It supports numbers from 1 to 1.\n'", d.args[i+1]))
					return
				}
				l.warn(d.pos, fmt.Sprintf("'stats socket' : 'process %s' on 'bind' lines is deprecated and will be removed in 2.7.", d.args[i+1]))
				i++
			}
			l.cfg.Global.StatsSockets = append(l.cfg.Global.StatsSockets, d.arg(1))
		case "bind-process":
			if !singleProcess(d.arg(1)) {
				l.alert(d.pos, fmt.Sprintf("'stats bind-process' : '%s' is not a valid number/range. It supports numbers from 1 to 1.\n", d.arg(1)))
			}
		case "maxconn", "timeout":
		default:
			l.alert(d.pos, fmt.Sprintf("'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '%s')", d.arg(0)))
		}
	}
}

// globalCandidates are the words offered as "did you mean" suggestions
// in the global section, in the reference's order.
func globalCandidates() []string { return globalSuggest }

// globalOnce are global keywords the reference takes once: a repeat is
// reported (as an alert, though only the *-base ones fail) and ignored.
var globalOnce = map[string]struct {
	msg   string
	fatal bool
}{
	"ulimit-n": {msg: "'ulimit-n' already specified. Continuing."}, "pidfile": {msg: "'pidfile' already specified. Continuing."},
	"maxconnrate": {msg: "'maxconnrate' already specified. Continuing."}, "maxsessrate": {msg: "'maxsessrate' already specified. Continuing."},
	"maxsslrate": {msg: "'maxsslrate' already specified. Continuing."}, "maxpipes": {msg: "'maxpipes' already specified. Continuing."},
	"tune.maxaccept": {msg: "'tune.maxaccept' already specified. Continuing."}, "tune.maxpollevents": {msg: "'tune.maxpollevents' already specified. Continuing."},
	"tune.rcvbuf.client": {msg: "'tune.rcvbuf.client' already specified. Continuing."}, "server-state-base": {msg: "'server-state-base' already specified. Continuing."},
	"server-state-file": {msg: "'server-state-file' already specified. Continuing."}, "cluster-secret": {msg: "'cluster-secret' already specified. Continuing."},
	"fd-hard-limit": {msg: "'fd-hard-limit' already specified. Continuing."}, "tune.runqueue-depth": {msg: "'tune.runqueue-depth' already specified. Continuing."},
	"ca-base": {msg: "'ca-base' already specified.", fatal: true}, "crt-base": {msg: "'crt-base' already specified.", fatal: true},
}

// onceByValue are the numeric globalOnce keywords.
var onceByValue = setOf("ulimit-n", "maxconnrate", "maxsessrate", "maxsslrate", "maxpipes", "tune.maxaccept",
	"tune.maxpollevents", "tune.rcvbuf.client", "fd-hard-limit", "tune.runqueue-depth")

func (l *loader) globalKeyword(d line) {
	if once, ok := globalOnce[d.kw]; ok && len(d.args) > 0 {
		if l.globalSeen[d.kw] {
			l.emit(confparse.Alert, d.pos, fmt.Sprintf("parsing [%s:%d] : %s", d.pos.File, d.pos.Line, once.msg))
			if once.fatal {
				l.fileFatal = true
				l.fatals++
			}
			return
		}
		if l.globalSeen == nil {
			l.globalSeen = map[string]bool{}
		}
		// The reference tests the value it keeps: a number read as 0
		// ("abc" too) leaves the keyword unset.
		l.globalSeen[d.kw] = !onceByValue[d.kw] || atoi(d.args[0]) != 0
	}
	h, ok := globalKeywords[d.kw]
	if !ok {
		l.alert(d.pos, fmt.Sprintf("unknown keyword '%s' in 'global' section%s", d.kw, suggestion(d.kw, globalCandidates())))
		return
	}
	if d.kw == "mworker-max-reloads" {
		l.mworkerMaxReloads(d)
		return
	}
	if l.tooManyArgs(globalMaxArgs, d) {
		return
	}
	if d.kw == "log" && d.mod == "no" {
		l.noGlobalLog(d)
		return
	}
	if msg, ok := globalArgsRequired[d.kw]; ok && len(d.args) == 0 {
		l.emit(confparse.Alert, d.pos, fmt.Sprintf(msg, d.pos.File, d.pos.Line))
		l.fileFatal = true
		l.fatals++
		return
	}
	if check := globalShapes[d.kw]; check != nil && !check(l, d) {
		return
	}
	if !globalBuilt[d.kw] {
		l.notBuilt(d.pos, d.kw)
	}
	if h != nil {
		h(l, d)
	}
	l.checkMapFiles(d)
}

// mworkerMaxReloads checks "mworker-max-reloads N" as the reference
// does: its parser's errors come out as warnings led by "(null)" (the
// error text the reference meant to print is lost) and do not fail the
// configuration; too many arguments give a non-fatal alert followed by
// that empty warning.
func (l *loader) mworkerMaxReloads(d line) {
	at := fmt.Sprintf("parsing [%s:%d]", d.pos.File, d.pos.Line)
	lost := func(msg string) { l.emit(confparse.Warning, d.pos, at+" : (null)"+msg) }
	switch {
	case len(d.args) > 1:
		l.emit(confparse.Alert, d.pos, fmt.Sprintf("%s : 'mworker-max-reloads' cannot handle unexpected argument '%s'.", at, d.args[1]))
		lost("")
	case len(d.args) == 0:
		lost(at + " : 'mworker-max-reloads' expects an integer argument.\n")
	case atoi(d.args[0]) < 0:
		lost(fmt.Sprintf("%s 'mworker-max-reloads' : invalid value %d, must be >= 0", at, atoi(d.args[0])))
	}
	if !globalBuilt[d.kw] {
		l.notBuilt(d.pos, d.kw)
	}
}

// noGlobalLog: "no log" forgets the global log targets set so far, and
// takes no argument.
func (l *loader) noGlobalLog(d line) {
	if len(d.args) > 0 {
		l.alert(d.pos, "log : 'no log' does not expect arguments")
		return
	}
	l.cfg.Global.Logs = nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// atoi reads leading decimal digits like C's atoi: "12ab" is 12, "x" is 0.
func atoi(s string) int {
	n, i, neg := 0, 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// singleProcess accepts the process sets that fit the only process 2.6
// has: "all", "odd", "1" and "1-1".
func singleProcess(v string) bool {
	switch v {
	case "all", "odd", "1", "1-1":
		return true
	}
	return false
}
