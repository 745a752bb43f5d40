package haproxy

import (
	"fmt"

	"fulcrum/confparse"
)

// argsRequired are the proxy keywords that need at least one argument,
// with the reference's message when there is none: %[1]s is the file,
// %[2]d the line, %[3]s the proxy's kind word, %[4]s its name. abort
// marks messages after which the reference stops reading.
var argsRequired = map[string]struct {
	msg   string
	abort bool
	// openFail: the reference's parser then fails as if the file could
	// not be read, and says so ("Could not open configuration file").
	openFail bool
}{
	"bind":                  {msg: `parsing [%[1]s:%[2]d] : 'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.`},
	"default_backend":       {msg: `parsing [%[1]s:%[2]d] : 'default_backend' expects a backend name.`},
	"use_backend":           {msg: `parsing [%[1]s:%[2]d] : 'use_backend' expects a backend name.`},
	"backlog":               {msg: `parsing [%[1]s:%[2]d] : 'backlog' expects an integer argument.`},
	"capture":               {msg: `parsing [%[1]s:%[2]d] : 'capture' expects 'cookie' or 'request header' or 'response header'.`},
	"clitcpka-cnt":          {msg: `parsing [%[1]s:%[2]d] : 'clitcpka-cnt' expects an integer value`},
	"clitcpka-idle":         {msg: `parsing [%[1]s:%[2]d] : 'clitcpka-idle' expects an integer value`},
	"clitcpka-intvl":        {msg: `parsing [%[1]s:%[2]d] : 'clitcpka-intvl' expects an integer value`},
	"compression":           {msg: `parsing [%[1]s:%[2]d] : 'compression' expects 'algo', 'type' or 'offload'`},
	"cookie":                {msg: `parsing [%[1]s:%[2]d] : 'cookie' expects <cookie_name> as argument.`},
	"declare":               {msg: `parsing [%[1]s:%[2]d] : 'declare' needs a second keyword that specify the type of declaration ('capture')`},
	"description":           {msg: `parsing [%[1]s:%[2]d]: 'description' expects a string argument.`, abort: true, openFail: true},
	"dispatch":              {msg: "parsing [%[1]s:%[2]d] : 'dispatch' : '' resolves to an empty address (environment variable missing?)\n"}, // the address parser's newline
	"dynamic-cookie-key":    {msg: `parsing [%[1]s:%[2]d] : 'dynamic-cookie-key' expects <secret_key> as argument.`},
	"email-alert":           {msg: `parsing [%[1]s:%[2]d] : missing argument after 'email-alert'.`},
	"error-log-format":      {msg: `parsing [%[1]s:%[2]d] : error-log-format expects an argument.`},
	"errorfiles":            {msg: `parsing [%[1]s:%[2]d] : errorfiles : expects <name> as argument.`},
	"errorloc":              {msg: `parsing [%[1]s:%[2]d] : errorloc : expects <status_code> and <url> as arguments.`},
	"errorloc302":           {msg: `parsing [%[1]s:%[2]d] : errorloc302 : expects <status_code> and <url> as arguments.`},
	"errorloc303":           {msg: `parsing [%[1]s:%[2]d] : errorloc303 : expects <status_code> and <url> as arguments.`},
	"external-check":        {msg: `parsing [%[1]s:%[2]d] : missing argument after 'external-check'.`},
	"filter":                {msg: `parsing [%[1]s:%[2]d] : parsing [%[1]s:%[2]d] : missing argument for 'filter' in %[3]s '%[4]s'.`},
	"force-persist":         {msg: `parsing [%[1]s:%[2]d] : 'force-persist' requires either 'if' or 'unless' followed by a condition.`},
	"fullconn":              {msg: `parsing [%[1]s:%[2]d] : 'fullconn' expects an integer argument.`},
	"hash-balance-factor":   {msg: `parsing [%[1]s:%[2]d] : 'hash-balance-factor' expects an integer argument.`},
	"hash-type":             {msg: `parsing [%[1]s:%[2]d] : 'hash-type' only supports 'consistent' and 'map-based'.`},
	"http-check":            {msg: `parsing [%[1]s:%[2]d] : 'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got ''`},
	"http-error":            {msg: "parsing [%[1]s:%[2]d] : http-error : expects at least a <status> as arguments.\n"},
	"http-send-name-header": {msg: `parsing [%[1]s:%[2]d] : 'http-send-name-header' requires a header string.`},
	"id":                    {msg: `parsing [%[1]s:%[2]d]: 'id' expects an integer argument.`},
	"ignore-persist":        {msg: `parsing [%[1]s:%[2]d] : 'ignore-persist' requires either 'if' or 'unless' followed by a condition.`},
	"log-format":            {msg: `parsing [%[1]s:%[2]d] : log-format expects an argument.`},
	"log-format-sd":         {msg: `parsing [%[1]s:%[2]d] : log-format-sd expects an argument.`},
	"log-tag":               {msg: `parsing [%[1]s:%[2]d] : 'log-tag' expects a tag for use in syslog.`},
	"max-keep-alive-queue":  {msg: `parsing [%[1]s:%[2]d] : 'max-keep-alive-queue' expects expects an integer value (or -1 to disable)`},
	"max-session-srv-conns": {msg: `parsine [%[1]s:%[2]d] : 'max-session-srv-conns' expects a number. Got no argument`},
	"monitor":               {msg: `parsing [%[1]s:%[2]d] : 'monitor' only supports 'fail'.`},
	"monitor-uri":           {msg: `parsing [%[1]s:%[2]d] : 'monitor-uri' expects an URI.`},
	"persist":               {msg: `parsing [%[1]s:%[2]d] : missing persist method.`},
	"redirect":              {msg: `parsing [%[1]s:%[2]d] : error detected in %[3]s '%[4]s' while parsing redirect rule : redirection type expected ('prefix', 'location', or 'scheme').`},
	"retries":               {msg: `parsing [%[1]s:%[2]d] : 'retries' expects an integer argument (dispatch counts for one).`},
	"retry-on":              {msg: `parsing [%[1]s:%[2]d] : 'retry-on' needs at least one keyword to specify when to retry`},
	"source":                {msg: `parsing [%[1]s:%[2]d] : 'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.`},
	"srvtcpka-cnt":          {msg: `parsing [%[1]s:%[2]d] : 'srvtcpka-cnt' expects an integer value`},
	"srvtcpka-idle":         {msg: `parsing [%[1]s:%[2]d] : 'srvtcpka-idle' expects an integer value`},
	"srvtcpka-intvl":        {msg: `parsing [%[1]s:%[2]d] : 'srvtcpka-intvl' expects an integer value`},
	"stick":                 {msg: `parsing [%[1]s:%[2]d] : 'stick' expects 'on', 'match', or 'store'.`},
	"stick-table":           {msg: `parsing [%[1]s:%[2]d] : stick-table: missing size.`},
	"tcp-check":             {msg: `parsing [%[1]s:%[2]d] : 'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got ''`},
	"unique-id-format":      {msg: `parsing [%[1]s:%[2]d] : unique-id-format expects an argument.`},
	"unique-id-header":      {msg: `parsing [%[1]s:%[2]d] : unique-id-header expects an argument.`},
	"use-fcgi-app":          {msg: `parsing [%[1]s:%[2]d] : 'use-fcgi-app' expects <name> as argument`},
	"use-server":            {msg: `parsing [%[1]s:%[2]d] : 'use-server' expects a server name.`},
}

