package proxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/http1"
	"fulcrum/proxy/sample"
	"fulcrum/proxy/xxhash"
)

func init() {
	for _, k := range []string{"http-response", "http-after-response", "redirect", "errorfile", "errorfiles",
		"errorloc", "errorloc302", "errorloc303", "cookie", "dynamic-cookie-key"} {
		actedKeywords[k] = true
	}
}

// ruleScope is what an HTTP rule's adapter needs of the proxy it is in.
type ruleScope struct {
	px    *haproxy.Proxy
	kw    string // http-request, http-response, http-after-response
	lines []haproxy.Directive
	acls  map[string][]acl
}

// httpRules maps the proxy's own rules of one keyword. Actions the engine
// does not have, and values holding log-format expressions, are reported
// as not acted on (the rule is left out) so nothing is dropped silently.
func (a *adapter) httpRules(px *haproxy.Proxy, kw string, lines []haproxy.Directive, acls map[string][]acl) []HTTPRule {
	sc := &ruleScope{px: px, kw: kw, lines: lines, acls: acls}
	// A response rule has no request headers or buffer to read any
	// more: their ACLs never match, as the reference's.
	var gone func(string) bool
	if kw == "http-response" || kw == "http-after-response" {
		gone = func(fetch string) bool {
			src := haproxy.FetchSource(fetch)
			return src == "HTTP request headers" || src == "request buffer"
		}
	}
	var rules []HTTPRule
	for _, d := range px.Section.Lines {
		if d.Keyword != kw || len(d.Args) == 0 {
			continue
		}
		words, condWords := splitCond(d.Args)
		var rule HTTPRule
		var ok bool
		if do, isDo := a.doAction(d.Pos, px.Name, words, kw); isDo {
			rule, ok = HTTPRule{Action: HTTPDo, Do: do}, do != nil
		} else {
			rule, ok = a.httpAction(sc, d.Pos, words)
		}
		if !ok {
			continue
		}
		cond, ok := a.condWithout(acls, d.Pos, condWords, gone)
		if !ok {
			continue
		}
		rule.Cond = cond
		rules = append(rules, rule)
	}
	return rules
}

// httpActions fills a proxy's response rules, legacy redirects and error
// pages.
func (a *adapter) httpActions(act *HTTPActions, px *haproxy.Proxy, lines []haproxy.Directive, acls map[string][]acl) {
	act.Response = a.httpRules(px, "http-response", lines, acls)
	act.After = a.httpRules(px, "http-after-response", lines, acls)
	sc := &ruleScope{px: px, kw: "redirect", lines: lines, acls: acls}
	for _, d := range px.Section.Lines {
		if d.Keyword != "redirect" {
			continue
		}
		words, condWords := splitCond(d.Args)
		rule, ok := a.httpAction(sc, d.Pos, append([]string{"redirect"}, words...))
		if !ok {
			continue
		}
		if rule.Cond, ok = a.cond(acls, d.Pos, condWords); ok {
			act.Redirects = append(act.Redirects, rule)
		}
	}
	act.Errors = a.errorPages(px, lines)
}

// lfValue compiles a log-format value: its text when it holds no
// variable, else a template of `%[expr]` samples. Other log-format
// variables (%ci, %{+Q}r...) are not built for rule values: the error
// names them.
// The map and ACL files its samples load are registered like any
// other's (the Runtime API and the file actions change them).
func (a *adapter) lfValue(pos confparse.Pos, s string) (string, *sample.Template, error) {
	if lit, ok := lfLiteral(s); ok {
		return lit, nil, nil
	}
	t, err := sample.ParseTemplate(s, a.sampleOptions(pos))
	if err != nil {
		return "", nil, fmt.Errorf("log-format value: %w", notBuilt(err))
	}
	return "", t, nil
}

// lfLiteral reads a log-format string that holds no variable ("%%" is a
// percent sign); ok is false when it has variables.
func lfLiteral(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		return "", false
	}
	return b.String(), true
}

