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

// headFits tells whether the request head fits the HTX buffer.
func (h *httpConn) headFits() bool {
	size := htxRequestSize(&h.req) + int64(htxBlockMeta*(len(h.req.Headers)+2))
	return size <= int64(h.feOpts.Limits.BufSize-htxBufferHead)
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
