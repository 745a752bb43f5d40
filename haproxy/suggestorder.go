package haproxy

import "strings"

// The reference's "did you mean" keeps the FIRST of equally close words,
// and whether a suggestion is printed at all depends on the length of the
// word it kept, so the candidates must be offered in the reference's own
// order: the keywords its modules register (in the order the linker
// places their registrations: the optional objects, then the core ones
// as HAProxy 2.6's Makefile lists them), then the words its parser
// hard-codes for that section. Only the keywords this build (Debian 12's
// 2.6) registers are listed.

// globalSuggest: registered global keywords, then the hard-coded ones.
var globalSuggest = strings.Fields(`
	ca-base crt-base issuers-chain-path maxsslconn ssl-default-bind-options ssl-default-server-options
	ssl-dh-param-file ssl-mode-async ssl-propquery ssl-provider ssl-provider-path ssl-skip-self-issued-ca
	tune.ssl.cachesize tune.ssl.default-dh-param tune.ssl.force-private-cache tune.ssl.lifetime
	tune.ssl.maxrecord tune.ssl.hard-maxrecord tune.ssl.ssl-ctx-cache-size tune.ssl.capture-cipherlist-size
	tune.ssl.capture-buffer-size tune.ssl.keylog ssl-default-bind-ciphers ssl-default-server-ciphers
	ssl-default-bind-curves ssl-default-bind-ciphersuites ssl-default-server-ciphersuites
	ssl-load-extra-files ssl-load-extra-del-ext
	lua-prepend-path lua-load lua-load-per-thread tune.lua.session-timeout tune.lua.task-timeout
	tune.lua.service-timeout tune.lua.forced-yield tune.lua.maxmem
	tune.h2.header-table-size tune.h2.initial-window-size tune.h2.max-concurrent-streams tune.h2.max-frame-size
	h1-accept-payload-with-any-method h1-case-adjust h1-case-adjust-file
	tune.idle-pool.shared tune.pool-high-fd-ratio tune.pool-low-fd-ratio
	default-path tune.peers.max-updates-at-once stats pp2-never-send-local grace hard-stop-after close-spread-time
	httpclient.resolvers.id httpclient.resolvers.prefer httpclient.ssl.verify httpclient.ssl.ca-file
	tune.listener.multi-queue
	set-var set-var-fmt tune.vars.global-max-size tune.vars.proc-max-size tune.vars.sess-max-size
	tune.vars.txn-max-size tune.vars.reqres-max-size tune.vars.check-max-size
	tune.sched.low-latency tune.fail-alloc no-memory-trimming mworker-max-reloads tune.fd.edge-triggered
	profiling.tasks nbthread thread-group thread-groups

	global daemon master-worker noepoll nokqueue noevports nopoll busy-polling set-dumpable
	insecure-fork-wanted insecure-setuid-wanted nosplice nogetaddrinfo noreuseport quiet zero-warning
	tune.runqueue-depth tune.maxpollevents tune.maxaccept tune.recv_enough tune.buffers.limit
	tune.buffers.reserve tune.bufsize tune.maxrewrite tune.idletimer tune.rcvbuf.client tune.rcvbuf.server
	tune.sndbuf.client tune.sndbuf.server tune.pipesize tune.http.cookielen tune.http.logurilen
	tune.http.maxhdr tune.comp.maxlevel tune.pattern.cache-size uid gid external-check user group nbproc
	maxconn ssl-server-verify maxconnrate maxsessrate maxsslrate maxcomprate maxpipes maxzlibmem
	maxcompcpuusage ulimit-n chroot description node pidfile unix-bind log log-send-hostname
	server-state-base server-state-file log-tag spread-checks max-spread-checks cpu-map setenv presetenv
	unsetenv resetenv strict-limits localpeer numa-cpu-mapping defaults listen frontend backend peers
	resolvers cluster-secret`)

// proxySuggest: registered proxy keywords, then the hard-coded ones.
var proxySuggest = strings.Fields(`
	http-check tcp-check timeout clitimeout contimeout srvtimeout rate-limit max-keep-alive-queue declare
	retry-on clitcpka-cnt srvtcpka-cnt clitcpka-idle srvtcpka-idle clitcpka-intvl srvtcpka-intvl errorloc
	errorloc302 errorloc303 errorfile errorfiles http-error tcp-request tcp-response filter use-fcgi-app
	compression external-check

	listen frontend backend defaults server default-server server-template bind monitor-net monitor-uri
	mode id description disabled enabled bind-process acl dynamic-cookie-key cookie email-alert persist
	appsession load-server-state-from-file server-state-file-name max-session-srv-conns capture retries
	http-request http-response http-after-response http-send-name-header block redirect use_backend
	use-server force-persist ignore-persist force-persist stick-table stick stats option default_backend
	http-reuse monitor transparent maxconn backlog fullconn dispatch balance hash-type hash-balance-factor
	unique-id-format unique-id-header log-format log-format-sd log-tag log source usesrc error-log-format`)

// optionSuggest: the two option tables, then the options parsed apart.
var optionSuggest = strings.Fields(`
	abortonclose allbackups checkcache clitcpka contstats dontlognull http-buffer-request
	http-ignore-probes idle-close-on-response prefer-last-server logasap nolinger persist srvtcpka
	transparent
	splice-request splice-response splice-auto accept-invalid-http-request accept-invalid-http-response
	dontlog-normal log-separate-errors log-health-checks socket-stats tcp-smart-accept tcp-smart-connect
	independent-streams http-use-proxy-header http-pretend-keepalive http-no-delay
	h1-case-adjust-bogus-client h1-case-adjust-bogus-server disable-h2-upgrade

	httpclose http-server-close http-keep-alive redispatch httplog tcplog tcpka httpchk ssl-hello-chk
	smtpchk pgsql-check redis-check mysql-check ldap-check spop-check tcp-check external-check
	forwardfor original-to`)