// missingArgs reports a keyword used without its arguments.
// refusedInDefaults are the keywords a defaults section refuses, whatever
// their arguments (see proxyKeyword and proxyContext).
var refusedInDefaults = setOf("id", "description", "ignore-persist", "force-persist", "use-server", "declare",
	"filter", "bind", "dispatch", "redirect", "stick", "use_backend", "monitor", "server", "server-template", "stick-table")

func (l *loader) missingArgs(px *Proxy, d line) bool {
	req, ok := argsRequired[d.kw]
	if !ok || len(d.args) > 0 {
		return false
	}
	if px.Kind == "defaults" && refusedInDefaults[d.kw] || px.Kind == "backend" && d.kw == "declare" {
		return false // the reference refuses the keyword there first
	}
	noBE := !px.hasBE() && px.Kind != "defaults"
	if d.kw == "stick" && noBE {
		return false // the reference reports the capability first
	}
	// The reference warns of a missing capability, then still finds the
	// value missing.
	switch r := proxyRules[d.kw]; {
	case r != nil && r.cap == capNeedBE && noBE:
		l.warnNoBackendCap(px, d)
	case r != nil && r.cap == capNeedFE && !px.hasFE() && px.Kind != "defaults":
		l.warnNoFrontendCap(px, d)
	}
	l.emit(confparse.Alert, d.pos, fmt.Sprintf(req.msg, d.pos.File, d.pos.Line, proxyWord(px), px.Name))
	l.fileFatal = true
	l.fatals++
	l.abort = l.abort || req.abort
	l.openFail = l.openFail || req.openFail
	return true
}

