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
		return l.tcpActionArgs(px, d)
	}
	name := action[0]
	fail := func(msg string) bool {
		l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing '%s %s' rule : %s", proxyWord(px), px.Name, d.kw, name, msg))
		l.abort = true
		return false
	}
	if name == "return" {
		return l.returnActionArgs(d, action, fail)
	}
	switch {
	case varActionProblem(name) != "":
		return fail(varActionProblem(name) + ".")
	case name == "redirect":
		if msg := redirectProblem(action[1:]); msg != "" {
			return fail(msg)
		}
	case (name == "cache-use" || name == "cache-store") && (len(action) < 2 || action[1] == "if" || action[1] == "unless"):
		return fail("expects a cache name.")
	case name == "capture" && d.kw != "http-request" && len(action) > 2 && action[2] != "id":
		// responses have no capture slot of their own: only "id N"
		return fail(fmt.Sprintf("expects 'id', found '%s'.", action[2]))
	case name == "del-header" && len(action) < 2:
		return fail("expects at least 1 argument.")
	case name == "send-spoe-group" && len(action) != 3:
		return fail("expects 2 arguments: <engine-id> <group-id>.")
	case name == "wait-for-body":
		if msg, _ := waitForBodyArgs(action); msg != "" {
			return fail(msg)
		}
		for i := 1; i+1 < len(action) && action[i] == "time" || i+1 < len(action) && action[i] == "at-least"; i += 2 {
			if action[i] == "time" {
				l.timerTrailer(action[i+1])
			}
		}
	case (d.kw == "http-response" || d.kw == "http-after-response") && responseFormatProblem(action) != "":
		return fail(responseFormatProblem(action))
	case name == "deny" || name == "tarpit":
		if msg := denyStatusProblem(action); msg != "" {
			return fail(msg)
		}
	case name == "set-tos" || name == "set-mark":
		if msg := intArgProblem(action); msg != "" {
			return fail(msg + ".")
		}
	case name == "set-timeout" && px.Kind == "frontend":
		// Checked before its arguments, as the reference does.
		return fail(fmt.Sprintf("proxy '%s' has no backend capability.", px.Name))
	case name == "set-timeout":
		if msg := setTimeoutProblem(action); msg != "" {
			return fail(msg)
		}
	case formatActions[name]:
		if len(action) != 2 {
			return fail("expects exactly 1 argument <format>.")
		}
	case strings.HasPrefix(name, "track-sc"):
		if msg := trackArgsProblem(action); msg != "" {
			return fail(msg + ".")
		}
		// Refused here in http rules; a tcp rule's empty table is
		// found missing later, as the reference does.
		if len(action) == 3 && action[2] == "table" {
			return fail("missing table name.")
		}
	case exprActions[name] || strings.HasPrefix(name, "set-var("):
		if msg := fetchArgProblem(action); msg != "" {
			return fail(msg + ".")
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
	case name == "set-timeout":
		n = 3 // set-timeout server|tunnel VALUE
	case name == "set-tos" || name == "set-mark":
		n = 2
	case name == "wait-for-body":
		_, n = waitForBodyArgs(action)
	case noArgActions[name] || strings.HasPrefix(name, "unset-var(") || strings.HasPrefix(name, "sc-inc-gpc"):
		n = 1
	case oneArgActions[name] || strings.HasPrefix(name, "sc-set-gpt"):
		n = 2
	case name == "early-hint":
		n = 3 // early-hint NAME FORMAT
	case name == "capture":
		n = 4 // capture SAMPLE len|id N
	}
	if n > 0 && len(action) > n {
		l.alertTight(d.pos, fmt.Sprintf("'%s %s' expects either 'if' or 'unless' followed by a condition but found '%s'.", d.kw, name, action[n]))
		l.abort = true
		return false
	}
	return true
}

// fetchArgProblem checks the sample expression an action takes as its
// first argument (set-src, set-var(), ...): present, and naming a fetch
// the reference knows.
func fetchArgProblem(action []string) string {
	if len(action) < 2 {
		return "missing fetch method"
	}
	fetch := action[1]
	if i := strings.IndexAny(fetch, "(,"); i >= 0 {
		fetch = fetch[:i]
	}
	if !fetchNames[fetch] {
		return fmt.Sprintf("unknown fetch method '%s'", fetch)
	}
	return ""
}

// returnActionArgs checks "return [status C] [content-type T] [payload]
// [hdr N V]*" as an http reply (httperror.go); what follows the reply
// must be the condition.
func (l *loader) returnActionArgs(d line, action []string, fail func(string) bool) bool {
	_, end, problem := l.httpReply(d, action[1:])
	if problem != "" {
		return fail(problem + ".")
	}
	if end < len(action)-1 {
		l.alertTight(d.pos, fmt.Sprintf("'%s return' expects either 'if' or 'unless' followed by a condition but found '%s'.", d.kw, action[1+end]))
		l.abort = true
		return false
	}
	return true
}

