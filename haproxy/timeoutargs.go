package haproxy

import "fmt"

// timeoutNeedsFE and timeoutNeedsBE are the timeouts that only apply to
// one side of a proxy.
var (
	timeoutNeedsFE = setOf("client", "client-fin")
	timeoutNeedsBE = setOf("server", "server-fin", "connect", "check", "queue", "tunnel")
)

// timeoutValue finishes a "timeout KIND VALUE" line as the reference
// does: a warning when the proxy lacks the side the timeout applies to, or
// when the value was already set in this section; an error (instead of
// either warning) for a word after the value. The value is kept anyway.
func (l *loader) timeoutValue(px *Proxy, d line, kind string, ms int64) {
	warning := ""
	switch {
	case timeoutNeedsFE[kind] && !px.hasFE() && px.Kind != "defaults":
		warning = fmt.Sprintf("'timeout %s' will be ignored because %s '%s' has no frontend capability", kind, proxyWord(px), px.Name)
	case timeoutNeedsBE[kind] && !px.hasBE() && px.Kind != "defaults":
		warning = fmt.Sprintf("'timeout %s' will be ignored because %s '%s' has no backend capability", kind, proxyWord(px), px.Name)
	case px.Kind != "defaults" && px.Timeouts[kind] != px.baseTimeouts[kind]:
		warning = fmt.Sprintf("overwriting 'timeout %s' which was already specified", kind)
	}
	if len(d.args) > 2 {
		l.alert(d.pos, fmt.Sprintf("'timeout %s' : unexpected extra argument '%s' after value '%s'.", kind, d.args[2], d.args[1]))
	} else if warning != "" {
		l.warn(d.pos, warning)
	}
	px.Timeouts[kind] = ms
}
