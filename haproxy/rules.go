package haproxy

import (
	"fmt"
	"slices"
	"strings"

	"fulcrum/confparse"
)

// predefinedACLs exist in every proxy.
var predefinedACLs = setOf("FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_3.0", "HTTP_CONTENT", "HTTP_URL_ABS",
	"HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT", "METH_DELETE", "METH_GET", "METH_HEAD",
	"METH_OPTIONS", "METH_POST", "METH_PUT", "METH_TRACE", "RDP_COOKIE", "REQ_CONTENT", "TRUE", "WAIT_END")

// aclLine reads "acl NAME CRITERION [flags] [values]".
func (l *loader) aclLine(px *Proxy, d line) {
	if len(d.args) < 2 {
		l.alert(d.pos, fmt.Sprintf("'acl' expects an ACL name and a criterion (got '%s').", d.arg(0)))
		return
	}
	name, expr := d.args[0], d.args[1:]
	if msg := l.checkACLExpr(expr); msg != "" {
		l.alert(d.pos, fmt.Sprintf("error detected while parsing ACL '%s' : %s.", name, msg))
		return
	}
	px.ACLs = append(px.ACLs, ACL{Name: name, Criterion: expr[0], Args: append([]string(nil), expr[1:]...), Match: parseMatch(expr)})
}

// matchMethods are the names "-m" takes.
var matchMethods = setOf("found", "bool", "int", "ip", "bin", "len", "str", "sub", "reg", "beg", "end", "dir", "dom")

// checkACLExpr checks a criterion's fetch name and its pattern files.
func (l *loader) checkACLExpr(expr []string) string {
	fetch := expr[0]
	base := fetch
	if i := strings.IndexAny(base, "(,"); i >= 0 {
		base = base[:i]
	}
	if !fetchNames[base] {
		return fmt.Sprintf("unknown fetch method '%s' in ACL expression '%s'", base, fetch)
	}
	if conv, file := missingMapFile(fetch); conv != "" {
		if aclKeywords[base] {
			return fmt.Sprintf("ACL keyword '%s' : invalid args in converter '%s' : failed to open pattern file <%s>.", base, conv, file)
		}
		return fmt.Sprintf("invalid args in converter '%s' : failed to open pattern file <%s> in ACL expression '%s'", conv, file, fetch)
	}
	// Flags come first: after the first pattern every word is one.
	patterns, endOfFlags, literal, method := false, false, false, ""
	for i := 1; i < len(expr); i++ {
		switch {
		case endOfFlags || literal || !strings.HasPrefix(expr[i], "-"):
			if msg := l.aclPatternProblem(fetch, method, expr[i]); msg != "" {
				return msg
			}
			patterns, literal = true, true
		case expr[i] == "--":
			endOfFlags = true
		case expr[i] == "-f" && i+1 < len(expr):
			if !fileExists(expr[i+1]) {
				return fmt.Sprintf("failed to open pattern file <%s>", expr[i+1])
			}
			if msg := l.aclPatternFileProblem(fetch, method, expr[i+1]); msg != "" {
				return msg
			}
			patterns = true
			i++
		case expr[i] == "-m":
			method = ""
			if i+1 < len(expr) {
				method = expr[i+1]
			}
			if !matchMethods[method] {
				return fmt.Sprintf("unknown matching method '%s' when parsing ACL expression", method)
			}
			i++
		}
	}
	if !patterns && !endOfFlags && method != "found" && method != "bool" && !boolFetches[base] {
		l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("parsing acl keyword '%s' :\n"+
			"  no pattern to match against were provided, so this ACL will never match.\n"+
			"  If this is what you intended, please add '--' to get rid of this warning.\n"+
			"  If you intended to match only for existence, please use '-m found'.\n"+
			"  If you wanted to force an int to match as a bool, please use '-m bool'.\n", base))
	}
	return ""
}

