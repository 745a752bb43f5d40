package proxy

import (
	"regexp"
	"strconv"
	"time"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/httpcache"
	"fulcrum/proxy/logformat"
	"fulcrum/proxy/sample"
)

// HTTPAction is what an http-request, http-response or
// http-after-response rule does.
type HTTPAction uint8

// HTTP rule actions.
const (
	// HTTPAllow stops rule evaluation and lets the message through.
	HTTPAllow HTTPAction = iota
	// HTTPDeny answers Reply (or the error page of Status, 403 by
	// default on requests, 502 on responses).
	HTTPDeny
	// HTTPRedirect answers a redirect (Redirect, or Location with
	// Status).
	HTTPRedirect
	// HTTPSetHeader replaces every Name header by one with Value.
	HTTPSetHeader
	// HTTPAddHeader appends a Name header with Value.
	HTTPAddHeader
	// HTTPDelHeader removes every Name header.
	HTTPDelHeader
	// HTTPReturn answers Reply.
	HTTPReturn
	// HTTPTarpit holds the request for Tarpit, then answers like deny
	// (500 by default).
	HTTPTarpit
	// HTTPAuth answers 401 with a Basic challenge for Realm.
	HTTPAuth
	// HTTPReplaceHeader rewrites whole Name values matching Regex.
	HTTPReplaceHeader
	// HTTPReplaceValue rewrites each comma-separated Name value matching
	// Regex.
	HTTPReplaceValue
	// Request-line rewrites with Value.
	HTTPSetPath
	HTTPSetPathQ
	HTTPSetQuery
	HTTPSetURI
	HTTPSetMethod
	// HTTPReplacePath and HTTPReplaceURI rewrite the path or the URI when
	// Regex matches it.
	HTTPReplacePath
	HTTPReplacePathQ
	HTTPReplaceURI
	// HTTPSetVar sets the variable Name to Value; HTTPUnsetVar removes it.
	HTTPSetVar
	HTTPUnsetVar
	// HTTPSetStatus sets the response status (Status) and Reason.
	HTTPSetStatus
	// HTTPNormalizeURI applies the Normalizer to the URI.
	HTTPNormalizeURI
	// HTTPEarlyHint adds a Name: Value header to a 103 Early Hints
	// interim answer, sent once the run of early-hint rules ends.
	HTTPEarlyHint
	// HTTPSilent is `set-log-level silent`: the request is not logged.
	HTTPSilent
	// HTTPDo calls Do (track-sc, sc-inc-gpc0, ...) and goes on.
	HTTPDo
	// HTTPUseService answers with a service (prometheus-exporter:
	// statsserve.go).
	HTTPUseService
	// HTTPWaitBody waits for the request body (Wait): wait-for-body and
	// option http-buffer-request (httpgaps.go).
	HTTPWaitBody
	// HTTPReject closes the client connection, answering nothing;
	// HTTPSilentDrop makes it vanish without telling the client
	// (connact.go).
	HTTPReject
	HTTPSilentDrop
	// HTTPStrictMode turns strict rewriting on or off (Value "off") for
	// the rules that follow (strictmode.go).
	HTTPStrictMode
	// HTTPCacheUse answers from Cache when it holds the response;
	// HTTPCacheStore keeps the response in Cache (cache.go).
	HTTPCacheUse
	HTTPCacheStore
)

// HTTPRule is one rule with literal values (log-format values are
// reported by the adapter as not acted on).
type HTTPRule struct {
	Action HTTPAction
	Cond   Cond // nil = always
	Name   string
	Value  string
	// Status is deny's `deny_status`, redirect's `code`, set-status's
	// status.
	Status int
	// Reason is set-status's reason phrase ("" = the standard one).
	Reason string
	// Location is a redirect's target when Redirect is nil.
	Location string
	// Do is HTTPDo's action.
	Do func(*Session)
	// Redirect is a full redirect rule.
	Redirect *Redirect
	// Reply is a deny/tarpit/return answer built from the rule's options
	// (nil = the error page of Status).
	Reply *Reply
	// Regex and Value (with \N back-references) for the replace-* actions.
	Regex *regexp.Regexp
	// Realm is the auth challenge's realm.
	Realm string
	// Tarpit is how long a tarpitted request is held.
	Tarpit time.Duration
	// Normalizer rewrites the URI for normalize-uri.
	Normalizer func([]byte) []byte
	// Tmpl computes Value per request when it holds `%[expr]` samples;
	// Expr is set-var's sample expression when it is not a constant.
	Tmpl *sample.Template
	Expr *sample.Expr
	// Body computes a return/deny lf-string payload per request, HdrTmpl
	// its `hdr` values that hold samples.
	Body    *sample.Template
	HdrTmpl []hdrTemplate
	// LF computes Value per request when it holds log-format variables.
	LF *logformat.Format
	// Wait is HTTPWaitBody's limits.
	Wait *BodyWait
	// Cache is the cache of HTTPCacheUse and HTTPCacheStore.
	Cache *httpcache.Cache
}

