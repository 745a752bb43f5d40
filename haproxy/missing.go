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
	"dispatch":              {msg: `parsing [%[1]s:%[2]d] : 'dispatch' : '' resolves to an empty address (environment variable missing?)`},
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
	"http-error":            {msg: `parsing [%[1]s:%[2]d] : http-error : expects at least a <status> as arguments.`},
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
func (l *loader) missingArgs(px *Proxy, d line) bool {
	req, ok := argsRequired[d.kw]
	if !ok || len(d.args) > 0 {
		return false
	}
	if d.kw == "stick" && !px.hasBE() && px.Kind != "defaults" {
		return false // the reference reports the capability first
	}
	l.emit(confparse.Alert, d.pos, fmt.Sprintf(req.msg, d.pos.File, d.pos.Line, proxyWord(px), px.Name))
	l.fileFatal = true
	l.fatals++
	l.abort = l.abort || req.abort
	l.openFail = l.openFail || req.openFail
	return true
}
