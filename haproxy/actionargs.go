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
	// Actions of a fixed length: what follows must be the condition.
	n := 0
	switch {
	case strings.HasPrefix(name, "track-sc"):
		n = optionalPair(action, 2, "table") // track-scN KEY [table TABLE]
	case name == "auth":
		n = optionalPair(action, 1, "realm") // auth [realm REALM]
	case name == "del-header":
		n = optionalPair(action, 2, "-m") // del-header NAME [-m METH]
	case name == "use-service", exprActions[name] || strings.HasPrefix(name, "set-var("):
		n = 2
	}
	if n > 0 && len(action) > n {
		l.alertTight(d.pos, fmt.Sprintf("'%s %s' expects either 'if' or 'unless' followed by a condition but found '%s'.", d.kw, name, action[n]))
		l.abort = true
		return false
	}
	return true
}

// optionalPair is the length of an action of base words followed by an
// optional "KEYWORD VALUE" pair.
func optionalPair(action []string, base int, keyword string) int {
	if len(action) > base && action[base] == keyword {
		return base + 2
	}
	return base
}
