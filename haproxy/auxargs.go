package haproxy

import (
	"fmt"
	"strings"

	"fulcrum/confparse"
)

// auxMaxArgs are the single-valued keywords of the auxiliary sections.
var auxMaxArgs = map[string]map[string]int{
	"cache":       {"total-max-size": 1, "max-object-size": 1, "max-age": 1, "process-vary": 1, "max-secondary-entries": 1},
	"log-forward": {"maxconn": 1, "backlog": 1},
}

// resolverHoldEvents are the events "hold" accepts in a resolvers section.
var resolverHoldEvents = setOf("nx", "timeout", "valid", "obsolete", "other", "refused")

// auxArgs checks the values of auxiliary-section keywords as the
// reference does; false when the line is refused.
func (l *loader) auxArgs(d line) bool {
	if l.tooManyArgs(auxMaxArgs[l.kind], d) {
		l.abort = l.abort || l.kind == "cache" // the reference stops reading there
		return false
	}
	switch {
	case l.kind == "fcgi-app" && (d.kw == "docroot" || d.kw == "index" || d.kw == "path-info") && len(d.args) > 1:
		l.alert(d.pos, fmt.Sprintf("'%s %s' cannot handle unexpected argument '%s'.", d.kw, d.args[0], d.args[1]))
		return false
	case l.kind == "log-forward" && (d.kw == "bind" || d.kw == "dgram-bind") && !l.logForwardBindArgs(d):
		return false
	case l.kind == "peers" && d.kw == "bind" && !l.peerOrBind(d):
		return false
	case l.kind == "peers" && d.kw == "peer" && (!l.peerOrBind(d) || !l.peerArgs(d)):
		return false
	case l.kind == "peers" && d.kw == "server" && !l.peerArgs(d):
		return false
	case l.kind == "peers" && d.kw == "table" && len(d.args) > 0 && !l.tableArgs(line{pos: d.pos, kw: d.kw, args: d.args[1:]}, "table", false):
		return false
	case l.kind == "userlist" && !l.userlistArgs(d):
		return false
	case l.kind == "cache" && len(d.args) > 0 && !l.cacheValue(d):
		return false
	case (l.kind == "mailers" && d.kw == "mailer" || l.kind == "resolvers" && d.kw == "nameserver") && !l.serverLikeArgs(d):
		return false
	}
	badTime := func(what, v string) bool {
		if _, msg := parseTime(v); msg != "" {
			l.alertTight(d.pos, fmt.Sprintf("unexpected character '%c' in argument to <%s>.", badTimeChar(v), what))
			return true
		}
		return false
	}
	switch {
	case d.kw == "timeout" && (l.kind == "resolvers" || l.kind == "mailers"):
		kinds, expect := setOf("retry", "resolve"), "'retry' or 'resolve'"
		if l.kind == "mailers" {
			kinds, expect = setOf("mail"), "'mail'"
		}
		kind := d.arg(0)
		switch {
		case !kinds[kind]:
			l.alert(d.pos, fmt.Sprintf("'timeout' expects %s and <time> as arguments got '%s'.", expect, kind))
			return false
		case len(d.args) < 2:
			l.alert(d.pos, fmt.Sprintf("'timeout %s' expects <time> as argument.", kind))
			return false
		case badTime("timeout "+kind, d.args[1]):
			return false
		}
	case l.kind == "resolvers" && d.kw == "hold":
		if !resolverHoldEvents[d.arg(0)] {
			l.alert(d.pos, fmt.Sprintf("'hold' unknown <event>: '%s', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.", d.arg(0)))
			return false
		}
		if badTime("hold", d.arg(1)) {
			return false
		}
	case l.kind == "resolvers" && d.kw == "accepted_payload_size":
		if n := atoi(d.arg(0)); n < 12 || n > 65535 {
			l.alert(d.pos, fmt.Sprintf("'accepted_payload_size' must be between 12 and 65535 inclusive (was %s).", d.arg(0)))
			return false
		}
	case l.kind == "ring" && d.kw == "format" && !logFormats[d.arg(0)]:
		l.alert(d.pos, fmt.Sprintf("unknown format '%s'.", d.arg(0)))
		return false
	case l.kind == "ring" && (d.kw == "size" || d.kw == "maxlen"):
		if atoi(d.arg(0)) <= 0 {
			l.alert(d.pos, fmt.Sprintf("invalid size '%s' for new sink buffer.", d.arg(0)))
			return false
		}
	}
	return true
}

// logFormats are the formats of a "log" line.
var logFormats = setOf("local", "rfc3164", "rfc5424", "short", "raw", "timed", "iso", "priority")

// userlistArgs checks the options of "user" and "group" in a userlist.
func (l *loader) userlistArgs(d line) bool {
	for i := 1; i < len(d.args); i += 2 {
		a := d.args[i]
		switch {
		case d.kw == "user" && (a == "password" || a == "insecure-password" || a == "groups"):
		case d.kw == "group" && a == "users":
		case d.kw == "user":
			l.alertTight(d.pos, "'user' only supports 'password', 'insecure-password' and 'groups' options.")
			return false
		default:
			l.alertTight(d.pos, "'group' only supports 'users' option.")
			return false
		}
	}
	return true
}

// serverLikeArgs checks "mailer NAME ADDR:PORT" and "nameserver NAME
// ADDR[:PORT]".
func (l *loader) serverLikeArgs(d line) bool {
	if len(d.args) < 2 {
		l.alert(d.pos, fmt.Sprintf("'%s' expects <name> and <addr>[:<port>] as arguments.", d.kw))
		return false
	}
	msg := ""
	if _, port, ok := strings.Cut(d.args[1], ":"); ok && strings.Contains(port, "-") && !strings.Contains(port, ":") {
		msg = fmt.Sprintf("port range not permitted here in '%s'", d.args[1])
	} else {
		_, msg = l.parseAddr(d.args[1], addrBind) // a port is required
	}
	if msg != "" {
		l.alert(d.pos, fmt.Sprintf("'%s %s' : %s", d.kw, d.args[0], msg))
		return false
	}
	return true
}