// hdrTemplate is the value of the Reply header at index, computed per
// request.
type hdrTemplate struct {
	index int
	tmpl  *sample.Template
}

// value is the rule's value for the current message.
func (h *httpConn) value(r *HTTPRule) string {
	switch {
	case r.LF != nil:
		return h.headerValue(r.LF)
	case r.Tmpl != nil:
		return r.Tmpl.String(h.sess)
	case r.Expr != nil:
		v, _ := r.Expr.String(h.sess)
		return v
	}
	return r.Value
}

// applies evaluates the rule's condition.
func (r *HTTPRule) applies(s *Session) bool { return r.Cond == nil || r.Cond(s) == True }

// runRules applies a proxy's http-request rules, then its legacy
// redirect rules (which an allow does not skip), to the current request.
// A non-zero status means the rules answered the request themselves
// (deny, redirect, return, auth, tarpit); keep then says whether the
// client connection goes on.
func (h *httpConn) runRules(rules, redirects []HTTPRule) (status int, keep bool) {
	st, keep := h.runRequestRules(rules)
	// A cache hit answers once the rules after its cache-use ran: a
	// later deny or redirect wins; the legacy redirects and the
	// backend's rules do not run, as with the reference.
	e := h.cache.found
	h.cache.found = nil
	switch {
	case st != 0:
		return st, keep
	case e != nil:
		return h.serveCached(h.cache.hit, e, h.cache.foundAt)
	}
	return h.runRequestRules(redirects)
}

func (h *httpConn) runRequestRules(rules []HTTPRule) (status int, keep bool) {
	h.softRewrite = false // strict by default, in each rule set
	for i := range rules {
		r := &rules[i]
		if !r.applies(h.sess) {
			continue
		}
		switch r.Action {
		case HTTPAllow:
			return 0, false
		case HTTPDeny, HTTPReturn, HTTPAuth, HTTPTarpit:
			h.countDenied(r)
			return h.answer(r)
		case HTTPUseService:
			return 200, h.servePrometheus()
		case HTTPRedirect:
			return h.redirectRequest(r)
		case HTTPEarlyHint:
			h.earlyHint(r, i+1 == len(rules) || rules[i+1].Action != HTTPEarlyHint)
		case HTTPDo:
			r.Do(h.sess)
		case HTTPWaitBody:
			if st := h.waitBody(r.Wait); st != 0 {
				return st, false
			}
		case HTTPReject, HTTPSilentDrop:
			return h.dropClient(r.Action == HTTPSilentDrop), false
		case HTTPStrictMode:
			h.softRewrite = r.Value == "off"
		case HTTPCacheUse:
			h.cacheUse(r.Cache)
		default:
			if st := h.rewriteChecked(r); st != 0 {
				return st, false
			}
		}
	}
	return 0, false
}

// earlyHint adds the rule's header to the 103 answer being built and
// sends it when last is set (the next rule is no early-hint), as the
// reference does; HTTP/1.0 clients get none.
func (h *httpConn) earlyHint(r *HTTPRule, last bool) {
	if h.req.Major < 1 || h.req.Major == 1 && h.req.Minor == 0 {
		return
	}
	if len(h.hints) == 0 {
		h.hints = append(h.hints, "HTTP/1.1 103 Early Hints\r\n"...)
		h.r.BytesOut += replySize(103, []byte("Early Hints"), nil, 0)
	}
	v := h.value(r)
	h.hints = appendLowerHeader(h.hints, []byte(r.Name), []byte(v))
	h.r.BytesOut += int64(len(r.Name) + len(v))
	if last {
		h.cli.Write(append(h.hints, '\r', '\n'))
		h.hints = h.hints[:0]
	}
}

