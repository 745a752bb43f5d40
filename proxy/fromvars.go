package proxy

import (
	"strings"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// varAction maps the variable actions the tcp-request rule sets share:
// set-var(NAME) EXPR, set-var-fmt(NAME) FORMAT and unset-var(NAME). isVar
// is false when words are another action; do is nil when the action was
// refused (with an ALERT).
func (a *adapter) varAction(pos confparse.Pos, words []string) (do func(*Session), isVar bool) {
	act, name, ok := strings.Cut(strings.TrimSuffix(first(words), ")"), "(")
	if !ok || act != "set-var" && act != "set-var-fmt" && act != "unset-var" {
		return nil, false
	}
	if !validVarName(name) {
		a.alert(pos, "'%s': invalid variable name '%s' (expects a scope among proc, sess, txn, req, res, then a name).", act, name)
		return nil, true
	}
	opts := a.sampleOptions(pos)
	switch act {
	case "unset-var":
		return func(s *Session) { s.UnsetVar(name) }, true
	case "set-var-fmt":
		if len(words) < 2 {
			a.alert(pos, "'%s' expects a format string.", act)
			return nil, true
		}
		t, err := sample.ParseTemplate(words[1], opts)
		if err != nil {
			a.alert(pos, "'%s(%s)': %v.", act, name, err)
			return nil, true
		}
		return func(s *Session) { s.SetVar(name, t.String(s)) }, true
	}
	if len(words) < 2 {
		a.alert(pos, "'%s' expects a sample expression.", act)
		return nil, true
	}
	x, err := sample.ParseExpr(words[1], opts)
	if err != nil {
		a.alert(pos, "'%s(%s)': %v.", act, name, err)
		return nil, true
	}
	return func(s *Session) {
		// A sample that cannot be fetched leaves the variable as it was,
		// as in the reference.
		if v, ok := x.String(s); ok {
			s.setVarOf(name, v, x.Out())
		}
	}, true
}

// validVarName checks SCOPE.NAME with one of HAProxy's scopes.
func validVarName(v string) bool {
	scope, name, ok := strings.Cut(v, ".")
	switch scope {
	case "proc", "sess", "txn", "req", "res":
		return ok && name != ""
	}
	return false
}