// logFormatOverride gives the reference's warning when a log format
// replaces another one set earlier in the same defaults section.
func (l *loader) logFormatOverride(px *Proxy, d line, what string) {
	if px.Kind != "defaults" {
		return
	}
	lines := px.Section.Lines
	for i := len(lines) - 2; i >= 0; i-- {
		prev := lines[i]
		name := ""
		switch {
		case prev.Keyword == "log-format":
			name = "log-format"
		case prev.Keyword == "option" && len(prev.Args) > 0 && (prev.Args[0] == "httplog" || prev.Args[0] == "tcplog" || prev.Args[0] == "httpslog"):
			name = "option " + prev.Args[0]
		}
		if name != "" {
			l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d]: '%s' overrides previous '%s' in 'defaults' section.", d.pos.File, d.pos.Line, what, name))
			return
		}
	}
}

// logForwardBindArgs checks the address and options of a log-forward
// bind or dgram-bind line.
func (l *loader) logForwardBindArgs(d line) bool {
	if len(d.args) == 0 {
		return true // the reference says nothing of a bare bind there
	}
	if _, msg := l.parseAddr(d.arg(0), addrBind); msg != "" {
		l.alert(d.pos, fmt.Sprintf("'%s %s' : %s", d.kw, d.arg(0), msg))
		return false
	}
	if d.kw != "bind" {
		return true
	}
	for i := 1; i < len(d.args); i++ {
		n, ok := bindOptions[d.args[i]]
		if !ok {
			l.alert(d.pos, fmt.Sprintf("'bind %s' in section 'log-forward': unknown keyword '%s'.", d.arg(0), d.args[i]))
			return false
		}
		i += n
	}
	return true
}

// peerArgs checks the address and options of a peers section's "peer"
// or "server" line (a server line may have no address). The local peer's
// line names the section's proxy, which the reference's later messages
// use.
func (l *loader) peerArgs(d line) bool {
	form := l.peersFormOf(l.sec)
	if len(d.args) > 0 && d.args[0] == l.localPeerName() {
		form.local = d.args[0]
	}
	if len(d.args) < 2 {
		return true
	}
	px := "(null)"
	if form.local != "" {
		px = form.local
	}
	who := fmt.Sprintf("'server %s/%s'", px, d.args[0])
	if d.kw == "peer" {
		if !l.peerAddr(d, who) {
			return false
		}
	} else if _, msg := l.parseAddr(d.args[1], addrServer); msg != "" {
		l.alertBare(d.pos, fmt.Sprintf("%s : %s", who, msg))
		return false
	}
	for i := 2; i < len(d.args); i++ {
		n, ok := serverOptions[d.args[i]]
		if !ok {
			l.alertBare(d.pos, fmt.Sprintf("%s : unknown keyword '%s'.", who, d.args[i]))
			return false
		}
		if n > 0 {
			i += n
		}
	}
	return true
}

// peersForm is what a peers section declared itself with: "peer" lines
// (the old form), or a "bind" line (with "server" lines).
type peersForm struct {
	peer, bind bool
	local      string // the local peer, once its line was read: it names the section's proxy
}

// peerOrBind refuses a peers section mixing the two forms, as the
// reference does: a bind after a peer, or a peer after a bind whose
// address was accepted. It checks the bind's address too.
func (l *loader) peerOrBind(d line) bool {
	form := l.peersFormOf(l.sec)
	if d.kw == "peer" && form.bind || d.kw == "bind" && form.peer {
		l.alert(d.pos, `mixing "peer" and "bind" line is forbidden`)
		return false
	}
	if d.kw == "bind" && len(d.args) > 0 {
		if _, msg := l.parseAddr(d.args[0], addrBind); msg != "" {
			l.alert(d.pos, fmt.Sprintf("'bind %s' : %s", d.args[0], msg))
			return false
		}
	}
	// A peer line counts once accepted; the caller checks it next and
	// the reference refuses nothing else before it counts.
	form.bind = form.bind || d.kw == "bind"
	form.peer = form.peer || d.kw == "peer"
	return true
}

// peerAddr checks a "peer NAME ADDR" address as the reference does: as a
// server's (who), resolved at once, the port optional; the local peer's
// also as the address it listens on, the port required. Both are
// reported.
func (l *loader) peerAddr(d line, who string) bool {
	name, addr := d.args[0], d.args[1]
	ok := true
	if _, msg := l.parseAddr(addr, addrLog); msg != "" {
		if strings.HasPrefix(msg, "invalid address") {
			msg += "\n" // the address parser's own message ends with a newline
		}
		l.alertBare(d.pos, fmt.Sprintf("%s : %s", who, msg))
		ok = false
	}
	if _, msg := l.parseAddr(addr, addrBind); name == l.localPeerName() && msg != "" {
		l.alert(d.pos, fmt.Sprintf("'peer %s' : %s", name, msg))
		ok = false
	}
	return ok
}

// peersFormOf is what a peers section declared so far.
func (l *loader) peersFormOf(sec *Section) *peersForm {
	if l.peersForms == nil {
		l.peersForms = map[*Section]*peersForm{}
	}
	form := l.peersForms[sec]
	if form == nil {
		form = &peersForm{}
		l.peersForms[sec] = form
	}
	return form
}
