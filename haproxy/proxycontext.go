package haproxy

import (
	"fmt"

	"fulcrum/confparse"
)

// proxyContext reports, with the reference's wording, a keyword used in a
// kind of proxy section that cannot take it; true when the line goes no
// further. (The plain "has no frontend/backend capability" warnings are
// the rules' cap field.)
func (l *loader) proxyContext(px *Proxy, d line) bool {
	if px.Kind == "defaults" {
		switch d.kw {
		case "id", "description":
			l.alertTight(d.pos, fmt.Sprintf("'%s' not allowed in 'defaults' section.", d.kw))
			return true
		case "capture":
			l.alert(d.pos, fmt.Sprintf("'capture %s' not allowed in 'defaults' section.", d.arg(0)))
			return true
		case "ignore-persist", "force-persist", "use-server":
			l.alert(d.pos, fmt.Sprintf("'%s' not allowed in 'defaults' section.", d.kw))
			return true
		case "stats":
			switch d.arg(0) {
			case "admin":
				l.alertTight(d.pos, "'stats admin' not allowed in 'defaults' section.")
				return true
			case "http-request":
				l.alertTight(d.pos, "'stats' not allowed in 'defaults' section.")
				return true
			}
		case "declare":
			l.alert(d.pos, "'declare' not available in default section")
			return true
		case "filter":
			l.alert(d.pos, fmt.Sprintf("parsing [%s:%d] : filter is not allowed in a 'default' section.", d.pos.File, d.pos.Line))
			return true
		}
		return false
	}
	switch {
	case !px.hasBE() && (d.kw == "tcp-check" || d.kw == "http-check" && (d.arg(0) == "disable-on-404" || d.arg(0) == "send-state")):
		// sic: the reference follows its warning with an empty one
		l.warn(d.pos, fmt.Sprintf("'%s' ignored because %s '%s' has no backend capability.", d.kw, px.Kind, px.Name))
		if checkRuleArgs(l, d) { // a refused rule is reported instead
			l.warn(d.pos, "(null)")
		}
		return true
	case d.kw == "tcp-response" && !px.hasBE() && (d.arg(0) == "inspect-delay" || d.arg(0) == "content"):
		l.alert(d.pos, fmt.Sprintf("tcp-response %s is only allowed in 'backend' sections or 'defaults' section with a name", d.arg(0)))
		return true
	case d.kw == "declare" && !px.hasFE():
		l.alert(d.pos, "'declare' only available in frontend or listen section")
		return true
	case d.kw == "retry-on" && !px.hasBE():
		l.alert(d.pos, "'retry-on' only available in backend or listen section")
		return true
	case d.kw == "max-keep-alive-queue" && !px.hasBE():
		l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d] : max-keep-alive-queue will be ignored because %s '%s' has no backend capability", d.pos.File, d.pos.Line, proxyWord(px), px.Name))
		return true
	case d.kw == "rate-limit" && !px.hasFE():
		l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d] : rate-limit sessions will be ignored because %s '%s' has no frontend capability", d.pos.File, d.pos.Line, proxyWord(px), px.Name))
		return true
	}
	return false
}
