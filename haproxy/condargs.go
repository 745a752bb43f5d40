package haproxy

import "fmt"

// condProblemText is what the reference says about a bad condition:
// an unknown ACL, an unclosed brace or a bad anonymous ACL; "" when fine.
func (l *loader) condProblemText(cond []string) string {
	missing, anonErr := l.condProblem(l.px, cond)
	switch {
	case missing != "":
		return fmt.Sprintf("no such ACL : '%s'", missing)
	case anonErr != "":
		return anonErr
	}
	return ""
}

// persistRuleArgs checks "force-persist|ignore-persist if|unless COND".
func persistRuleArgs(l *loader, d line) bool {
	if d.arg(0) != "if" && d.arg(0) != "unless" {
		l.alert(d.pos, fmt.Sprintf("'%s' requires either 'if' or 'unless' followed by a condition.", d.kw))
		return false
	}
	if msg := l.condProblemText(d.args); msg != "" {
		l.alert(d.pos, fmt.Sprintf("error detected while parsing a '%s' rule : %s.", d.kw, msg))
		return false
	}
	return true
}

// monitorArgs checks "monitor fail if|unless COND".
func monitorArgs(l *loader, d line) bool {
	if d.arg(0) != "fail" {
		l.alert(d.pos, "'monitor' only supports 'fail'.")
		return false
	}
	if d.arg(1) != "if" && d.arg(1) != "unless" {
		l.alert(d.pos, "'monitor fail' requires either 'if' or 'unless' followed by a condition.")
		return false
	}
	if msg := l.condProblemText(d.args[1:]); msg != "" {
		l.alert(d.pos, fmt.Sprintf("error detected while parsing a 'monitor fail' condition : %s.", msg))
		return false
	}
	return true
}