// boolFetches return a boolean: an ACL on them needs no pattern.
var boolFetches = setOf("always_false", "always_true", "bool", "dst_is_local", "fc_dst_is_local", "fc_rcvd_proxy",
	"fc_src_is_local", "http_auth", "http_first_req", "internal.htx.has_eom", "internal.strm.is_htx", "req.proto_http",
	"req.ssl_ec_ext", "req_proto_http", "res.cache_hit", "res.comp", "sc0_tracked", "sc1_tracked", "sc2_tracked",
	"sc_tracked", "src_is_local", "srv_is_up", "ssl_bc", "ssl_bc_is_resumed", "ssl_c_used", "ssl_fc", "ssl_fc_has_crt",
	"ssl_fc_has_early", "ssl_fc_has_sni", "ssl_fc_is_resumed", "stopping", "wait_end",
	"var") // var() has no fixed type, which also spares it the warning

// ruleLine reads http-request/http-response/... and tcp-request/
// tcp-response rules: the action words, then "if"/"unless" and a
// condition.
func (l *loader) ruleLine(px *Proxy, d line) {
	if strings.HasPrefix(d.kw, "http-") && px.lastRuleFinal(d.kw) {
		l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d]: previous '%s' action is final and has no condition attached, further entries are NOOP.", d.pos.File, d.pos.Line, d.kw))
	}
	args := d.args
	if len(args) == 0 && strings.HasPrefix(d.kw, "http-") {
		l.checkAction(px, d) // refused as an empty action, listing the valid ones
		return
	}
	if len(args) == 0 {
		l.alert(d.pos, fmt.Sprintf("missing argument for '%s' in %s '%s'", d.kw, proxyWord(px), px.Name))
		return
	}
	if d.kw == "tcp-request" && (args[0] == "connection" || args[0] == "session") && !px.hasFE() && px.Kind != "defaults" {
		l.alert(d.pos, fmt.Sprintf("%s %s is not allowed because %s %s is not a frontend", d.kw, args[0], proxyWord(px), px.Name))
		return
	}
	if !l.checkAction(px, d) {
		return
	}
	action, cond := args, []string(nil)
	for i, a := range args {
		if a == "if" || a == "unless" {
			action, cond = args[:i], args[i:]
			break
		}
	}
	what := d.kw + " " + strings.Join(firstN(action, 2), " ")
	if strings.HasPrefix(d.kw, "http-") {
		what = d.kw + " " + action[0]
	}
	// The reference reads a return's reply before the condition: its
	// warnings and errors come first.
	replyFirst := strings.HasPrefix(d.kw, "http-") && action[0] == "return"
	if replyFirst && !l.httpActionArgs(px, d, action) {
		return
	}
	if missing, anonErr := l.condProblem(px, cond); missing != "" || anonErr != "" {
		problem := anonErr
		if missing != "" {
			problem = fmt.Sprintf("no such ACL : '%s'", missing)
		}
		if strings.HasPrefix(d.kw, "tcp-") {
			// tcp rules report it and the reading goes on
			l.alert(d.pos, fmt.Sprintf("'%s' : error detected in %s '%s' while parsing '%s' condition : %s", what, proxyWord(px), px.Name, cond[0], problem))
			return
		}
		l.alert(d.pos, fmt.Sprintf("error detected while parsing an '%s' condition : %s.", what, problem))
		l.abort = true
		return
	}
	if strings.HasPrefix(d.kw, "http-") {
		for _, w := range httpCondWarnings(px, d.kw, cond) {
			l.warn(d.pos, w)
		}
	}
	if d.kw == "tcp-request" && d.arg(1) == "use-service" && strings.HasPrefix(d.arg(2), "lua.") && !l.cfg.luaLoaded {
		// sic: the reference names the ruleset, not the service
		l.alert(d.pos, fmt.Sprintf("'%s' unknown service name.", d.arg(0)))
		return
	}
	if action[0] == "use-service" && !l.serviceKnown(d.arg(1)) {
		problem := fmt.Sprintf("'%s' unknown service name.", d.arg(1))
		if len(d.args) < 2 { // "if" there is taken as the name
			problem = "'use-service' expects a service name."
		}
		l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing '%s use-service' rule : %s.", proxyWord(px), px.Name, d.kw, problem))
		l.abort = true
		return
	}
	for _, a := range action {
		if i := strings.Index(a, "%["); i >= 0 && strings.HasPrefix(d.kw, "http-") {
			expr := a[i+2:]
			name := expr
			if j := strings.IndexAny(name, "(,] "); j >= 0 {
				name = name[:j]
			}
			if !fetchNames[name] {
				l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing '%s %s' rule : failed to parse sample expression <%s> : unknown fetch method '%s'.",
					proxyWord(px), px.Name, d.kw, action[0], expr, name))
				l.abort = true
				return
			}
		}
		if conv, file := missingMapFile(a); conv != "" {
			detail := fmt.Sprintf("invalid args in converter '%s' : failed to open pattern file <%s>.", conv, file)
			if i := strings.Index(a, "%["); i >= 0 {
				detail = fmt.Sprintf("failed to parse sample expression <%s> : %s", a[i+2:], detail)
			}
			l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing '%s %s' rule : %s", proxyWord(px), px.Name, d.kw, action[0], detail))
			l.abort = true
			return
		}
	}
	if extra := unexpectedAfterAction(action); extra != "" && strings.HasPrefix(d.kw, "http-") {
		l.alertTight(d.pos, fmt.Sprintf("'%s %s' expects either 'if' or 'unless' followed by a condition but found '%s'.", d.kw, action[0], extra))
		l.abort = true
		return
	}
	if !replyFirst && !l.httpActionArgs(px, d, action) {
		return
	}
	if msg := actionArity(action); msg != "" {
		l.alert(d.pos, fmt.Sprintf("error detected in %s '%s' while parsing '%s %s' rule : %s", proxyWord(px), px.Name, d.kw, action[0], msg))
		l.abort = true
		return
	}
	px.Rules = append(px.Rules, Rule{Keyword: d.kw, Action: append([]string(nil), action...), Cond: append([]string(nil), cond...),
		Condition: parseCondition(append([]string(nil), cond...))})
}

