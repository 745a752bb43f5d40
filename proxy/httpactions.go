package proxy

import (
	"bytes"
	"net"
	"regexp"
	"strconv"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/sample"
)

// HTTPActions are a proxy's HTTP rules beyond http-request and its error
// pages.
type HTTPActions struct {
	// Redirects are the legacy `redirect` lines, run after the
	// http-request rules (even after an allow).
	Redirects []HTTPRule
	// Response are the `http-response` rules, After the
	// `http-after-response` ones (which also see the proxy's own
	// answers).
	Response, After []HTTPRule
	// Errors are the errorfile/errorfiles/errorloc pages by status.
	Errors map[int]*Reply
	// Cookie is the backend's `cookie` persistence (nil = none).
	Cookie *CookieConfig
	// Persist are its ignore-persist and force-persist rules (persist.go).
	Persist []PersistRule
}

// statusReasons are the reason phrases the reference writes for the
// statuses it sets itself (its http_get_reason table).
var statusReasons = map[int]string{100: "Continue", 101: "Switching Protocols", 102: "Processing",
	103: "Early Hints", 200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
	204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status", 208: "Already Reported",
	226: "IM Used", 300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
	304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
	408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
	413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
	417: "Expectation Failed", 418: "I'm a teapot", 421: "Misdirected Request", 422: "Unprocessable Content",
	423: "Locked", 424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
	428: "Precondition Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
	451: "Unavailable For Legal Reasons", 500: "Internal Server Error", 501: "Not Implemented",
	502: "Bad Gateway or Proxy Error", 503: "Service Unavailable", 504: "Gateway Time-out",
	505: "HTTP Version Not Supported", 506: "Variant Also Negotiates", 507: "Insufficient Storage",
	508: "Loop Detected", 510: "Not Extended", 511: "Network Authentication Required"}

// StatusReason is the reference's reason phrase for status: its table's,
// else the class's name.
func StatusReason(status int) string {
	if r, ok := statusReasons[status]; ok {
		return r
	}
	switch status / 100 {
	case 1:
		return "Informational"
	case 2:
		return "Success"
	case 3:
		return "Redirection"
	case 4:
		return "Client Error"
	case 5:
		return "Server Error"
	}
	return "Other"
}

// NewReply builds a return/deny answer: hdr lines, then content-length,
// then content-type when there is a body, as the reference orders them.
func NewReply(status int, headers http1.Headers, contentType string, body []byte) *Reply {
	r := &Reply{Status: status, Reason: StatusReason(status), Body: body}
	r.Headers = append(r.Headers, headers...)
	r.Headers = append(r.Headers, hdr("content-length", strconv.Itoa(len(body))))
	if contentType != "" && len(body) > 0 {
		r.Headers = append(r.Headers, hdr("content-type", contentType))
	}
	return r
}

// rewriteRequest applies a non-final rule to the request.
func (h *httpConn) rewriteRequest(r *HTTPRule) {
	req := &h.req
	switch r.Action {
	case HTTPSetPath:
		pre, _, q := splitURI(req)
		req.URI = join(pre, []byte(h.value(r)), q)
	case HTTPSetPathQ:
		pre, _, _ := splitURI(req)
		req.URI = join(pre, []byte(h.value(r)), nil)
	case HTTPSetQuery:
		pre, p, _ := splitURI(req)
		req.URI = join(pre, p, []byte("?"+h.value(r)))
	case HTTPSetURI:
		req.URI = []byte(h.value(r))
	case HTTPSetMethod:
		req.Method = []byte(h.value(r))
	case HTTPReplacePath:
		pre, p, q := splitURI(req)
		if np, ok := replaceAll(r.Regex, p, h.value(r)); ok {
			req.URI = join(pre, np, q)
		}
	case HTTPReplacePathQ:
		pre, p, q := splitURI(req)
		if np, ok := replaceAll(r.Regex, join(p, q), h.value(r)); ok {
			req.URI = join(pre, np)
		}
	case HTTPReplaceURI:
		if nu, ok := replaceAll(r.Regex, req.URI, h.value(r)); ok {
			req.URI = nu
		}
	case HTTPNormalizeURI:
		req.URI = r.Normalizer(req.URI)
	case HTTPSilent:
		h.r.Log = nil
	case HTTPSetVar:
		h.setVarRule(r) // procvars.go
	case HTTPUnsetVar:
		h.sess.UnsetVar(r.Name)
	default:
		rewriteHeaders(&req.Headers, r, h.value(r))
	}
}

