package haproxy

import (
	"fmt"
	"strings"
)

// formatActions take exactly one log-format argument.
var formatActions = setOf("set-path", "set-pathq", "set-query", "set-uri", "set-method")

// exprActions take one sample expression.
var exprActions = setOf("set-dst", "set-dst-port", "set-src", "set-src-port")

// httpActionArgs checks the arguments of the http-request/http-response
// actions whose shape is fixed, with the reference's messages; false when
// the line is refused (the reference stops reading the file).
func (l *loader) httpActionArgs(px *Proxy, d line, action []string) bool {
	if !strings.HasPrefix(d.kw, "http-") {
		return true
	}
	name := action[0]
	fail := func(msg string) bool {
		l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing '%s %s' rule : %s", proxyWord(px), px.Name, d.kw, name, msg))
		l.abort = true
		return false
	}
	switch {
	case strings.HasPrefix(name, "track-sc"):
		// track-scN KEY [table TABLE]
		n := 2
		if len(action) > 2 && action[2] == "table" {
			n = 4
		}
		if len(action) > n {
			l.alertTight(d.pos, fmt.Sprintf("'%s %s' expects either 'if' or 'unless' followed by a condition but found '%s'.", d.kw, name, action[n]))
			l.abort = true
			return false
		}
	case formatActions[name]:
		if len(action) != 2 {
			return fail("expects exactly 1 argument <format>.")
		}
	case exprActions[name] || strings.HasPrefix(name, "set-var("):
		if len(action) < 2 {
			return fail("missing fetch method.")
		}
		fetch := action[1]
		if i := strings.IndexAny(fetch, "(,"); i >= 0 {
			fetch = fetch[:i]
		}
		if !fetchNames[fetch] {
			return fail(fmt.Sprintf("unknown fetch method '%s'.", fetch))
		}
	}
	return true
}
