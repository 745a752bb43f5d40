package proxy

import (
	"strconv"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
)

// The adapter side of httpgaps.go: wait-for-body rules, option
// http-buffer-request and option logasap.

// bufferRequest puts the wait of option http-buffer-request before a
// proxy's http-request rules, where the reference waits for the body.
func bufferRequest(lines []haproxy.Directive, rules []HTTPRule) []HTTPRule {
	if !hasOption(lines, "http-buffer-request") {
		return rules
	}
	wait := HTTPRule{Action: HTTPWaitBody, Wait: &BodyWait{FromRequest: true}}
	return append([]HTTPRule{wait}, rules...)
}

// waitForBodyRule maps `http-request wait-for-body time T [at-least N]`
// (the model refused malformed ones); the response side is not built.
func (a *adapter) waitForBodyRule(sc *ruleScope, pos confparse.Pos, w []string) (HTTPRule, bool) {
	if sc.kw != "http-request" {
		a.warn(pos, "'%s wait-for-body' is not acted on yet by Fulcrum; the rule is ignored.", sc.kw)
		return HTTPRule{}, false
	}
	wait := &BodyWait{}
	for i := 1; i+1 < len(w); i += 2 {
		switch w[i] {
		case "time":
			wait.Time, _ = parseTime(w[i+1])
		case "at-least":
			wait.AtLeast = parseSize(w[i+1])
		}
	}
	return HTTPRule{Action: HTTPWaitBody, Wait: wait}, true
}

// parseSize reads a size with the reference's suffixes (k, m, g); the
// model checked its form.
func parseSize(s string) int64 {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.ParseInt(s[:i], 10, 64)
	if i < len(s) {
		switch s[i] {
		case 'k', 'K':
			n <<= 10
		case 'm', 'M':
			n <<= 20
		case 'g', 'G':
			n <<= 30
		}
	}
	return n
}

// logASAP reads option logasap (http mode: httpgaps.go; tcp mode:
// tcplogasap.go).
func (a *adapter) logASAP(lines []haproxy.Directive) bool {
	return hasOption(lines, "logasap")
}

// backendContentRules maps a backend's `tcp-request content` rules and
// its `tcp-request inspect-delay` (a listen section's are its
// frontend's). The http engine reads the whole request head before any
// rule: there the delay adds nothing.
func (a *adapter) backendContentRules(px *haproxy.Proxy, acls map[string][]acl) ([]Rule, time.Duration) {
	if px.Kind != "backend" || px.Section == nil {
		return nil, 0
	}
	tmp := &Frontend{Name: px.Name}
	for _, d := range px.Section.Lines {
		switch {
		case d.Keyword == "tcp-request" && first(d.Args) == "content":
			a.tcpRequest(tmp, acls, d)
		case d.Keyword == "tcp-request" && first(d.Args) == "inspect-delay" && px.Mode != "http":
			a.tcpRequest(tmp, acls, d)
		}
	}
	return tmp.ContentRules, tmp.InspectDelay
}