// httpAction maps one rule's action words.
func (a *adapter) httpAction(sc *ruleScope, pos confparse.Pos, w []string) (HTTPRule, bool) {
	notActed := func(why string) (HTTPRule, bool) {
		a.warn(pos, "'%s %s' is not acted on yet by Fulcrum (%s); the rule is ignored.", sc.kw, w[0], why)
		return HTTPRule{}, false
	}
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	value := func(i int) (string, *sample.Template, error) {
		if i >= len(w) {
			return "", nil, errors.New("a value is expected")
		}
		return a.lfValue(pos, w[i])
	}
	regex := func(i int) (*regexp.Regexp, bool) {
		re, err := regexp.Compile(arg(i))
		if err != nil {
			// The reference's PCRE takes more than Go's RE2 does
			// (back-references, look-arounds).
			a.warn(pos, "'%s %s' : regex '%s' is not supported by Fulcrum (%v); the rule is ignored.", sc.kw, w[0], arg(i), err)
			return nil, false
		}
		return re, true
	}
	name, _, _ := strings.Cut(w[0], "(")
	switch name {
	case "allow":
		return HTTPRule{Action: HTTPAllow}, true
	case "capture":
		return a.captureRule(sc, pos, w)
	case "deny", "tarpit", "return":
		return a.finalRule(sc, pos, w)
	case "auth":
		r := HTTPRule{Action: HTTPAuth, Realm: sc.px.Name}
		if arg(1) == "realm" && len(w) > 2 {
			r.Realm = w[2]
		}
		return r, true
	case "redirect":
		rd, ok := a.redirectRule(sc, pos, w)
		if !ok {
			return HTTPRule{}, false
		}
		return HTTPRule{Action: HTTPRedirect, Redirect: rd}, true
	case "set-header", "add-header", "early-hint":
		act := map[string]HTTPAction{"set-header": HTTPSetHeader, "add-header": HTTPAddHeader, "early-hint": HTTPEarlyHint}[name]
		v, t, err := value(2)
		if err != nil && len(w) > 2 {
			// Log-format variables (%ci, %ID...): the log-format compiler.
			f, ferr := a.headerFormat(pos, w[2], sc.px.Mode == "http")
			if ferr != nil {
				return notActed(ferr.Error())
			}
			return HTTPRule{Action: act, Name: w[1], LF: f}, true
		}
		if err != nil {
			return notActed(err.Error())
		}
		return HTTPRule{Action: act, Name: w[1], Value: v, Tmpl: t}, true
	case "del-header":
		if len(w) == 4 && w[2] == "-m" && w[3] == "str" {
			w = w[:2]
		}
		if len(w) != 2 {
			return notActed("matching methods other than str are not built yet")
		}
		return HTTPRule{Action: HTTPDelHeader, Name: w[1]}, true
	case "replace-header", "replace-value":
		v, t, err := value(3)
		if err != nil {
			return notActed(err.Error())
		}
		re, ok := regex(2)
		if !ok {
			return HTTPRule{}, false
		}
		act := HTTPReplaceHeader
		if name == "replace-value" {
			act = HTTPReplaceValue
		}
		return HTTPRule{Action: act, Name: arg(1), Regex: re, Value: v, Tmpl: t}, true
	case "set-path", "set-pathq", "set-query", "set-uri", "set-method":
		v, t, err := value(1)
		if err != nil {
			return notActed(err.Error())
		}
		act := map[string]HTTPAction{"set-path": HTTPSetPath, "set-pathq": HTTPSetPathQ, "set-query": HTTPSetQuery,
			"set-uri": HTTPSetURI, "set-method": HTTPSetMethod}[name]
		return HTTPRule{Action: act, Value: v, Tmpl: t}, true
	case "replace-path", "replace-pathq", "replace-uri":
		v, t, err := value(2)
		if err != nil {
			return notActed(err.Error())
		}
		re, ok := regex(1)
		if !ok {
			return HTTPRule{}, false
		}
		act := map[string]HTTPAction{"replace-path": HTTPReplacePath, "replace-pathq": HTTPReplacePathQ,
			"replace-uri": HTTPReplaceURI}[name]
		return HTTPRule{Action: act, Regex: re, Value: v, Tmpl: t}, true
	case "set-var", "unset-var":
		v, ok := strings.CutSuffix(strings.TrimPrefix(w[0], name+"("), ")")
		if !ok || v == "" {
			return notActed("variable name expected")
		}
		if name == "unset-var" {
			return HTTPRule{Action: HTTPUnsetVar, Name: v}, true
		}
		expr := strings.Join(w[1:], " ")
		if val, ok := literalSample(expr); ok {
			return HTTPRule{Action: HTTPSetVar, Name: v, Value: val}, true
		}
		x, err := sample.ParseExpr(expr, &sample.Options{ReadFile: os.ReadFile})
		if err != nil {
			return notActed(notBuilt(err).Error())
		}
		return HTTPRule{Action: HTTPSetVar, Name: v, Expr: x}, true
	case "set-status":
		st, err := strconv.Atoi(arg(1))
		if err != nil || st < 100 || st > 999 {
			a.alert(pos, "'%s set-status' : expects an integer status code between 100 and 999 (got '%s').", sc.kw, arg(1))
			return HTTPRule{}, false
		}
		r := HTTPRule{Action: HTTPSetStatus, Status: st}
		if arg(2) == "reason" {
			r.Reason = arg(3)
		}
		return r, true
	case "normalize-uri":
		f, ok := uriNormalizer(w[1:])
		if !ok {
			return notActed("this normalizer is not built yet")
		}
		return HTTPRule{Action: HTTPNormalizeURI, Normalizer: f}, true
	case "set-log-level":
		if arg(1) != "silent" { // the levels are doAction's
			return notActed("unknown log level")
		}
		return HTTPRule{Action: HTTPSilent}, true
	case "wait-for-body":
		return a.waitForBodyRule(sc, pos, w)
	case "cache-use", "cache-store":
		return a.cacheRule(sc, pos, w) // fromcache.go
	case "strict-mode":
		if sc.kw != "http-request" && sc.kw != "http-response" {
			return notActed("only built in http-request and http-response rules")
		}
		return HTTPRule{Action: HTTPStrictMode, Value: arg(1)}, true
	case "wait-for-handshake":
		// It holds a request that came as TLS early data until the
		// handshake completes. Fulcrum takes no early data (bind
		// allow-0rtt is warned as not acted on): every handshake is
		// complete before any rule runs, so the rule has nothing to wait
		// for, as in the reference without allow-0rtt.
		return HTTPRule{}, false
	case "reject", "silent-drop":
		if sc.kw != "http-request" && (name == "reject" || sc.kw != "http-response") {
			return notActed("only built in http-request rules")
		}
		if name == "reject" {
			return HTTPRule{Action: HTTPReject}, true
		}
		return HTTPRule{Action: HTTPSilentDrop}, true
	case "set-nice":
		a.warn(pos, "'%s %s' is accepted but has no effect in Fulcrum.", sc.kw, w[0])
		return HTTPRule{}, false
	case "use-service":
		if arg(1) == "prometheus-exporter" {
			return HTTPRule{Action: HTTPUseService}, true
		}
		return notActed("service '" + arg(1) + "' is not built")
	}
	return notActed("action not built yet")
}

