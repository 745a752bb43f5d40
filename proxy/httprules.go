package proxy

import "fulcrum/proxy/http1"

// HTTPAction is what an http-request rule does.
type HTTPAction uint8

// http-request actions.
const (
	// HTTPAllow stops rule evaluation and lets the request through.
	HTTPAllow HTTPAction = iota
	// HTTPDeny answers Status (403 by default) and closes.
	HTTPDeny
	// HTTPRedirect answers Status (302 by default) with Location.
	HTTPRedirect
	// HTTPSetHeader replaces every Name header by one with Value.
	HTTPSetHeader
	// HTTPAddHeader appends a Name header with Value.
	HTTPAddHeader
	// HTTPDelHeader removes every Name header.
	HTTPDelHeader
	// HTTPDo calls Do (track-sc, sc-inc-gpc0, ...) and goes on.
	HTTPDo
)

// HTTPRule is one `http-request` rule with a literal value (log-format
// values are not compiled yet: the adapter warns about them).
type HTTPRule struct {
	Action HTTPAction
	Cond   Cond // nil = always
	Name   string
	Value  string
	// Status is deny's `deny_status` or redirect's `code`.
	Status int
	// Location is a redirect's target.
	Location string
	// Do is HTTPDo's action.
	Do func(*Session)
}

// runRules applies http-request rules to the current request. A non-zero
// status means the rules answered the request themselves (deny,
// redirect); keep then says whether the client connection goes on.
func (h *httpConn) runRules(rules []HTTPRule) (status int, keep bool) {
	for i := range rules {
		r := &rules[i]
		if r.Cond != nil && r.Cond(h.sess) != True {
			continue
		}
		switch r.Action {
		case HTTPAllow:
			return 0, false
		case HTTPDeny:
			st := r.Status
			if st == 0 {
				st = 403
			}
			if builtinPages[st] == nil {
				st = 403
			}
			h.r.Term = [2]byte{termProxy, stateRequest}
			h.reply(st, termProxy, stateRequest)
			h.log()
			// The reference keeps the connection after a deny; one
			// with a request body unread is closed here.
			return st, h.req.Framing == http1.BodyNone && h.req.KeepAlive()
		case HTTPRedirect:
			return h.redirect(r), h.req.Framing == http1.BodyNone && h.req.KeepAlive()
		case HTTPSetHeader:
			h.req.Headers.Del(r.Name)
			h.req.Headers = append(h.req.Headers, http1.Header{Name: []byte(r.Name), Value: []byte(r.Value)})
		case HTTPAddHeader:
			h.req.Headers = append(h.req.Headers, http1.Header{Name: []byte(r.Name), Value: []byte(r.Value)})
		case HTTPDelHeader:
			h.req.Headers.Del(r.Name)
		case HTTPDo:
			r.Do(h.sess)
		}
	}
	return 0, false
}

// redirectReasons are the reference's reason phrases for redirect codes.
var redirectReasons = map[int]string{301: "Moved Permanently", 302: "Found", 303: "See Other",
	307: "Temporary Redirect", 308: "Permanent Redirect"}

// redirect answers a redirect rule as the reference does (the connection
// persists).
func (h *httpConn) redirect(r *HTTPRule) int {
	st := r.Status
	if redirectReasons[st] == "" {
		st = 302
	}
	h.out = http1.AppendStatusLine(h.out[:0], []byte("HTTP/1.1"), st, []byte(redirectReasons[st]))
	h.out = append(h.out, "content-length: 0\r\nlocation: "...)
	h.out = append(h.out, r.Location...)
	h.out = append(h.out, "\r\n\r\n"...)
	h.cli.Write(h.out)
	// %B as the reference counts it: start line, two headers, end.
	h.r.BytesOut = int64(20+len("HTTP/1.1")+3+len(redirectReasons[st])+len("content-length0location")+len(r.Location)) + 1
	h.hrec.Status = st
	h.r.Term = [2]byte{'L', stateRequest}
	h.finishTimers()
	h.log()
	return st
}
