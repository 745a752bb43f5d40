package proxy

import "fulcrum/proxy/http1"

// A message must fit the reference's HTX buffer (tune.bufsize): its head
// (the payload htxRequestSize/htxSize count, plus 8 bytes per block: the
// start line, each header, the end of headers), the part of its body
// already received (one data block), and the buffer's own header. The
// body never takes the last tune.maxrewrite bytes: they stay free for
// rewrites. A rewrite that does not fit fails: with strict-mode on (the
// default) the message is answered with a 500, with strict-mode off the
// rewrite is dropped; either way it counts in wrew.
const (
	htxBlockMeta  = 8
	htxBufferHead = 48
)

// htxRoom measures a message in the HTX buffer, for one rewrite.
type htxRoom struct {
	lim  http1.Limits
	body int64 // the received body's data block, as it stood before the rewrite
}

// newHTXRoom takes the measure before a rewrite: head is the head's size
// then, buffered the body bytes received (framing and length tell which
// are the message's).
func newHTXRoom(lim http1.Limits, head int64, framing http1.Framing, length int64, buffered int) htxRoom {
	n := int64(buffered)
	switch framing {
	case http1.BodyNone:
		n = 0 // what follows is the next message
	case http1.BodyLength:
		n = min(n, length)
	}
	if n > 0 {
		n += htxBlockMeta
	}
	// The body filled the buffer up to the rewrite reserve at most.
	n = max(0, min(n, int64(lim.BufSize-lim.MaxRewrite)-head))
	return htxRoom{lim: lim, body: n}
}

// fits tells whether a head of this size fits beside the body.
func (r htxRoom) fits(head int64) bool {
	return head+r.body <= int64(r.lim.BufSize-htxBufferHead)
}

// requestHead and responseHead are a head's size in the HTX buffer.
func requestHead(q *http1.Request) int64 {
	return htxRequestSize(q) + int64(htxBlockMeta*(len(q.Headers)+2))
}

func responseHead(p *http1.Response) int64 {
	return htxSize(p) + int64(htxBlockMeta*(len(p.Headers)+2))
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
	room := newHTXRoom(h.feOpts.Limits, requestHead(&h.req), h.req.Framing, h.req.ContentLength, len(h.in.data()))
	h.rewriteRequest(r)
	if room.fits(requestHead(&h.req)) {
		return 0
	}
	h.countStream(func(c *Counters) { c.FailedRewrites.Add(1) })
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
	room := newHTXRoom(h.beOpts.Limits, responseHead(resp), resp.Framing, resp.ContentLength, len(h.sin.data())-resp.HeadLen)
	applyResponseRule(h, r, &resp.Status, &resp.Reason, &resp.Headers)
	if room.fits(responseHead(resp)) {
		return true
	}
	h.countStream(func(c *Counters) { c.FailedRewrites.Add(1) })
	if soft {
		*resp = saved
		return true
	}
	return false
}
