package proxy

import (
	"slices"
	"strconv"

	"fulcrum/haproxy"
)

func init() { actedKeywords["http-error"] = true }

// httpErrorPage maps `http-error status CODE [content-type T]
// [default-errorfiles | errorfile F | errorfiles NAME | file F | lf-file F |
// string S | lf-string FMT] [hdr NAME FMT]*`: the proxy's error page for
// CODE, built like an http-request return answer. It takes its place among
// errorfile and errorfiles lines in file order (defaults first), as the
// reference's list of error directives does; nil when the line cannot be
// mapped (already reported).
func (a *adapter) httpErrorPage(px *haproxy.Proxy, d haproxy.Directive) (int, *Reply) {
	if len(d.Args) < 2 || d.Args[0] != "status" {
		return 0, nil // the model rejects it
	}
	status, err := strconv.Atoi(d.Args[1])
	if err != nil || !HandledStatus(status) {
		return 0, nil
	}
	if slices.Contains(d.Args, "default-errorfiles") {
		return status, builtinPages[status]
	}
	sc := &ruleScope{px: px, kw: "http-error"}
	r, ok := a.finalRule(sc, d.Pos, append([]string{"return"}, d.Args...))
	if !ok {
		return 0, nil
	}
	rep := r.Reply
	if rep == nil { // "errorfiles NAME" without a page for the status
		return 0, nil
	}
	if r.Body != nil || r.HdrTmpl != nil {
		dyn := *rep
		dyn.dynamic = &HTTPRule{Body: r.Body, HdrTmpl: r.HdrTmpl}
		rep = &dyn
	}
	return status, rep
}
