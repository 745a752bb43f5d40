package proxy

import (
	"net"
	"slices"
	"strconv"
	"time"
)

// RetryOn is the set of failures `retry-on` retries in http mode.
// Without the directive only connection failures are, as in tcp mode.
type RetryOn struct {
	ConnFailure     bool // the connection to the server failed
	EmptyResponse   bool // the server closed without a byte of answer
	JunkResponse    bool // the server's answer did not parse
	ResponseTimeout bool // the server did not answer within timeout server
	Statuses        []int
}

// retryOn reads retry-on's keywords (checked by the model): a directive
// replaces any earlier one. It is ignored outside http mode, as the
// reference ignores it.
func retryOn(words []string, http bool) *RetryOn {
	if !http {
		return nil
	}
	r := &RetryOn{}
	for _, w := range words {
		switch w {
		case "conn-failure":
			r.ConnFailure = true
		case "empty-response":
			r.EmptyResponse = true
		case "junk-response":
			r.JunkResponse = true
		case "response-timeout":
			r.ResponseTimeout = true
		case "all-retryable-errors":
			r.ConnFailure, r.EmptyResponse, r.JunkResponse, r.ResponseTimeout = true, true, true, true
			r.Statuses = append(r.Statuses, 500, 502, 503, 504)
		default: // a status ("none" and 0rtt-rejected add nothing: no early data is taken)
			if st, err := strconv.Atoi(w); err == nil {
				r.Statuses = append(r.Statuses, st)
			}
		}
	}
	return r
}

// retriesConnFailures tells whether connection failures are retried.
func (b *backend) retriesConnFailures() bool {
	return b.cfg.RetryOn == nil || b.cfg.RetryOn.ConnFailure
}

// l7Retryable tells whether the outcome of a request sent to a server
// is one retry-on retries: status is awaitResponse's (-2 nothing came,
// 502 an answer that did not parse, 504 none in time) or 0 with the
// response head parsed, whose status then counts.
func (h *httpConn) l7Retryable(be *backend, status int, term [2]byte) bool {
	r := be.cfg.RetryOn
	if r == nil {
		return false
	}
	switch {
	case status == -2:
		return r.EmptyResponse
	case status == 504:
		return r.ResponseTimeout
	case status == 502:
		return r.JunkResponse && term[1] == 'H'
	case status == 0:
		return slices.Contains(r.Statuses, h.resp.Status)
	}
	return false
}

// l7Retry readies a retry of the request after a retryable failure on
// srv: the same server or, when the redispatch rules say so, another one,
// and a new connection to it. next is the server whose slot the request
// now holds (nil: none); ok is false when no connection could be made.
func (h *httpConn) l7Retry(be *backend, srv *server) (conn net.Conn, next *server, ok bool) {
	h.r.Retries++
	be.countRetry(srv)
	next = srv
	be.detach(srv, h.lc)
	if be.shouldRedispatch(srv, h.r.Retries) {
		be.release(srv)
		s, err := be.redispatch(h.e.ctx, h.sess, srv, &h.r)
		if err != nil {
			return nil, nil, false
		}
		next = s
	}
	// The attempt that failed counts as waiting (%Tw), the new
	// connection as %Tc, as the reference logs a retried request.
	start := time.Now()
	h.r.TQueue = start.Sub(h.r.Accept)
	h.r.Server, h.r.SrvAddr = next.cfg.Name, next.addr()
	countConnect(be, next, false)
	c, err := h.dialNew(h.e.ctx, next)
	if err != nil || !h.lc.setServer(c) {
		if c != nil {
			c.Close()
		}
		return nil, next, false
	}
	h.r.TConnect = time.Since(start)
	h.r.noteBackendSrc(c)
	be.attach(next, h.lc)
	h.reused = false
	return c, next, true
}

// keepReplay keeps a copy of the request as it went to the server, for
// retry-on, when all of it went in one piece (a body that arrived with
// the head included: what fits the reference's buffer). It tells
// whether the request can be sent again.
func (h *httpConn) keepReplay(be *backend, bodyless bool) bool {
	if be.cfg.RetryOn == nil || h.req.ExpectContinue() || !bodyless && !h.headPending {
		return false
	}
	h.replay = append(h.replay[:0], h.out...)
	return true
}

// resendRequest sends the kept copy of the request on a new connection.
func (h *httpConn) resendRequest(conn net.Conn) error {
	if _, raw := conn.(*rawTCP); raw {
		h.out = append(h.out[:0], h.replay...)
		h.headPending = true // readResponse sends it (rawTCP.SendRecv)
		return nil
	}
	if _, err := conn.Write(h.replay); err != nil {
		return &bodyErr{err: err}
	}
	return nil
}