// noArgActions and oneArgActions are http actions of a fixed length
// (besides those checked with their arguments above).
var (
	noArgActions  = setOf("disable-l7-retry", "wait-for-handshake", "silent-drop")
	oneArgActions = setOf("cache-use", "cache-store", "set-log-level", "set-nice", "set-priority-class", "set-priority-offset", "strict-mode")
)

// optionalPair is the length of an action of base words followed by an
// optional "KEYWORD VALUE" pair.
func optionalPair(action []string, base int, keyword string) int {
	if len(action) > base && action[base] == keyword {
		return base + 2
	}
	return base
}

// tcpActionWords is how many words follow a tcp rule action before its
// condition; -1 when not checked.
func tcpActionWords(action []string) int {
	name := action[0]
	switch {
	case name == "accept" || name == "reject" || name == "silent-drop" || name == "close" ||
		name == "expect-netscaler-cip" || strings.HasPrefix(name, "sc-inc-gpc") || strings.HasPrefix(name, "unset-var("):
		return 0
	case name == "expect-proxy" || name == "set-src" || name == "set-dst" || name == "set-src-port" ||
		name == "set-dst-port" || name == "set-mark" || name == "set-tos" || name == "set-log-level" || name == "set-nice" ||
		name == "use-service" || strings.HasPrefix(name, "set-var(") || strings.HasPrefix(name, "set-var-fmt("):
		return 1
	case strings.HasPrefix(name, "track-sc"):
		return optionalPair(action, 2, "table") - 1
	case name == "capture":
		return 3
	}
	return -1
}

// tcpActionArgs checks what follows a tcp-request/tcp-response action.
func (l *loader) tcpActionArgs(px *Proxy, d line) bool {
	if len(d.args) < 2 {
		return true
	}
	action := d.args[1:]
	for i, a := range action {
		if a == "if" || a == "unless" {
			action = action[:i]
			break
		}
	}
	if action[0] == "use-service" {
		switch {
		case len(action) < 2:
			l.alert(d.pos, fmt.Sprintf("'%s' expects a service name.", d.kw))
			return false
		case action[1] != "prometheus-exporter" && !strings.HasPrefix(action[1], "lua."):
			l.alert(d.pos, fmt.Sprintf("'%s' unknown service name.", d.arg(0))) // sic: the ruleset word
			return false
		}
	}
	if action[0] == "set-tos" || action[0] == "set-mark" {
		if msg := intArgProblem(action); msg != "" {
			l.alert(d.pos, msg)
			return false
		}
	}
	if exprActions[action[0]] {
		if msg := fetchArgProblem(action); msg != "" {
			l.alert(d.pos, msg)
			return false
		}
	}
	if msg := varActionProblem(action[0]); msg != "" {
		l.alert(d.pos, msg)
		return false
	}
	if strings.HasPrefix(action[0], "track-sc") {
		if msg := trackArgsProblem(action); msg != "" {
			l.alert(d.pos, fmt.Sprintf("'%s %s %s' : %s", d.kw, d.arg(0), action[0], msg))
			return false
		}
	}
	if n := tcpActionWords(action); n >= 0 && len(action) > n+1 {
		l.alert(d.pos, fmt.Sprintf("'%s %s %s' only accepts 'if' or 'unless', in %s '%s' (got '%s')", d.kw, d.arg(0), action[0], proxyWord(px), px.Name, action[n+1]))
		return false
	}
	return true
}

// redirectProblem checks the words of a redirect rule (after "redirect"):
// what the reference says about the first bad one, or "".
func redirectProblem(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "if", "unless":
			return ""
		case "drop-query", "append-slash", "ignore-empty":
		case "code", "prefix", "location", "scheme", "set-cookie", "clear-cookie":
			if i+1 >= len(args) {
				return fmt.Sprintf("missing argument for '%s'.", a)
			}
			i++
			if a == "code" {
				switch args[i] {
				case "301", "302", "303", "307", "308":
				default:
					return fmt.Sprintf("'code': unsupported HTTP code '%s' (must be one of 301, 302, 303, 307 or 308).", args[i])
				}
			}
		default:
			return fmt.Sprintf("expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '%s').", a)
		}
	}
	return ""
}