func firstN(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

func proxyWord(px *Proxy) string {
	if px.Kind == "listen" {
		return "proxy"
	}
	return px.Kind
}

// missingBrace is the reference's complaint about "{" without "}".
const missingBrace = "missing closing '}' in condition"

// condProblem finds what is wrong in an "if"/"unless" condition: a named
// ACL not declared before (missing), or an anonymous ACL { ... } that
// does not parse (anonErr).
func (l *loader) condProblem(px *Proxy, cond []string) (missing, anonErr string) {
	if len(cond) == 0 || cond[0] != "if" && cond[0] != "unless" {
		return "", ""
	}
	words := cond[1:]
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "{" || w == "!{":
			end := i + 1
			for end < len(words) && words[end] != "}" {
				end++
			}
			if end == len(words) {
				return "", missingBrace
			}
			if end > i+1 {
				if msg := l.checkACLExpr(words[i+1 : end]); msg != "" {
					return "", msg
				}
			}
			i = end
		case w == "||" || strings.EqualFold(w, "or") || w == "!":
		default:
			name := strings.TrimPrefix(w, "!")
			if name != "" && !predefinedACLs[name] && !px.hasACL(name) {
				return name, ""
			}
		}
	}
	return "", ""
}

// checkCond reports a bad condition of a rule; where names the rule as
// the reference does ("switching rule", "an 'http-request deny' condition").
func (l *loader) checkCond(px *Proxy, d line, cond []string, where string) bool {
	missing, anonErr := l.condProblem(px, cond)
	switch {
	case anonErr != "":
		l.alert(d.pos, fmt.Sprintf("error detected while parsing %s : %s.", where, anonErr))
		return false
	case missing != "":
		l.alert(d.pos, fmt.Sprintf("error detected while parsing %s : no such ACL : '%s'.", where, missing))
		return false
	}
	return true
}

func (p *Proxy) hasACL(name string) bool {
	for _, a := range p.ACLs {
		if a.Name == name {
			return true
		}
	}
	return false
}

// actionArity checks the argument count of the header actions.
func actionArity(action []string) string {
	switch action[0] {
	case "set-header", "add-header":
		if len(action) != 3 {
			return "expects exactly 2 arguments."
		}
	}
	return ""
}