// globalArgsRequired is the reference's message for a global keyword
// given without arguments (%[1]s file, %[2]d line).
var globalArgsRequired = map[string]string{
	"ca-base":                          `parsing [%[1]s:%[2]d] : global statement 'ca-base' expects a directory path as an argument.`,
	"chroot":                           `parsing [%[1]s:%[2]d] : 'chroot' expects a directory as an argument.`,
	"close-spread-time":                `parsing [%[1]s:%[2]d] : 'close-spread-time' expects <time> as argument.`,
	"cluster-secret":                   `parsing [%[1]s:%[2]d] : expects an ASCII string argument.`,
	"cpu-map":                          `parsing [%[1]s:%[2]d] : cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 or a range),  followed by a list of CPU ranges with numbers from 0 to 63.`,
	"crt-base":                         `parsing [%[1]s:%[2]d] : global statement 'crt-base' expects a directory path as an argument.`,
	"default-path":                     `parsing [%[1]s:%[2]d] : missing default-path mode '' for 'default-path', supported modes include 'current', 'config', 'parent', and 'origin'.`,
	"description":                      `parsing [%[1]s:%[2]d]: 'description' expects a string argument.`,
	"fd-hard-limit":                    `parsing [%[1]s:%[2]d] : 'fd-hard-limit' expects an integer argument.`,
	"gid":                              `parsing [%[1]s:%[2]d] : 'gid' expects an integer argument.`,
	"grace":                            `parsing [%[1]s:%[2]d] : 'grace' expects <time> as argument.`,
	"group":                            `parsing [%[1]s:%[2]d] : cannot find group id for '' (0:Success)`,
	"h1-case-adjust":                   `parsing [%[1]s:%[2]d] : 'h1-case-adjust' expects <from> and <to> as argument.`,
	"h1-case-adjust-file":              `parsing [%[1]s:%[2]d] : 'h1-case-adjust-file' expects <file> as argument.`,
	"hard-stop-after":                  `parsing [%[1]s:%[2]d] : 'hard-stop-after' expects <time> as argument.`,
	"httpclient.resolvers.prefer":      `parsing [%[1]s:%[2]d] : 'httpclient.resolvers.prefer' expects 'ipv4' or 'ipv6' as argument.`,
	"httpclient.ssl.verify":            `parsing [%[1]s:%[2]d] : 'httpclient.ssl.verify' expects 'none' or 'required' as argument.`,
	"issuers-chain-path":               `parsing [%[1]s:%[2]d] : global statement 'issuers-chain-path' expects a directory path as an argument.`,
	"localpeer":                        `parsing [%[1]s:%[2]d] : 'localpeer' expects a name as an argument.`,
	"log":                              `parsing [%[1]s:%[2]d] : log : expects <address> and <facility>  as arguments`,
	"log-tag":                          `parsing [%[1]s:%[2]d] : 'log-tag' expects a tag for use in syslog.`,
	"lua-load":                         `parsing [%[1]s:%[2]d] : 'lua-load' expects a file name as parameter.`,
	"lua-load-per-thread":              `parsing [%[1]s:%[2]d] : 'lua-load-per-thread' expects a file as parameter.`,
	"lua-prepend-path":                 `parsing [%[1]s:%[2]d] : 'lua-prepend-path' expects to receive a <path> as argument`,
	"max-spread-checks":                `parsing [%[1]s:%[2]d]: 'max-spread-checks' expects an integer argument (0..50).`,
	"maxcompcpuusage":                  `parsing [%[1]s:%[2]d] : 'maxcompcpuusage' expects an integer argument between 0 and 100.`,
	"maxcomprate":                      `parsing [%[1]s:%[2]d] : 'maxcomprate' expects an integer argument in kb/s.`,
	"maxconn":                          `parsing [%[1]s:%[2]d] : 'maxconn' expects an integer argument.`,
	"maxconnrate":                      `parsing [%[1]s:%[2]d] : 'maxconnrate' expects an integer argument.`,
	"maxpipes":                         `parsing [%[1]s:%[2]d] : 'maxpipes' expects an integer argument.`,
	"maxsessrate":                      `parsing [%[1]s:%[2]d] : 'maxsessrate' expects an integer argument.`,
	"maxsslconn":                       `parsing [%[1]s:%[2]d] : 'maxsslconn' expects an integer argument.`,
	"maxsslrate":                       `parsing [%[1]s:%[2]d] : 'maxsslrate' expects an integer argument.`,
	"maxzlibmem":                       `parsing [%[1]s:%[2]d] : 'maxzlibmem' expects an integer argument.`,
	"nbproc":                           `parsing [%[1]s:%[2]d] : nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.`,
	"nbthread":                         `parsing [%[1]s:%[2]d] : 'nbthread' passed a missing or unparsable integer value in ''`,
	"node":                             `parsing [%[1]s:%[2]d]: 'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).`,
	"pidfile":                          `parsing [%[1]s:%[2]d] : 'pidfile' expects a file name as an argument.`,
	"presetenv":                        `parsing [%[1]s:%[2]d]: 'presetenv' expects a name and a value.`,
	"profiling.tasks":                  `parsing [%[1]s:%[2]d] : 'profiling.tasks' expects either 'on', 'auto', or 'off' but got ''.`,
	"server-state-base":                `parsing [%[1]s:%[2]d] : 'server-state-base' expects one argument: a directory path.`,
	"server-state-file":                `parsing [%[1]s:%[2]d] : 'server-state-file' expect one argument: a file path.`,
	"set-var":                          `parsing [%[1]s:%[2]d] : 'set-var' requires a process-wide variable name ('proc.<name>') and a sample expression.`,
	"set-var-fmt":                      `parsing [%[1]s:%[2]d] : 'set-var-fmt' requires a process-wide variable name ('proc.<name>') and a format string.`,
	"setenv":                           `parsing [%[1]s:%[2]d]: 'setenv' expects a name and a value.`,
	"spread-checks":                    `parsing [%[1]s:%[2]d]: 'spread-checks' expects an integer argument (0..50).`,
	"ssl-default-bind-ciphers":         `parsing [%[1]s:%[2]d] : global statement 'ssl-default-bind-ciphers' expects a cipher suite as an argument.`,
	"ssl-default-bind-ciphersuites":    `parsing [%[1]s:%[2]d] : global statement 'ssl-default-bind-ciphersuites' expects a cipher suite as an argument.`,
	"ssl-default-bind-curves":          `parsing [%[1]s:%[2]d] : global statement 'ssl-default-bind-curves' expects a curves suite as an arguments.`,
	"ssl-default-bind-options":         `parsing [%[1]s:%[2]d] : global statement 'ssl-default-bind-options' expects an option as an argument.`,
	"ssl-default-server-ciphers":       `parsing [%[1]s:%[2]d] : global statement 'ssl-default-server-ciphers' expects a cipher suite as an argument.`,
	"ssl-default-server-ciphersuites":  `parsing [%[1]s:%[2]d] : global statement 'ssl-default-server-ciphersuites' expects a cipher suite as an argument.`,
	"ssl-default-server-options":       `parsing [%[1]s:%[2]d] : global statement 'ssl-default-server-options' expects an option as an argument.`,
	"ssl-dh-param-file":                `parsing [%[1]s:%[2]d] : 'ssl-dh-param-file' expects a file path as an argument.`,
	"ssl-load-extra-files":             `parsing [%[1]s:%[2]d] : 'ssl-load-extra-files' expects one or multiple arguments (none, all, bundle, sctl, ocsp, issuer).`,
	"ssl-propquery":                    `parsing [%[1]s:%[2]d] : global statement 'ssl-propquery' expects a property string as an argument.`,
	"ssl-provider":                     `parsing [%[1]s:%[2]d] : global statement 'ssl-provider' expects a valid engine provider name as an argument.`,
	"ssl-provider-path":                `parsing [%[1]s:%[2]d] : global statement 'ssl-provider-path' expects a directory path as an argument.`,
	"ssl-server-verify":                `parsing [%[1]s:%[2]d] : 'ssl-server-verify' expects an integer argument.`,
	"stats":                            `parsing [%[1]s:%[2]d] : 'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '')`,
	"thread-group":                     `parsing [%[1]s:%[2]d] : 'thread-group' passed a missing or unparsable integer value in ''`,
	"thread-groups":                    `parsing [%[1]s:%[2]d] : 'thread-groups' passed a missing or unparsable integer value in ''`,
	"tune.buffers.limit":               `parsing [%[1]s:%[2]d] : 'tune.buffers.limit' expects an integer argument.`,
	"tune.buffers.reserve":             `parsing [%[1]s:%[2]d] : 'tune.buffers.reserve' expects an integer argument.`,
	"tune.bufsize":                     `parsing [%[1]s:%[2]d] : 'tune.bufsize' expects an integer argument.`,
	"tune.comp.maxlevel":               `parsing [%[1]s:%[2]d] : 'tune.comp.maxlevel' expects a numeric value between 1 and 9`,
	"tune.fd.edge-triggered":           `parsing [%[1]s:%[2]d] : 'tune.fd.edge-triggered' directive is experimental, must be allowed via a global 'expose-experimental-directives'`,
	"tune.h2.header-table-size":        `parsing [%[1]s:%[2]d] : 'tune.h2.header-table-size' expects a numeric value between 4096 and 65536.`,
	"tune.h2.max-frame-size":           `parsing [%[1]s:%[2]d] : 'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215.`,
	"tune.http.cookielen":              `parsing [%[1]s:%[2]d] : 'tune.http.cookielen' expects an integer argument.`,
	"tune.http.logurilen":              `parsing [%[1]s:%[2]d] : 'tune.http.logurilen' expects an integer argument.`,
	"tune.http.maxhdr":                 `parsing [%[1]s:%[2]d] : 'tune.http.maxhdr' expects an integer argument.`,
	"tune.idle-pool.shared":            `parsing [%[1]s:%[2]d] : 'tune.idle-pool.shared' expects either 'on' or 'off' but got ''.`,
	"tune.idletimer":                   `parsing [%[1]s:%[2]d] : 'tune.idletimer' expects a timer value between 0 and 65535 ms.`,
	"tune.listener.multi-queue":        `parsing [%[1]s:%[2]d] : 'tune.listener.multi-queue' expects either 'on' or 'off' but got ''.`,
	"tune.lua.maxmem":                  `parsing [%[1]s:%[2]d] : 'tune.lua.maxmem' expects an integer argument (Lua memory size in MB).`,
	"tune.lua.service-timeout":         `parsing [%[1]s:%[2]d] : tune.lua.service-timeout: invalid timeout`,
	"tune.lua.session-timeout":         `parsing [%[1]s:%[2]d] : tune.lua.session-timeout: invalid timeout`,
	"tune.lua.task-timeout":            `parsing [%[1]s:%[2]d] : tune.lua.task-timeout: invalid timeout`,
	"tune.maxaccept":                   `parsing [%[1]s:%[2]d] : 'tune.maxaccept' expects an integer argument.`,
	"tune.maxpollevents":               `parsing [%[1]s:%[2]d] : 'tune.maxpollevents' expects an integer argument.`,
	"tune.maxrewrite":                  `parsing [%[1]s:%[2]d] : 'tune.maxrewrite' expects an integer argument.`,
	"tune.pattern.cache-size":          `parsing [%[1]s:%[2]d] : 'tune.pattern.cache-size' expects a positive numeric value`,
	"tune.peers.max-updates-at-once":   `parsing [%[1]s:%[2]d] : 'tune.peers.max-updates-at-once' expects an integer argument greater than 0.`,
	"tune.pipesize":                    `parsing [%[1]s:%[2]d] : 'tune.pipesize' expects an integer argument.`,
	"tune.pool-high-fd-ratio":          `parsing [%[1]s:%[2]d] : 'tune.pool-high-fd-ratio' expects an integer argument between 0 and 100.`,
	"tune.pool-low-fd-ratio":           `parsing [%[1]s:%[2]d] : 'tune.pool-low-fd-ratio' expects an integer argument between 0 and 100.`,
	"tune.rcvbuf.client":               `parsing [%[1]s:%[2]d] : 'tune.rcvbuf.client' expects an integer argument.`,
	"tune.rcvbuf.server":               `parsing [%[1]s:%[2]d] : 'tune.rcvbuf.server' expects an integer argument.`,
	"tune.recv_enough":                 `parsing [%[1]s:%[2]d] : 'tune.recv_enough' expects an integer argument.`,
	"tune.runqueue-depth":              `parsing [%[1]s:%[2]d] : 'tune.runqueue-depth' expects an integer argument.`,
	"tune.sched.low-latency":           `parsing [%[1]s:%[2]d] : 'tune.sched.low-latency' expects either 'on' or 'off' but got ''.`,
	"tune.sndbuf.client":               `parsing [%[1]s:%[2]d] : 'tune.sndbuf.client' expects an integer argument.`,
	"tune.sndbuf.server":               `parsing [%[1]s:%[2]d] : 'tune.sndbuf.server' expects an integer argument.`,
	"tune.ssl.cachesize":               `parsing [%[1]s:%[2]d] : 'tune.ssl.cachesize' expects an integer argument.`,
	"tune.ssl.capture-buffer-size":     `parsing [%[1]s:%[2]d] : 'tune.ssl.capture-buffer-size' expects an integer argument.`,
	"tune.ssl.capture-cipherlist-size": `parsing [%[1]s:%[2]d] : 'tune.ssl.capture-cipherlist-size' expects an integer argument.`,
	"tune.ssl.default-dh-param":        `parsing [%[1]s:%[2]d] : 'tune.ssl.default-dh-param' expects an integer argument.`,
	"tune.ssl.hard-maxrecord":          `parsing [%[1]s:%[2]d] : 'tune.ssl.hard-maxrecord' expects an integer argument.`,
	"tune.ssl.keylog":                  `parsing [%[1]s:%[2]d] : 'tune.ssl.keylog' expects either 'on' or 'off' but got ''.`,
	"tune.ssl.lifetime":                `parsing [%[1]s:%[2]d] : 'tune.ssl.lifetime' expects ssl sessions <lifetime> in seconds as argument.`,
	"tune.ssl.maxrecord":               `parsing [%[1]s:%[2]d] : 'tune.ssl.maxrecord' expects an integer argument.`,
	"tune.ssl.ssl-ctx-cache-size":      `parsing [%[1]s:%[2]d] : 'tune.ssl.ssl-ctx-cache-size' expects an integer argument.`,
	"uid":                              `parsing [%[1]s:%[2]d] : 'uid' expects an integer argument.`,
	"ulimit-n":                         `parsing [%[1]s:%[2]d] : 'ulimit-n' expects an integer argument.`,
	"unsetenv":                         `parsing [%[1]s:%[2]d]: 'unsetenv' expects at least one variable name.`,
	"user":                             `parsing [%[1]s:%[2]d] : cannot find user id for '' (0:Success)`,
}