// rewriteHeaders applies a header rule to a message's headers; value is
// the rule's value for this message.
func rewriteHeaders(hs *http1.Headers, r *HTTPRule, value string) {
	switch r.Action {
	case HTTPSetHeader:
		hs.Del(r.Name)
		*hs = append(*hs, hdr(r.Name, value))
	case HTTPAddHeader:
		*hs = append(*hs, hdr(r.Name, value))
	case HTTPDelHeader:
		hs.Del(r.Name)
	case HTTPReplaceHeader:
		for i := range *hs {
			f := &(*hs)[i]
			if !bytes.EqualFold(f.Name, []byte(r.Name)) {
				continue
			}
			if v, ok := replaceAll(r.Regex, f.Value, value); ok {
				f.Value = v
			}
		}
	case HTTPReplaceValue:
		for i := range *hs {
			f := &(*hs)[i]
			if bytes.EqualFold(f.Name, []byte(r.Name)) {
				f.Value = replaceValues(r.Regex, f.Value, value)
			}
		}
	}
}

// replaceValues rewrites each comma-separated element of v that matches
// re; the elements are joined again with bare commas, as the reference
// does.
func replaceValues(re *regexp.Regexp, v []byte, repl string) []byte {
	var out []byte
	for i, elem := range bytes.Split(v, []byte(",")) {
		elem = bytes.Trim(elem, " \t")
		if nv, ok := replaceAll(re, elem, repl); ok {
			elem = nv
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, elem...)
	}
	return out
}

// replaceAll returns repl with \0..\9 replaced by re's groups when re
// matches s (the whole value is replaced, as the reference's
// exp_replace does).
func replaceAll(re *regexp.Regexp, s []byte, repl string) ([]byte, bool) {
	m := re.FindSubmatchIndex(s)
	if m == nil {
		return nil, false
	}
	var out []byte
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c == '\\' && i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
			g := int(repl[i+1] - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				out = append(out, s[m[2*g]:m[2*g+1]]...)
			}
			i++
			continue
		}
		out = append(out, c)
	}
	return out, true
}

// splitURI cuts the request target into scheme+authority, path and
// query (with its '?').
func splitURI(r *http1.Request) (pre, path, query []byte) {
	u := r.URI
	p := r.Path()
	start := 0
	if p != nil {
		// Path() slices u, so the capacities give its offset.
		start = cap(u) - cap(p)
	} else if i := bytes.IndexByte(u, '?'); i >= 0 {
		start = i
	} else {
		start = len(u)
	}
	pre = u[:start]
	rest := u[start:]
	if i := bytes.IndexByte(rest, '?'); i >= 0 {
		return pre, rest[:i], rest[i:]
	}
	return pre, rest, nil
}