// finalActionOptions are the options allow, deny, reject and tarpit take,
// with the number of values each consumes.
var finalActionOptions = map[string]int{"deny_status": 1, "status": 1, "content-type": 1, "errorfile": 1,
	"errorfiles": 1, "file": 1, "lf-file": 1, "string": 1, "lf-string": 1, "hdr": 2, "default-errorfiles": 0}

// unexpectedAfterAction returns the first word after a final action
// (allow, deny, reject, tarpit) that is neither one of its options nor a
// condition, or "".
func unexpectedAfterAction(action []string) string {
	switch action[0] {
	case "allow", "reject":
		if len(action) > 1 {
			return action[1]
		}
	case "deny", "tarpit":
		for i := 1; i < len(action); i++ {
			n, ok := finalActionOptions[action[i]]
			if !ok {
				return action[i]
			}
			i += n
		}
	}
	return ""
}

// httpCondWarnings are the reference's warnings about the condition
// terms of an http rule that read what the rule's side does not have: a
// request rule, the response; a response rule, the request's headers or
// buffer (gone by then). Such a term never matches.
func httpCondWarnings(px *Proxy, kw string, cond []string) []string {
	if len(cond) == 0 {
		return nil
	}
	response := kw == "http-response" || kw == "http-after-response"
	// A listen section's request rules are its frontend's, its
	// response rules its backend's.
	side := "frontend"
	if px.Kind == "backend" || response && px.Kind == "listen" {
		side = "backend"
	}
	where := side + " http-request header rule"
	if response {
		where = side + " http-response header rule"
	}
	unavailable := func(criterion string) (string, bool) {
		name, _, _ := strings.Cut(criterion, "(")
		if name == "hdr" || strings.HasPrefix(name, "hdr_") {
			// As an ACL keyword hdr reads the request only (the hdr
			// sample fetch follows the rule's direction).
			return name, response
		}
		switch src := FetchSource(name); src {
		case "HTTP request headers", "request buffer":
			return name, response
		case "HTTP response headers", "HTTP response", "response buffer":
			return name, !response
		}
		return name, false
	}
	var out []string
	words := cond[1:]
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "{" || w == "!{":
			if i+1 < len(words) {
				if kw, bad := unavailable(words[i+1]); bad {
					out = append(out, fmt.Sprintf("anonymous acl will never match because it uses keyword '%s' which is incompatible with '%s'", kw, where))
				}
			}
			for i < len(words) && words[i] != "}" {
				i++
			}
		case w == "||" || w == "or" || w == "!":
		default:
			name := strings.TrimPrefix(w, "!")
			var bad []string
			n := 0
			for _, a := range px.ACLs {
				if a.Name != name {
					continue
				}
				n++
				if kw, b := unavailable(a.Criterion); b && !slices.Contains(bad, kw) {
					bad = append(bad, kw)
				}
			}
			switch {
			case n > 0 && len(bad) == n:
				out = append(out, fmt.Sprintf("acl '%s' will never match because it only involves keywords that are incompatible with '%s'", name, where))
			case len(bad) > 0:
				// The reference names the first only.
				out = append(out, fmt.Sprintf("acl '%s' involves keywords '%s' which is incompatible with '%s'", name, bad[0], where))
			}
		}
	}
	return out
}

// serviceKnown tells whether use-service may name this service: the
// build's only one, prometheus-exporter, or a Lua service once Lua is
// loaded (whether the script registers it is not checked).
func (l *loader) serviceKnown(name string) bool {
	if strings.HasPrefix(name, "lua.") {
		return l.cfg.luaLoaded
	}
	return name == "prometheus-exporter"
}

// finalHTTPActions end the evaluation of the http rules; the reference
// does not count reject, silent-drop or use-service among them.
var finalHTTPActions = setOf("allow", "deny", "tarpit", "return", "redirect", "auth")

// lastRuleFinal tells whether the proxy's last rule of this kind is a
// final action without a condition: any rule after it is never reached.
func (p *Proxy) lastRuleFinal(kw string) bool {
	for i := len(p.Rules) - 1; i >= 0; i-- {
		if r := p.Rules[i]; r.Keyword == kw {
			return len(r.Cond) == 0 && len(r.Action) > 0 && finalHTTPActions[r.Action[0]]
		}
	}
	return false
}