// literalSample reads a set-var expression made of a constant sample:
// str(TEXT) or int(N).
func literalSample(expr string) (string, bool) {
	for _, f := range []string{"str(", "int("} {
		if v, ok := strings.CutPrefix(expr, f); ok {
			if v, ok = strings.CutSuffix(v, ")"); ok && !strings.ContainsAny(v, "(),") {
				if f == "int(" {
					if _, err := strconv.ParseInt(v, 10, 64); err != nil {
						return "", false
					}
				}
				return v, true
			}
		}
	}
	return "", false
}

// finalRule maps deny, tarpit and return with their answer options.
func (a *adapter) finalRule(sc *ruleScope, pos confparse.Pos, w []string) (HTTPRule, bool) {
	r := HTTPRule{Action: map[string]HTTPAction{"deny": HTTPDeny, "tarpit": HTTPTarpit, "return": HTTPReturn}[w[0]]}
	if r.Action == HTTPTarpit {
		r.Tarpit = a.proxyTimeout(sc, "tarpit")
		if r.Tarpit == 0 {
			r.Tarpit = a.proxyTimeout(sc, "connect")
		}
	}
	var (
		headers     http1.Headers
		contentType string
		body        []byte
		page        *Reply // errorfile / errorfiles
		custom      bool
	)
	for i := 1; i < len(w); i++ {
		opt, val := w[i], ""
		if i+1 < len(w) {
			val = w[i+1]
		}
		switch opt {
		case "deny_status", "status":
			r.Status, _ = strconv.Atoi(val)
			i++
		case "content-type":
			contentType, custom = val, true
			i++
		case "string", "lf-string":
			s := val
			if opt == "lf-string" {
				var err error
				if s, r.Body, err = a.lfValue(pos, val); err != nil {
					a.warn(pos, "'%s %s' : payload '%s' : %v; the rule is ignored.", sc.kw, w[0], val, err)
					return HTTPRule{}, false
				}
			}
			body, custom = []byte(s), true
			i++
		case "file", "lf-file", "errorfile":
			data, err := os.ReadFile(val)
			if err != nil {
				a.alert(pos, "'%s %s' : error reading file '%s' : %v", sc.kw, w[0], val, err)
				return HTTPRule{}, false
			}
			i++
			if opt == "errorfile" {
				if page, err = ParseErrorFile(data); err != nil {
					a.alert(pos, "'%s %s' : errorfile '%s' : %v", sc.kw, w[0], val, err)
					return HTTPRule{}, false
				}
				continue
			}
			if opt == "lf-file" {
				s, t, err := a.lfValue(pos, string(data))
				if err != nil {
					a.warn(pos, "'%s %s' : payload file '%s' : %v; the rule is ignored.", sc.kw, w[0], val, err)
					return HTTPRule{}, false
				}
				data, r.Body = []byte(s), t
			}
			body, custom = data, true
		case "errorfiles":
			i++
			page = a.httpErrors(val)[r.Status]
		case "hdr":
			if i+2 < len(w) {
				v, t, err := a.lfValue(pos, w[i+2])
				if err != nil {
					a.warn(pos, "'%s %s' : header '%s' : %v; the rule is ignored.", sc.kw, w[0], w[i+1], err)
					return HTTPRule{}, false
				}
				if t != nil {
					r.HdrTmpl = append(r.HdrTmpl, hdrTemplate{index: len(headers), tmpl: t})
				}
				headers = append(headers, hdr(w[i+1], v))
				custom = true
			}
			i += 2
		case "default-errorfiles":
		}
	}
	switch {
	case page != nil:
		r.Reply = page
	case custom || r.Action == HTTPReturn:
		st := r.Status
		if st == 0 {
			st = map[HTTPAction]int{HTTPDeny: 403, HTTPTarpit: 500, HTTPReturn: 200}[r.Action]
			if r.Action == HTTPDeny && sc.kw != "http-request" {
				st = 502
			}
		}
		r.Reply = NewReply(st, headers, contentType, body)
		if r.Body != nil && contentType != "" && r.Reply.Headers.Index("content-type", 0) < 0 {
			r.Reply.Headers = append(r.Reply.Headers, hdr("content-type", contentType))
		}
	}
	return r, true
}

