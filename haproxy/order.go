package haproxy

import "fmt"

// Rule kinds in the order the reference evaluates them. A rule written
// after a rule of a later kind still runs first, so the reference warns.
var ruleOrder = []struct{ kind, article string }{
	{"tcp-request connection", "a"},
	{"tcp-request session", "a"},
	{"tcp-request content", "a"},
	{"monitor fail", "a"},
	{"http-request", "an"},
	{"redirect", "a"},
	{"use_backend", "a"},
	{"use-server", "a"},
}

// ruleKind names the evaluation stage of a line, or "" when it has none.
func ruleKind(d line) string {
	switch d.kw {
	case "tcp-request":
		switch d.arg(0) {
		case "connection", "session", "content":
			return "tcp-request " + d.arg(0)
		}
	case "monitor":
		if d.arg(0) == "fail" {
			return "monitor fail"
		}
	case "http-request", "redirect", "use_backend", "use-server":
		return d.kw
	}
	return ""
}

// warnMisplaced warns once if a rule of a later stage was already seen,
// then records this rule's stage. The warning goes where the line's
// diagnostics started (at), before those its reading gave.
func (l *loader) warnMisplaced(px *Proxy, d line, at int) {
	kind := ruleKind(d)
	if kind == "" || px.Kind == "defaults" {
		return
	}
	if (kind == "tcp-request connection" || kind == "tcp-request session") && !px.hasFE() {
		return // refused (ruleLine)
	}
	if px.rulesSeen == nil {
		px.rulesSeen = map[string]bool{}
	}
	after := false
	for _, r := range ruleOrder {
		if after && px.rulesSeen[r.kind] {
			l.warn(d.pos, fmt.Sprintf("a '%s' rule placed after %s '%s' rule will still be processed before.", d.kw, r.article, r.kind))
			last := l.diags[len(l.diags)-1]
			copy(l.diags[at+1:], l.diags[at:len(l.diags)-1])
			l.diags[at] = last
			break
		}
		if r.kind == kind {
			after = true
		}
	}
	px.rulesSeen[kind] = true
}
