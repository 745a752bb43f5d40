package haproxy

import (
	"fmt"
	"strings"
)

// The reference refuses a word beyond what some keywords take with
// "'KW' cannot handle unexpected argument 'WORD'." These tables say how
// many arguments each such keyword takes (measured on the reference).
var (
	globalMaxArgs = map[string]int{}
	proxyMaxArgs  = map[string]int{}
)

func init() {
	for _, k := range strings.Fields(`busy-polling daemon external-check h1-accept-payload-with-any-method insecure-fork-wanted insecure-setuid-wanted no-memory-trimming noepoll noevports nogetaddrinfo nokqueue nopoll noreuseport nosplice pp2-never-send-local quiet set-dumpable strict-limits tune.ssl.force-private-cache zero-warning`) {
		globalMaxArgs[k] = 0
	}
	for _, k := range strings.Fields(`ca-base chroot cluster-secret crt-base gid group httpclient.resolvers.id httpclient.resolvers.prefer httpclient.ssl.verify issuers-chain-path localpeer log-tag master-worker max-spread-checks maxcompcpuusage maxcomprate maxconn maxconnrate maxpipes maxsessrate maxsslconn maxsslrate maxzlibmem mworker-max-reloads nbthread node pidfile profiling.tasks spread-checks ssl-default-bind-ciphers ssl-default-bind-ciphersuites ssl-default-bind-curves ssl-default-server-ciphers ssl-default-server-ciphersuites ssl-dh-param-file ssl-server-verify thread-groups tune.buffers.limit tune.buffers.reserve tune.bufsize tune.comp.maxlevel tune.fail-alloc tune.h2.header-table-size tune.h2.initial-window-size tune.h2.max-concurrent-streams tune.h2.max-frame-size tune.http.cookielen tune.http.logurilen tune.http.maxhdr tune.idle-pool.shared tune.idletimer tune.listener.multi-queue tune.maxaccept tune.maxpollevents tune.maxrewrite tune.peers.max-updates-at-once tune.pipesize tune.pool-high-fd-ratio tune.pool-low-fd-ratio tune.rcvbuf.client tune.rcvbuf.server tune.recv_enough tune.runqueue-depth tune.sched.low-latency tune.sndbuf.client tune.sndbuf.server tune.ssl.cachesize tune.ssl.capture-buffer-size tune.ssl.capture-cipherlist-size tune.ssl.default-dh-param tune.ssl.hard-maxrecord tune.ssl.keylog tune.ssl.lifetime tune.ssl.maxrecord tune.ssl.ssl-ctx-cache-size uid ulimit-n user`) {
		globalMaxArgs[k] = 1
	}
	for _, k := range strings.Fields(`disabled enabled transparent`) {
		proxyMaxArgs[k] = 0
	}
	for _, k := range strings.Fields(`backlog default_backend fullconn id maxconn mode monitor-uri retries server-state-file-name`) {
		proxyMaxArgs[k] = 1
	}
}

// tooManyArgs reports a word beyond the arguments a keyword takes.
func (l *loader) tooManyArgs(max map[string]int, d line) bool {
	n, ok := max[d.kw]
	if d.kw == "external-check" && l.px != nil && (d.arg(0) == "command" || d.arg(0) == "path") {
		n, ok = 2, true
	}
	if !ok || len(d.args) <= n {
		return false
	}
	l.alert(d.pos, fmt.Sprintf("'%s' cannot handle unexpected argument '%s'.", d.kw, d.args[n]))
	return true
}
