package haproxy

import (
	"fmt"
	"strings"
)

// cookieFlags are the cookie options without a value; cookieModes the
// ones of which only one may be given.
var (
	cookieFlags = setOf("indirect", "nocache", "postonly", "preserve", "httponly", "secure", "dynamic")
	cookieModes = setOf("rewrite", "insert", "prefix")
	cookieValue = map[string]string{"domain": "<domain>", "maxidle": "<idletime> in seconds", "maxlife": "<lifetime> in seconds", "attr": "<value>"}
)

// cookieArgs checks "cookie NAME [options...]" as the reference does.
func cookieArgs(l *loader, d line) bool {
	modes := 0
	for i := 1; i < len(d.args); i++ {
		a := d.args[i]
		switch {
		case cookieModes[a]:
			modes++
		case cookieFlags[a]:
		case cookieValue[a] != "":
			if i+1 >= len(d.args) {
				l.alertTight(d.pos, fmt.Sprintf("'%s' expects %s as argument.", a, cookieValue[a]))
				return false
			}
			i++
			if (a == "maxidle" || a == "maxlife") && !l.timeOK(d, a, d.args[i]) {
				return false
			}
		default:
			l.alert(d.pos, "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.")
			return false
		}
	}
	if modes > 1 {
		l.alert(d.pos, "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.")
		return false
	}
	return true
}

// timeOK reports a time the reference cannot read as "unexpected
// character 'C' in argument to <WHAT>." (tight form).
func (l *loader) timeOK(d line, what, v string) bool {
	if _, msg := parseTime(v); msg != "" {
		l.alertTight(d.pos, fmt.Sprintf("unexpected character '%c' in argument to <%s>.", badTimeChar(v), what))
		return false
	}
	return true
}

// statsArgs checks the value of the "stats" sub-keywords that need one.
func (l *loader) statsArgs(d line) bool {
	v := d.arg(1)
	switch d.arg(0) {
	case "refresh":
		if v == "" {
			// sic: the reference prints the NUL that ends the value
			l.alertTight(d.pos, "unexpected character '")
			return false
		}
		if _, msg := parseTime(v); msg != "" {
			l.alertTight(d.pos, fmt.Sprintf("unexpected character '%c' in argument to stats refresh interval.", badTimeChar(v)))
			return false
		}
	case "auth":
		if v == "" {
			l.alert(d.pos, "'auth' needs a user:password account.")
			return false
		}
	case "http-request":
		// Read like an http-request rule, into a scratch copy: the
		// stats page's rules are not the proxy's.
		if px := l.px; px != nil {
			scratch, errors := *px, l.fatals
			scratch.Rules = nil
			l.ruleLine(&scratch, line{pos: d.pos, kw: "http-request", args: d.args[1:]})
			return l.fatals == errors
		}
	case "uri", "realm", "scope":
		need := map[string]string{"uri": "an URI prefix", "realm": "an realm name", "scope": "a proxy name"}
		if v == "" {
			l.alert(d.pos, fmt.Sprintf("'%s' needs %s.", d.arg(0), need[d.arg(0)]))
			return false
		}
	case "show-desc":
		if v == "" && !l.globalHas("description") {
			l.alertTight(d.pos, "'show-desc' requires a parameter or 'desc' to be set in the global section.")
			return false
		}
	case "admin":
		if v != "if" && v != "unless" {
			l.alert(d.pos, "'stats admin' requires either 'if' or 'unless' followed by a condition.")
			return false
		}
	}
	return true
}

// bindProcessArgs checks the process sets of "bind-process": 2.6 has one
// process.
func (l *loader) bindProcessArgs(d line) bool {
	for _, a := range d.args {
		switch {
		case a == "all" || a == "odd" || a == "even" || singleProcess(a):
		case strings.Trim(a, "0123456789-") == "" && a != "":
			l.alert(d.pos, fmt.Sprintf("bind-process : '%s' is not a valid number/range. It supports numbers from 1 to 1.", a))
			return false
		default:
			l.alert(d.pos, fmt.Sprintf("bind-process : '%s' is not a valid number/range.", a))
			return false
		}
	}
	return true
}