func join(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Redirect is a redirect rule: `http-request redirect` or the legacy
// `redirect` keyword.
type Redirect struct {
	Kind        string // location, prefix or scheme
	Target      string
	Code        int // 301, 302, 303, 307 or 308 (0 = 302)
	DropQuery   bool
	AppendSlash bool
	// SetCookie is "NAME=value", ClearCookie "NAME=" (or "NAME").
	SetCookie, ClearCookie string
	// TargetTmpl computes Target per request when it holds samples.
	TargetTmpl *sample.Template
}

// location computes where the redirect sends the client.
func (rd *Redirect) location(req *http1.Request, env sample.Env) []byte {
	target := rd.Target
	if rd.TargetTmpl != nil {
		target = rd.TargetTmpl.String(env)
	}
	if rd.Kind == "location" {
		return []byte(target)
	}
	_, p, q := splitURI(req)
	path := join(p, q)
	if rd.DropQuery {
		path = p
	}
	if rd.AppendSlash && (len(path) == 0 || path[len(path)-1] != '/') {
		path = append(path, '/')
	}
	if rd.Kind == "scheme" {
		host, _ := req.Headers.Get("host")
		return join([]byte(target+"://"), host, path)
	}
	if target == "/" {
		return path
	}
	return join([]byte(target), path)
}

// redirect answers a redirect rule as the reference does: content-length
// 0, location, cache-control for the temporary codes, a cookie. It
// returns the status and whether the client connection persists.
func (h *httpConn) redirect(r *HTTPRule) (int, bool) {
	rd := r.Redirect
	if rd == nil {
		rd = &Redirect{Kind: "location", Target: r.Location, Code: r.Status}
	}
	st := rd.Code
	if st != 301 && st != 303 && st != 307 && st != 308 {
		st = 302
	}
	rep := &Reply{Status: st, Reason: StatusReason(st), Headers: http1.Headers{
		hdr("content-length", "0"), {Name: []byte("location"), Value: rd.location(&h.req, h.sess)}}}
	if st == 302 || st == 303 || st == 307 {
		rep.Headers = append(rep.Headers, hdr("cache-control", "no-cache"))
	}
	switch {
	case rd.SetCookie != "":
		rep.Headers = append(rep.Headers, hdr("set-cookie", rd.SetCookie+"; path=/;"))
	case rd.ClearCookie != "":
		rep.Headers = append(rep.Headers, hdr("set-cookie", rd.ClearCookie+"; path=/; Max-Age=0;"))
	}
	keep := h.keepAfterAnswer()
	st, n := h.writeReply(rep, keep)
	h.r.BytesOut += n
	h.hrec.Status = st
	h.finishTimers()
	return st, keep
}

// redirectRequest answers an http-request redirect rule and logs it.
func (h *httpConn) redirectRequest(r *HTTPRule) (int, bool) {
	h.r.Term = [2]byte{'L', stateRequest}
	st, keep := h.redirect(r)
	h.log()
	return st, keep
}

// rewritesResponses tells whether anything of a may act on a server's
// response.
func (a *HTTPActions) rewritesResponses() bool {
	return len(a.Response) > 0 || len(a.After) > 0 || a.Cookie != nil
}

// responseRuleSets lists the rule sets of a stage: the backend's first,
// then the frontend's when it is another proxy, as the reference runs
// them.
func (h *httpConn) responseRuleSets(pick func(*HTTPActions) []HTTPRule) [2][]HTTPRule {
	var sets [2][]HTTPRule
	if h.be != nil {
		sets[0] = pick(&h.be.cfg.HTTP.Actions)
		if h.be.cfg.Name == h.fe.cfg.Name {
			return sets
		}
	}
	sets[1] = pick(&h.fe.cfg.HTTP.Actions)
	return sets
}

// afterResponse runs the http-after-response rules on an answer about to
// be written.
func (h *httpConn) afterResponse(status *int, reason *[]byte, hs *http1.Headers) {
	h.countStickStatus(*status)
	for _, rules := range h.responseRuleSets(func(a *HTTPActions) []HTTPRule { return a.After }) {
		for i := range rules {
			r := &rules[i]
			if !r.applies(h.sess) {
				continue
			}
			if r.Action == HTTPAllow {
				break
			}
			applyResponseRule(h, r, status, reason, hs)
		}
	}
}

// applyResponseRule applies a non-final response rule.
func applyResponseRule(h *httpConn, r *HTTPRule, status *int, reason *[]byte, hs *http1.Headers) {
	switch r.Action {
	case HTTPSetStatus:
		*status = r.Status
		if r.Reason != "" {
			*reason = []byte(r.Reason)
		} else {
			*reason = []byte(StatusReason(r.Status))
		}
	case HTTPSetVar:
		h.setVarRule(r) // procvars.go
	case HTTPUnsetVar:
		h.sess.UnsetVar(r.Name)
	case HTTPDo:
		r.Do(h.sess)
	case HTTPSilent:
		h.r.Log = nil
	default:
		rewriteHeaders(hs, r, h.value(r))
	}
}

// responseRules runs the http-response rules, then the
// http-after-response ones, on the server's response head. answered
// tells a rule answered instead (deny, return, redirect), or option
// checkcache did (checkcache.go): the server connection is closed and
// keep says whether the client's goes on.
func (h *httpConn) responseRules(conn net.Conn, srv *server) (keep, answered bool) {
	resp := &h.resp
	h.countStickStatus(resp.Status) // the server's status, before the rules read the counters
	if !h.be.cfg.HTTP.Actions.rewritesResponses() && !h.fe.cfg.HTTP.Actions.rewritesResponses() && !h.be.cfg.CheckCache {
		return false, false // the common case costs nothing
	}
	// %B counts the server's response head as it came, before the rules
	// changed it: the caller adds the rewritten head's size.
	orig := htxSize(resp)
	h.walkResponseRules(func(r *HTTPRule, soft bool) ruleStep {
		switch r.Action {
		case HTTPSilentDrop:
			// The response goes nowhere: the server's connection
			// closes, the client's vanishes (connact.go).
			conn.Close()
			silenceClient(h.cli)
			// Logged as the reference: the server's status, and the
			// request state its action sets.
			h.r.Term = [2]byte{termProxy, stateRequest}
			h.hrec.Status = resp.Status
			h.r.BytesOut += droppedResponseSize(resp, orig)
			h.finishTimers()
			keep, answered = false, true
		case HTTPDeny, HTTPReturn, HTTPRedirect:
			keep = h.dropResponse(conn, orig)
			if r.Action != HTTPDeny {
				h.r.Term[0] = 'L'
			}
			if r.Action == HTTPRedirect {
				// The request body went to the server already.
				h.req.Framing = http1.BodyNone
				_, keep = h.redirect(r)
				answered = true
				break
			}
			rep := h.evalReply(r, r.Reply)
			if r.Action == HTTPDeny {
				rep = h.evalReply(r, h.ruleReply(r, 502))
				h.countDeniedResponse(srv)
			}
			keep, answered = h.replyInstead(rep, keep), true
		case HTTPCacheStore:
			h.cacheStore(r.Cache)
		default:
			if !h.responseRuleFits(r, soft) {
				// Strict: the answer is dropped for a 500.
				keep = h.dropResponse(conn, orig)
				keep, answered = h.replyInstead(h.errorPage(500), keep), true
			}
		}
		if answered {
			return endRules
		}
		return nextRule
	})
	if answered {
		return keep, true
	}
	serverSet := h.serverCookieChecked()
	h.cookieResponse(srv)
	if keep, answered := h.blockCacheableCookie(conn, srv, serverSet, orig); answered {
		return keep, true
	}
	h.afterResponse(&resp.Status, &resp.Reason, &resp.Headers)
	h.r.BytesOut += orig - htxSize(resp)
	return false, false
}

// dropResponse drops the server's answer with its connection, the
// proxy answering instead (logged PH); it counts in %B, body included.
// It tells whether the client connection may persist.
func (h *httpConn) dropResponse(conn net.Conn, orig int64) (keep bool) {
	conn.Close()
	h.r.Term = [2]byte{termProxy, 'H'}
	h.hrec.TResp = -1
	h.r.BytesOut += droppedResponseSize(&h.resp, orig)
	return h.req.KeepAlive() && h.connMode() != HTTPClose
}

// replyInstead writes rep in place of the dropped answer (keep: the
// client connection may persist, as dropResponse said) and tells whether
// it does.
func (h *httpConn) replyInstead(rep *Reply, keep bool) bool {
	keep = keep && !rep.Close
	st, n := h.writeReply(rep, keep)
	h.r.BytesOut += n
	h.hrec.Status = st
	h.finishTimers()
	return keep
}

// droppedResponseSize is what %B counts for a server response the rules
// dropped: its head as it came (orig) and a Content-Length body.
func droppedResponseSize(resp *http1.Response, orig int64) int64 {
	if resp.Framing == http1.BodyLength {
		return orig + resp.ContentLength
	}
	return orig
}

// ruleStep is what a visit of walkResponseRules tells the walk.
type ruleStep int

const (
	nextRule   ruleStep = iota // go on
	endRuleSet                 // skip the rest of this proxy's rules
	endRules                   // stop
)

// walkResponseRules visits the http-response rules that apply, the
// backend's then the frontend's, as the reference runs them: allow ends
// a proxy's rules, and strict-mode sets, for the rest of them, whether a
// rewrite that does not fit is an error (soft false) or is skipped.
func (h *httpConn) walkResponseRules(visit func(r *HTTPRule, soft bool) ruleStep) {
	for _, rules := range h.responseRuleSets(func(a *HTTPActions) []HTTPRule { return a.Response }) {
		soft := false // strict-mode on by default, in each rule set
	set:
		for i := range rules {
			r := &rules[i]
			if !r.applies(h.sess) {
				continue
			}
			switch r.Action {
			case HTTPAllow:
				break set
			case HTTPStrictMode:
				soft = r.Value == "off"
				continue
			}
			switch visit(r, soft) {
			case endRuleSet:
				break set
			case endRules:
				return
			}
		}
	}
}
