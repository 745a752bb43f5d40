package haproxy

import (
	"fmt"
	"strings"
)

// Rule actions the reference registers, in the order its error messages
// list them; a trailing "(*)" matches any "name(...)" form.
var (
	httpRequestActions = []string{"wait-for-handshake", "ot-group", "set-log-level", "set-nice", "use-service",
		"sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group",
		"do-resolve(*)", "cache-use", "add-acl(*)", "add-header", "allow", "auth", "capture", "del-acl(*)",
		"del-header", "del-map(*)", "deny", "disable-l7-retry", "early-hint", "normalize-uri", "redirect", "reject",
		"replace-header", "replace-path", "replace-pathq", "replace-uri", "replace-value", "return", "set-header",
		"set-map(*)", "set-method", "set-path", "set-pathq", "set-query", "set-uri", "strict-mode", "tarpit",
		"track-sc(*)", "set-timeout", "wait-for-body", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-dst",
		"set-dst-port", "set-mark", "set-src", "set-src-port", "set-tos", "silent-drop", "set-priority-class",
		"set-priority-offset"}
	httpResponseActions = []string{"ot-group", "set-log-level", "set-nice", "sc-inc-gpc(*)", "sc-inc-gpc0(*)",
		"sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group", "cache-store", "add-acl(*)",
		"add-header", "allow", "capture", "del-acl(*)", "del-header", "del-map(*)", "deny", "redirect",
		"replace-header", "replace-value", "return", "set-header", "set-map(*)", "set-status", "strict-mode",
		"track-sc(*)", "wait-for-body", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-mark", "set-tos",
		"silent-drop"}
	httpAfterResponseActions = []string{"ot-group", "add-header", "allow", "capture", "del-header", "replace-header",
		"replace-value", "set-header", "set-status", "strict-mode", "set-var-fmt(*)", "set-var(*)", "unset-var(*)"}
	tcpConnectionActions = []string{"accept", "reject", "capture", "expect-proxy", "expect-netscaler-cip",
		"track-sc0' ... 'track-sc2", "sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)",
		"sc-set-gpt0(*)", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-dst", "set-dst-port", "set-mark",
		"set-src", "set-src-port", "set-tos", "silent-drop"}
	tcpContentActions = []string{"accept", "reject", "capture", "expect-proxy", "expect-netscaler-cip",
		"track-sc0' ... 'track-sc2", "ot-group", "set-log-level", "set-nice", "switch-mode", "use-service",
		"sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group",
		"do-resolve(*)", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-src", "set-src-port", "set-dst",
		"set-dst-port", "set-mark", "set-tos", "silent-drop", "set-priority-class", "set-priority-offset"}
	tcpResponseActions = []string{"accept", "close", "reject", "ot-group", "set-log-level", "set-nice",
		"sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group",
		"set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-mark", "set-tos", "silent-drop"}
)

// actionKnown matches an action word against a list.
func actionKnown(word string, list []string) bool {
	for _, a := range list {
		switch {
		case strings.HasSuffix(a, "(*)"):
			if strings.HasPrefix(word, strings.TrimSuffix(a, "(*)")) {
				return true
			}
		case strings.HasPrefix(a, "track-sc0'"):
			// Any track-sc word: its number is checked with its arguments.
			if strings.HasPrefix(word, "track-sc") {
				return true
			}
		case a == word:
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	var b strings.Builder
	for _, a := range list {
		b.WriteString("'" + a + "', ")
	}
	return b.String()
}

// checkAction validates the action of a rule line; a bad action stops
// the reading, as in the reference. It returns the words that form the
// action (after the tcp-request/tcp-response ruleset word).
func (l *loader) checkAction(px *Proxy, d line) bool {
	act := d.arg(0)
	switch d.kw {
	case "http-request", "http-response", "http-after-response":
		list := map[string][]string{"http-request": httpRequestActions, "http-response": httpResponseActions,
			"http-after-response": httpAfterResponseActions}[d.kw]
		if !actionKnown(act, list) {
			end := "." + actionSuggestion(act, list)
			if len(d.args) == 0 {
				end = " (missing argument)."
			}
			l.alertTight(d.pos, fmt.Sprintf("'%s' expects %sbut got '%s'%s", d.kw, quoteList(list), act, end))
			l.abort = true
			return false
		}
	case "tcp-request", "tcp-response":
		sets := map[string][]string{"connection": tcpConnectionActions, "content": tcpContentActions, "session": tcpConnectionActions}
		expect := "'inspect-delay', 'connection', or 'content'"
		if d.kw == "tcp-response" {
			sets = map[string][]string{"content": tcpResponseActions}
			expect = "'inspect-delay' or 'content'"
		}
		if act == "inspect-delay" {
			return l.inspectDelay(px, d)
		}
		list, ok := sets[act]
		if !ok {
			l.alert(d.pos, fmt.Sprintf("'%s' expects %s in %s '%s' (got '%s')", d.kw, expect, proxyWord(px), px.Name, act))
			return false
		}
		if !actionKnown(d.arg(1), list) {
			l.alert(d.pos, fmt.Sprintf("'%s %s' expects %s in %s '%s' (got '%s').%s\n", d.kw, act,
				strings.TrimSuffix(quoteList(list), ", "), proxyWord(px), px.Name, d.arg(1), actionSuggestion(d.arg(1), list)))
			return false
		}
	}
	return true
}