// keepAfterAnswer tells whether the client connection persists after the
// proxy answered a request itself: the reference keeps it unless the
// client or the mode closes it or a request body is left unread. A body
// already in the buffer is skipped. Call it once per answer.
func (h *httpConn) keepAfterAnswer() bool {
	if !h.req.KeepAlive() || h.connMode() == HTTPClose {
		return false
	}
	switch h.req.Framing {
	case http1.BodyNone:
		return true
	case http1.BodyLength:
		if n := h.req.ContentLength; n <= int64(len(h.in.data())) {
			h.in.consume(int(n))
			h.r.BytesIn += n
			return true
		}
	case http1.BodyChunked:
		if h.skipBufferedChunked() {
			return true
		}
	}
	h.gaps.bodyLeft = true // the answer closes, and says so (httpgaps.go)
	return false
}

// answer runs a final rule that answers the request itself.
func (h *httpConn) answer(r *HTTPRule) (int, bool) {
	term := byte(termProxy)
	var rep *Reply
	// The log shows the rule's status, even when an errorfile answers
	// with another.
	status := ruleStatus(r, 403)
	switch r.Action {
	case HTTPDeny:
		h.sess.stk.denied = true // an error for the stick counters, whatever its status
		rep = h.ruleReply(r, 403)
	case HTTPReturn:
		term = 'L'
		h.sess.stk.returned = true // not an error for the stick counters
		rep = r.Reply
		status = ruleStatus(r, 200)
		if rep == nil {
			rep = &Reply{Status: 200, Reason: "OK", Headers: http1.Headers{hdr("content-length", "0")}}
		}
	case HTTPAuth:
		term, status = 'L', 401
		rep = authReply(h.errorPage(401), r.Realm)
	case HTTPTarpit:
		h.sess.stk.denied = true
		status = ruleStatus(r, 500)
		t := time.NewTimer(r.Tarpit)
		select {
		case <-t.C:
		case <-h.e.ctx.Done():
			t.Stop()
		}
		// The log shows the hold as queue time (%Tw), %TR as -1.
		h.r.TQueue = time.Since(h.hrec.Start)
		h.hrec.TReq = -1
		h.eraseRequest() // tarpiterase.go
		rep = h.ruleReply(r, 500)
		h.r.Term = [2]byte{termProxy, 'T'}
	}
	if h.r.Term[0] == termNone {
		h.r.Term = [2]byte{term, stateRequest}
	}
	rep = h.evalReply(r, rep)
	keep := h.keepAfterAnswer() && !rep.Close
	_, n := h.writeReply(rep, keep)
	h.r.BytesOut += n
	h.hrec.Status = status
	h.finishTimers()
	h.log()
	return status, keep
}

// evalReply computes the parts of a rule's answer that hold samples (an
// lf-string payload, hdr values) for the current message.
func (h *httpConn) evalReply(r *HTTPRule, rep *Reply) *Reply {
	if r.Body == nil && r.HdrTmpl == nil || rep == nil {
		return rep
	}
	dyn := *rep
	dyn.Headers = append(http1.Headers(nil), rep.Headers...)
	for _, ht := range r.HdrTmpl {
		dyn.Headers[ht.index].Value = ht.tmpl.Append(nil, h.sess)
	}
	dyn.Headers = dropEmptyComputed(dyn.Headers, r.HdrTmpl) // tarpiterase.go
	if r.Body != nil {
		dyn.Body = r.Body.Append(nil, h.sess)
		if i := dyn.Headers.Index("content-length", 0); i >= 0 {
			dyn.Headers[i].Value = []byte(strconv.Itoa(len(dyn.Body)))
		}
	}
	return &dyn
}

// ruleStatus is the status a final rule answers with: its own when the
// reference has a page for it, else def.
func ruleStatus(r *HTTPRule, def int) int {
	if r.Reply != nil && r.Status == 0 {
		return def
	}
	if r.Status == 0 || r.Reply == nil && !HandledStatus(r.Status) {
		return def
	}
	return r.Status
}

// ruleReply is the answer of a deny or tarpit rule.
func (h *httpConn) ruleReply(r *HTTPRule, def int) *Reply {
	if r.Reply != nil {
		return r.Reply
	}
	return h.errorPage(ruleStatus(r, def))
}

// authReply adds the Basic challenge to the 401 page.
func authReply(page *Reply, realm string) *Reply {
	rep := *page
	rep.Headers = append(append(http1.Headers(nil), page.Headers...),
		hdr("www-authenticate", `Basic realm="`+realm+`"`))
	return &rep
}