// proxyTimeout reads a `timeout NAME` applying to the rule's proxy.
func (a *adapter) proxyTimeout(sc *ruleScope, name string) time.Duration {
	if v, ok := sc.px.Timeouts[name]; ok {
		return msDur(v)
	}
	var t time.Duration
	for _, d := range sc.lines {
		if d.Keyword == "timeout" && first(d.Args) == name && len(d.Args) > 1 {
			t, _ = parseTime(d.Args[1])
		}
	}
	return t
}

// redirectRule reads `redirect location|prefix|scheme TARGET [code N]
// [drop-query] [append-slash] [set-cookie C] [clear-cookie C]
// [ignore-empty]` (after the rule's "redirect" word).
func (a *adapter) redirectRule(sc *ruleScope, pos confparse.Pos, w []string) (*Redirect, bool) {
	if len(w) < 3 || w[1] != "location" && w[1] != "prefix" && w[1] != "scheme" {
		a.alert(pos, "'%s' : redirection type expected ('prefix', 'location', or 'scheme').", sc.kw)
		return nil, false
	}
	target, tmpl, err := a.lfValue(pos, w[2])
	if err != nil {
		what := sc.kw
		if what != "redirect" {
			what += " redirect"
		}
		a.warn(pos, "'%s %s' : target '%s' : %v; the rule is ignored.", what, w[1], w[2], err)
		return nil, false
	}
	rd := &Redirect{Kind: w[1], Target: target, TargetTmpl: tmpl}
	for i := 3; i < len(w); i++ {
		switch w[i] {
		case "code":
			if i+1 < len(w) {
				i++
				rd.Code, _ = strconv.Atoi(w[i])
			}
		case "drop-query":
			rd.DropQuery = true
		case "append-slash":
			rd.AppendSlash = true
		case "set-cookie":
			if i+1 < len(w) {
				i++
				rd.SetCookie = w[i]
			}
		case "clear-cookie":
			if i+1 < len(w) {
				i++
				rd.ClearCookie = w[i]
			}
		case "ignore-empty":
		default:
			a.warn(pos, "'%s' : option '%s' is not acted on yet by Fulcrum.", sc.kw, w[i])
		}
	}
	return rd, true
}

