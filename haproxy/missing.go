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
}{
	"bind":                  {`parsing [%[1]s:%[2]d] : 'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.`, false},
	"default_backend":       {`parsing [%[1]s:%[2]d] : 'default_backend' expects a backend name.`, false},
	"use_backend":           {`parsing [%[1]s:%[2]d] : 'use_backend' expects a backend name.`, false},
	"backlog":               {`parsing [%[1]s:%[2]d] : 'backlog' expects an integer argument.`, false},
	"capture":               {`parsing [%[1]s:%[2]d] : 'capture' expects 'cookie' or 'request header' or 'response header'.`, false},
	"clitcpka-cnt":          {`parsing [%[1]s:%[2]d] : 'clitcpka-cnt' expects an integer value`, false},
	"clitcpka-idle":         {`parsing [%[1]s:%[2]d] : 'clitcpka-idle' expects an integer value`, false},
	"clitcpka-intvl":        {`parsing [%[1]s:%[2]d] : 'clitcpka-intvl' expects an integer value`, false},
	"compression":           {`parsing [%[1]s:%[2]d] : 'compression' expects 'algo', 'type' or 'offload'`, false},
	"cookie":                {`parsing [%[1]s:%[2]d] : 'cookie' expects <cookie_name> as argument.`, false},
	"declare":               {`parsing [%[1]s:%[2]d] : 'declare' needs a second keyword that specify the type of declaration ('capture')`, false},
	"description":           {`parsing [%[1]s:%[2]d]: 'description' expects a string argument.`, true},
	"dispatch":              {`parsing [%[1]s:%[2]d] : 'dispatch' : '' resolves to an empty address (environment variable missing?)`, false},
	"dynamic-cookie-key":    {`parsing [%[1]s:%[2]d] : 'dynamic-cookie-key' expects <secret_key> as argument.`, false},
	"email-alert":           {`parsing [%[1]s:%[2]d] : missing argument after 'email-alert'.`, false},
	"error-log-format":      {`parsing [%[1]s:%[2]d] : error-log-format expects an argument.`, false},
	"errorfiles":            {`parsing [%[1]s:%[2]d] : errorfiles : expects <name> as argument.`, false},
	"errorloc":              {`parsing [%[1]s:%[2]d] : errorloc : expects <status_code> and <url> as arguments.`, false},
	"errorloc302":           {`parsing [%[1]s:%[2]d] : errorloc302 : expects <status_code> and <url> as arguments.`, false},
	"errorloc303":           {`parsing [%[1]s:%[2]d] : errorloc303 : expects <status_code> and <url> as arguments.`, false},
	"external-check":        {`parsing [%[1]s:%[2]d] : missing argument after 'external-check'.`, false},
	"filter":                {`parsing [%[1]s:%[2]d] : parsing [%[1]s:%[2]d] : missing argument for 'filter' in %[3]s '%[4]s'.`, false},
	"force-persist":         {`parsing [%[1]s:%[2]d] : 'force-persist' requires either 'if' or 'unless' followed by a condition.`, false},
	"fullconn":              {`parsing [%[1]s:%[2]d] : 'fullconn' expects an integer argument.`, false},
	"hash-balance-factor":   {`parsing [%[1]s:%[2]d] : 'hash-balance-factor' expects an integer argument.`, false},
	"hash-type":             {`parsing [%[1]s:%[2]d] : 'hash-type' only supports 'consistent' and 'map-based'.`, false},
	"http-check":            {`parsing [%[1]s:%[2]d] : 'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got ''`, false},
	"http-error":            {`parsing [%[1]s:%[2]d] : http-error : expects at least a <status> as arguments.`, false},
	"http-send-name-header": {`parsing [%[1]s:%[2]d] : 'http-send-name-header' requires a header string.`, false},
	"id":                    {`parsing [%[1]s:%[2]d]: 'id' expects an integer argument.`, false},
	"ignore-persist":        {`parsing [%[1]s:%[2]d] : 'ignore-persist' requires either 'if' or 'unless' followed by a condition.`, false},
	"log-format":            {`parsing [%[1]s:%[2]d] : log-format expects an argument.`, false},
	"log-format-sd":         {`parsing [%[1]s:%[2]d] : log-format-sd expects an argument.`, false},
	"log-tag":               {`parsing [%[1]s:%[2]d] : 'log-tag' expects a tag for use in syslog.`, false},
	"max-keep-alive-queue":  {`parsing [%[1]s:%[2]d] : 'max-keep-alive-queue' expects expects an integer value (or -1 to disable)`, false},
	"max-session-srv-conns": {`parsine [%[1]s:%[2]d] : 'max-session-srv-conns' expects a number. Got no argument`, false},
	"monitor":               {`parsing [%[1]s:%[2]d] : 'monitor' only supports 'fail'.`, false},
	"monitor-uri":           {`parsing [%[1]s:%[2]d] : 'monitor-uri' expects an URI.`, false},
	"persist":               {`parsing [%[1]s:%[2]d] : missing persist method.`, false},
	"redirect":              {`parsing [%[1]s:%[2]d] : error detected in %[3]s '%[4]s' while parsing redirect rule : redirection type expected ('prefix', 'location', or 'scheme').`, false},
	"retries":               {`parsing [%[1]s:%[2]d] : 'retries' expects an integer argument (dispatch counts for one).`, false},
	"retry-on":              {`parsing [%[1]s:%[2]d] : 'retry-on' needs at least one keyword to specify when to retry`, false},
	"source":                {`parsing [%[1]s:%[2]d] : 'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.`, false},
	"srvtcpka-cnt":          {`parsing [%[1]s:%[2]d] : 'srvtcpka-cnt' expects an integer value`, false},
	"srvtcpka-idle":         {`parsing [%[1]s:%[2]d] : 'srvtcpka-idle' expects an integer value`, false},
	"srvtcpka-intvl":        {`parsing [%[1]s:%[2]d] : 'srvtcpka-intvl' expects an integer value`, false},
	"stick":                 {`parsing [%[1]s:%[2]d] : 'stick' expects 'on', 'match', or 'store'.`, false},
	"stick-table":           {`parsing [%[1]s:%[2]d] : stick-table: missing size.`, false},
	"tcp-check":             {`parsing [%[1]s:%[2]d] : 'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got ''`, false},
	"unique-id-format":      {`parsing [%[1]s:%[2]d] : unique-id-format expects an argument.`, false},
	"unique-id-header":      {`parsing [%[1]s:%[2]d] : unique-id-header expects an argument.`, false},
	"use-fcgi-app":          {`parsing [%[1]s:%[2]d] : 'use-fcgi-app' expects <name> as argument`, false},
	"use-server":            {`parsing [%[1]s:%[2]d] : 'use-server' expects a server name.`, false},
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
	return true
}
