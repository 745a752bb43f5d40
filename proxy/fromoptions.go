package proxy

import (
	"maps"
	"slices"

	"fulcrum/haproxy"
)

// actedOptions are the proxy `option`s the engine acts on. Two are
// listed because the engine always behaves as they ask: splice-* (bulk
// transfers are spliced once a read fills the buffer) and http-no-delay
// (nothing is held back waiting for more data).
var actedOptions = map[string]bool{
	"accept-invalid-http-request": true, "accept-invalid-http-response": true, "allbackups": true,
	"clitcpka": true, "srvtcpka": true, "tcpka": true, "dontlog-normal": true, "dontlognull": true,
	"external-check": true, "forwardfor": true, "originalto": true, "http-pretend-keepalive": true,
	"http-ignore-probes": true, "http-buffer-request": true,
	"http-keep-alive": true, "http-server-close": true, "httpclose": true, "forceclose": true,
	"httpchk": true, "httplog": true, "httpslog": true, "tcplog": true, "ldap-check": true,
	"mysql-check": true, "pgsql-check": true, "redis-check": true, "smtpchk": true,
	"ssl-hello-chk": true, "tcp-check": true, "spop-check": true, "log-health-checks": true,
	"log-separate-errors": true, "logasap": true, "persist": true, "redispatch": true,
	"abortonclose": true, "nolinger": true, "independent-streams": true, "tcp-smart-accept": true, "tcp-smart-connect": true, "splice-auto": true, "splice-request": true, "splice-response": true, "http-no-delay": true,
	"contstats": true, "socket-stats": true,
	"checkcache": true,
}

// optionNotices warns, at the line that turns it on, about every option
// a proxy has on (from its own lines or its defaults) that the engine
// does not act on; in the order of the lines.
func (a *adapter) optionNotices(px *haproxy.Proxy) {
	last := map[string]int{} // option name -> index of the line turning it on
	lines := a.linesOf(px)
	for i := range lines {
		on, args, ok := optionLine(lines[i])
		if !ok || actedOptions[args[0]] {
			continue
		}
		if on {
			last[args[0]] = i
		} else {
			delete(last, args[0])
		}
	}
	at := slices.Sorted(maps.Values(last))
	for _, i := range at {
		a.warnOnce(lines[i].Pos, "'option %s' is not acted on yet by Fulcrum.", lines[i].Args[0])
	}
}

func init() {
	// No effect in the reference either ("has no effect, is deprecated",
	// which the model warns as it does): nothing more to say.
	actedKeywords["bind-process"] = true
}
