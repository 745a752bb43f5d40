package proxy

import "fulcrum/proxy/http1"

// A request head must fit the reference's HTX buffer (tune.bufsize): its
// payload (as htxRequestSize counts it) plus 8 bytes per block (the
// start line, each header, the end of headers) and the buffer's own
// header. A rewrite that would not fit fails: with strict-mode on (the
// default) the request gets a 500, with strict-mode off the rewrite is
// dropped and the request goes on; either way it counts in wrew.
const (
	htxBlockMeta  = 8
	htxBufferHead = 48
)

// headFits tells whether the request head fits the HTX buffer, with
// the part of its body already received.
func (h *httpConn) headFits() bool {
	size := htxRequestSize(&h.req) + int64(htxBlockMeta*(len(h.req.Headers)+2)) +
		bufferedBody(h.req.Framing, h.req.ContentLength, len(h.in.data()))
	return size <= int64(h.feOpts.Limits.BufSize-htxBufferHead)
}

// bufferedBody is the room a message's body already received takes in
// the HTX buffer: one data block (none for a message without a body,
// whose following bytes are the next message's).
func bufferedBody(framing http1.Framing, length int64, buffered int) int64 {
	n := int64(buffered)
	switch framing {
	case http1.BodyNone:
		return 0
	case http1.BodyLength:
		n = min(n, length)
	}
	if n == 0 {
		return 0
	}
	return htxBlockMeta + n
}

// growsHead tells whether a rule's action may make the head larger.
func growsHead(a HTTPAction) bool {
	switch a {
	case HTTPSetHeader, HTTPAddHeader, HTTPReplaceHeader, HTTPReplaceValue, HTTPSetPath, HTTPSetPathQ,
		HTTPSetQuery, HTTPSetURI, HTTPSetMethod, HTTPReplacePath, HTTPReplacePathQ, HTTPReplaceURI,
		HTTPNormalizeURI:
		return true
	}
	return false
}

// rewriteChecked applies a request rule; a rewrite that leaves the head
// too large is undone under strict-mode off, and otherwise answers 500,
// returned as the rules' status.
func (h *httpConn) rewriteChecked(r *HTTPRule) int {
	if !growsHead(r.Action) {
		h.rewriteRequest(r)
		return 0
	}
	var saved http1.Request
	if h.softRewrite {
		saved = h.req
		saved.Headers = append(http1.Headers(nil), h.req.Headers...)
	}
	h.rewriteRequest(r)
	if h.headFits() {
		return 0
	}
	h.fe.counters.FailedRewrites.Add(1)
	if h.be != nil && h.be.cfg.Name != h.fe.cfg.Name {
		h.be.counters.FailedRewrites.Add(1)
	}
	if h.softRewrite {
		h.req = saved
		return 0
	}
	h.hrec.TReq = -1 // the reference logs no %TR
	h.reply(500, termProxy, stateRequest)
	h.log()
	return 500
}

// responseRuleFits applies a response rule; false when it left the head
// larger than the buffer under strict-mode (the caller answers 500).
// Under strict-mode off (soft) such a rewrite is undone.
func (h *httpConn) responseRuleFits(r *HTTPRule, soft bool) bool {
	resp := &h.resp
	if !growsHead(r.Action) && r.Action != HTTPSetStatus {
		applyResponseRule(h, r, &resp.Status, &resp.Reason, &resp.Headers)
		return true
	}
	var saved http1.Response
	if soft {
		saved = *resp
		saved.Headers = append(http1.Headers(nil), resp.Headers...)
	}
	applyResponseRule(h, r, &resp.Status, &resp.Reason, &resp.Headers)
	size := htxSize(resp) + int64(htxBlockMeta*(len(resp.Headers)+2)) +
		bufferedBody(resp.Framing, resp.ContentLength, len(h.sin.data())-resp.HeadLen)
	if size <= int64(h.beOpts.Limits.BufSize-htxBufferHead) {
		return true
	}
	h.fe.counters.FailedRewrites.Add(1)
	if h.be != nil && h.be.cfg.Name != h.fe.cfg.Name {
		h.be.counters.FailedRewrites.Add(1)
	}
	if soft {
		*resp = saved
		return true
	}
	return false
}