// errorPages reads errorfile, errorfiles and errorloc lines (defaults
// first, the proxy's own last, so later lines win).
func (a *adapter) errorPages(px *haproxy.Proxy, lines []haproxy.Directive) map[int]*Reply {
	pages := map[int]*Reply{}
	for _, d := range lines {
		switch d.Keyword {
		case "http-error":
			if st, p := a.httpErrorPage(px, d); p != nil {
				pages[st] = p
			}
		case "errorfile":
			if len(d.Args) < 2 {
				continue
			}
			st, _ := strconv.Atoi(d.Args[0])
			if p := a.readErrorFile(d.Pos, d.Args[1]); p != nil {
				pages[st] = p
			}
		case "errorfiles":
			all := a.httpErrors(first(d.Args))
			if len(d.Args) == 1 {
				for st, p := range all {
					pages[st] = p
				}
			}
			for _, code := range d.Args[min(1, len(d.Args)):] {
				st, _ := strconv.Atoi(code)
				if p := all[st]; p != nil {
					pages[st] = p
				}
			}
		case "errorloc", "errorloc302", "errorloc303":
			if len(d.Args) < 2 {
				continue
			}
			st, _ := strconv.Atoi(d.Args[0])
			code := 302
			if d.Keyword == "errorloc303" {
				code = 303
			}
			pages[st] = &Reply{Status: code, Reason: StatusReason(code), Headers: http1.Headers{
				hdr("cache-control", "no-cache"), hdr("content-length", "0"), hdr("location", d.Args[1])}}
		}
	}
	if len(pages) == 0 {
		return nil
	}
	return pages
}

func (a *adapter) readErrorFile(pos confparse.Pos, path string) *Reply {
	data, err := os.ReadFile(path)
	if err != nil {
		a.alert(pos, "errorfile : error opening file '%s'.", path)
		return nil
	}
	p, err := ParseErrorFile(data)
	if err != nil {
		a.alert(pos, "errorfile '%s' : %v", path, err)
		return nil
	}
	return p
}