// setTimeoutProblem checks `set-timeout server|tunnel VALUE`, VALUE being
// a time, or else a sample expression; the reference's message or "".
func setTimeoutProblem(action []string) string {
	if len(action) < 3 {
		return "expects exactly 2 arguments."
	}
	if action[1] != "server" && action[1] != "tunnel" {
		return fmt.Sprintf("'set-timeout' rule supports 'server'/'tunnel' (got '%s').", action[1])
	}
	rule := "rule 'set-timeout " + action[1] + "'"
	ms, errFmt := parseTime(action[2])
	if errFmt == "" {
		if ms == 0 {
			return fmt.Sprintf("null value is not valid for a 'set-timeout %s' rule.", action[1])
		}
		return ""
	}
	fetch := action[2]
	if i := strings.IndexAny(fetch, "(,"); i >= 0 {
		fetch = fetch[:i]
	}
	if fetchNames[fetch] {
		return "" // an expression, whose value is in milliseconds
	}
	return strings.Replace(errFmt, "'%s'", rule, 1) + "."
}

// intArgProblem checks the one integer of set-tos and set-mark, read as
// strtol(3) with base 0 reads it (decimal, 0x hex or 0 octal, a sign);
// the reference's message without its final period, or "".
func intArgProblem(action []string) string {
	if len(action) < 2 {
		return "expects exactly 1 argument (integer/hex value)"
	}
	if rest := afterStrtol(action[1]); rest != "" {
		return fmt.Sprintf("invalid character starting at '%s' (integer/hex value expected)", rest)
	}
	return ""
}

// afterStrtol is what strtol(s, &end, 0) leaves unread at end.
func afterStrtol(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := "0123456789"
	switch {
	case i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && strings.IndexByte("0123456789abcdefABCDEF", s[i+2]) >= 0:
		i += 2
		digits = "0123456789abcdefABCDEF"
	case i < len(s) && s[i] == '0':
		digits = "01234567"
	}
	start := i
	for i < len(s) && strings.IndexByte(digits, s[i]) >= 0 {
		i++
	}
	if i == start {
		return s // no number at all: strtol leaves end at the start
	}
	return s[i:]
}

// defaultErrorCodes are the statuses HAProxy has a built-in error
// message for, the only ones a deny without a reply of its own may use.
var defaultErrorCodes = map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 407: true,
	408: true, 410: true, 413: true, 425: true, 429: true, 500: true, 501: true, 502: true, 503: true, 504: true}

// denyStatusProblem checks a deny or tarpit rule's deny_status as the
// reference does: within 200-599, and one with a built-in message unless
// the rule brings its own reply. (Where the default is implicit, the
// reference's last punctuation varies from one configuration to another,
// as if read from memory it did not set: the usual ".." is kept.)
func denyStatusProblem(action []string) string {
	status, set := 0, false
	reply := "" // "errorfiles", "default-errorfiles", or "own" (a payload or headers)
	for i := 1; i < len(action); i++ {
		w := action[i]
		if w == "if" || w == "unless" {
			break
		}
		n, ok := finalActionOptions[w]
		if !ok {
			break
		}
		switch {
		case w == "deny_status" && i+1 == len(action):
			return "'status' expects <status_code> as argument."
		case w == "deny_status":
			status, set = leadingInt(action[i+1]), true
		case w == "errorfiles" || w == "default-errorfiles":
			reply = w
		case w != "deny_status" && w != "status":
			reply = "own"
		}
		i += n
	}
	if !set {
		return ""
	}
	if status < 200 || status > 599 {
		return fmt.Sprintf("Unexpected status code '%d'.", status)
	}
	if reply == "own" || defaultErrorCodes[status] {
		return ""
	}
	if reply == "" {
		reply = "default-errorfiles"
	}
	return fmt.Sprintf("status code '%d' not handled by default with '%s' argument..", status, reply)
}

// leadingInt is the number at the start of s, as C's atol reads it (0
// when there is none).
func leadingInt(s string) int {
	n, neg := 0, false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<20 {
			break
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// responseFormatProblem refuses, in the value of a response rule's
// header action, a sample fetch of the request's headers or buffer: they
// are gone once the response is in, and the reference says so.
func responseFormatProblem(action []string) string {
	at := map[string]int{"set-header": 2, "add-header": 2, "replace-header": 3, "replace-value": 3}[action[0]]
	if at == 0 || at >= len(action) {
		return ""
	}
	value := action[at]
	for i := strings.Index(value, "%["); i >= 0; {
		rest := value[i+2:]
		fetch := rest
		if j := strings.IndexAny(fetch, "(,] "); j >= 0 {
			fetch = fetch[:j]
		}
		switch src := FetchSource(fetch); src {
		case "HTTP request headers", "request buffer":
			return fmt.Sprintf("sample fetch <%s> may not be reliably used here because it needs '%s' which is not available here.", rest, src)
		}
		next := strings.Index(rest, "%[")
		if next < 0 {
			break
		}
		i += 2 + next
	}
	return ""
}