// httpErrors reads the pages of the `http-errors NAME` section.
func (a *adapter) httpErrors(name string) map[int]*Reply {
	pages := map[int]*Reply{}
	for _, sec := range a.hc.Others {
		if sec.Kind != "http-errors" || first(sec.Args) != name {
			continue
		}
		for _, d := range sec.Lines {
			if d.Keyword == "errorfile" && len(d.Args) >= 2 {
				st, _ := strconv.Atoi(d.Args[0])
				if p := a.readErrorFile(d.Pos, d.Args[1]); p != nil {
					pages[st] = p
				}
			}
		}
	}
	return pages
}

// backendActions fills a backend's rules beyond http-request, its error
// pages and its cookie persistence. A listen section's legacy redirects
// run once, as its frontend's.
func (a *adapter) backendActions(be *Backend, px *haproxy.Proxy, lines []haproxy.Directive, acls map[string][]acl) {
	a.httpActions(&be.HTTP.Actions, px, lines, acls)
	if px.Kind == "listen" {
		be.HTTP.Actions.Redirects = nil
	}
	be.HTTP.Actions.Cookie = a.cookie(lines)
	be.HTTP.Actions.Persist = a.persistRules(lines, acls)
	if ck := be.HTTP.Actions.Cookie; ck != nil && ck.dynamic {
		key := ""
		for _, d := range lines {
			if d.Keyword == "dynamic-cookie-key" {
				key = first(d.Args)
			}
		}
		for _, s := range be.Servers {
			if s.Cookie == "" && key != "" {
				s.Cookie = dynamicCookie(key, s.Addr)
			}
		}
	}
}

// dynamicCookie is the cookie value the reference gives a server without
// one under `cookie ... dynamic`: XXH64 of the key, the address's bytes
// and the port as a 32-bit big-endian number, in hex.
func dynamicCookie(key string, addr netip.AddrPort) string {
	b := append([]byte(key), addr.Addr().Unmap().AsSlice()...)
	b = binary.BigEndian.AppendUint32(b, uint32(addr.Port()))
	return fmt.Sprintf("%016x", xxhash.Sum64(b, 0))
}

// cookie reads the last `cookie NAME insert|rewrite|prefix [options]`
// line and `option persist`.
func (a *adapter) cookie(lines []haproxy.Directive) *CookieConfig {
	var ck *CookieConfig
	for _, d := range lines {
		if d.Keyword != "cookie" || len(d.Args) == 0 {
			continue
		}
		ck = &CookieConfig{Name: d.Args[0], Mode: CookieRewrite}
		for i := 1; i < len(d.Args); i++ {
			switch d.Args[i] {
			case "insert":
				ck.Mode = CookieInsert
			case "rewrite":
				ck.Mode = CookieRewrite
			case "prefix":
				ck.Mode = CookiePrefix
			case "indirect":
				ck.Indirect = true
			case "nocache":
				ck.NoCache = true
			case "postonly":
				ck.PostOnly = true
			case "preserve":
				ck.Preserve = true
			case "httponly":
				ck.HTTPOnly = true
			case "secure":
				ck.Secure = true
			case "domain":
				if i+1 < len(d.Args) {
					i++
					ck.Domains = append(ck.Domains, d.Args[i])
				}
			case "maxidle", "maxlife":
				if i+1 < len(d.Args) {
					i++
					t, _ := parseTime(d.Args[i])
					if t < time.Second {
						t = 0
					}
					if d.Args[i-1] == "maxidle" {
						ck.MaxIdle = t
					} else {
						ck.MaxLife = t
					}
				}
			case "dynamic":
				ck.dynamic = true
			case "attr":
				if i+1 < len(d.Args) {
					i++
					ck.Attrs = append(ck.Attrs, d.Args[i])
				}
			default:
				a.warn(d.Pos, "'cookie' option '%s' is not acted on yet by Fulcrum.", d.Args[i])
			}
		}
	}
	if ck != nil {
		ck.Persist = hasOption(lines, "persist")
	}
	return ck
}
