package proxy

import (
	"time"

	"golang.org/x/sys/unix"

	"fulcrum/proxy/http1"
)

// Serving a kept-alive client connection inside its read call.
//
// Between two requests the usual path reads the client socket, finds it
// empty (the client is still reading the answer), parks until the
// netpoller says readable, and reads again: two receives per request where
// the reference makes one. The first one cannot simply be skipped: every
// read call on a Go connection starts by clearing the socket's readiness,
// so a request that came after the last read and before the new call would
// go unnoticed until the next one.
//
// serveInline therefore stays inside one read call (RawConn.Read) for as
// long as the client sends requests that arrive whole: the callback reads,
// serves every complete request it holds, and when the last read was
// shorter than the space it was given, which proves the socket was empty
// then (epoll(7)), returns false to wait for the next edge. No readiness is
// cleared in between, so nothing that arrives during an exchange can be
// missed, and each request costs one receive.
//
// An exchange served this way must not read the client again: only
// requests whose body (if any) is already buffered qualify, and anything
// else (a partial head once the socket is drained, chunked or
// still-arriving bodies, Expect, upgrades, CONNECT) leaves the call and
// takes the usual path. rawTCP.Read guards the rule (see readBlocking).

// inlineState is the state of serveInline's read call.
type inlineState struct {
	drained  bool      // the last read emptied the socket: wait for the next edge
	waitFrom time.Time // when the wait for the next request began
	firstAt  time.Time // when the next request's first bytes came (zero: none yet)
	armed    bool      // the deadline of this wait is set
	deadline bool      // a wait deadline was set: cleared on leaving
	ended    bool      // the connection is over
}

// headVerdict is what serveInline does with the buffered bytes.
type headVerdict int

const (
	headPartial headVerdict = iota // not a whole request yet: read more
	headServe                      // a whole request, served inside the read call
	headGeneral                    // served by the usual path
)

// serveInline serves client requests inside one read call on c until one
// needs the usual path (true: its bytes, if any, are in h.in, and
// h.waitFrom/h.firstAt hold its timings) or the connection is over
// (false).
func (h *httpConn) serveInline(c *rawTCP) bool {
	h.inl = inlineState{waitFrom: time.Now()}
	if h.onInline == nil {
		h.onInline = h.inlineStep
	}
	c.inline = true
	err := c.rawRead(h.onInline)
	c.inline = false
	if h.inl.deadline {
		c.SetReadDeadline(time.Time{})
	}
	if err != nil || h.inl.ended {
		// A deadline passed, the connection was closed (abort), or the
		// client left between requests: the connection ends quietly,
		// as on the usual path.
		return false
	}
	h.waitFrom, h.firstAt = h.inl.waitFrom, h.inl.firstAt
	return true
}

// inlineStep is serveInline's read callback (see there); false waits for
// the socket to become readable.
func (h *httpConn) inlineStep(fd uintptr) bool {
	s := &h.inl
	for {
		if h.in.r < h.in.w {
			switch h.inlineHead() {
			case headServe:
				if !h.serveBuffered(s) {
					s.ended = true
					return true
				}
				continue
			case headGeneral:
				return true
			}
		}
		if s.drained {
			s.drained = false
			if h.in.r < h.in.w {
				// A request begun but not whole: its timeouts are the
				// usual path's.
				return true
			}
			h.armInline(s)
			return false
		}
		if h.in.r > 0 {
			h.in.w = copy(h.in.b, h.in.b[h.in.r:h.in.w])
			h.in.r = 0
		}
		free := h.in.b[h.in.w:]
		if len(free) == 0 {
			return true // the usual path refuses the head
		}
		n, e := rawIO(unix.SYS_RECVFROM, fd, free)
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			h.cli.(*rawTCP).emptyReads++
			s.drained = true
			continue
		case e != 0 || n == 0:
			// Reset or closed: quietly over between requests; a partial
			// request is the usual path's to answer (it reads the end
			// again).
			s.ended = h.in.w == 0
			return true
		}
		if h.in.w == 0 {
			s.firstAt = time.Now()
		}
		h.in.w += n
		s.drained = n < len(free)
	}
}

// armInline sets the deadline of the wait for the next request: timeout
// http-keep-alive (else http-request, else client) from the end of the
// last exchange, as readRequest's.
func (h *httpConn) armInline(s *inlineState) {
	if s.armed {
		return
	}
	s.armed, s.deadline = true, true
	fc := h.fe.cfg
	wait := fc.HTTP.TimeoutRequest
	if wait <= 0 {
		wait = fc.TimeoutClient
	}
	if fc.HTTP.TimeoutKeepAlive > 0 {
		wait = fc.HTTP.TimeoutKeepAlive
	}
	var at time.Time
	if wait > 0 {
		at = s.waitFrom.Add(wait)
	}
	h.cli.SetReadDeadline(at)
}

// inlineHead parses the buffered head and tells whether its exchange can
// run without reading the client again.
func (h *httpConn) inlineHead() headVerdict {
	d := h.in.data()
	if _, err := h.req.Parse(d, &h.feOpts); err != nil {
		if err == http1.ErrIncomplete {
			return headPartial
		}
		return headGeneral // refused: the usual path answers
	}
	switch {
	case h.req.ExpectContinue(), h.req.Upgrade(), h.req.IsMethod("CONNECT"):
		return headGeneral
	case h.req.Framing == http1.BodyNone:
	case h.req.Framing == http1.BodyLength:
		if int64(len(d)-h.req.HeadLen) < h.req.ContentLength {
			return headPartial
		}
	default:
		return headGeneral
	}
	h.headParsed = true
	return headServe
}

// serveBuffered runs the exchange of the whole request in h.in; false
// ends the connection.
func (h *httpConn) serveBuffered(s *inlineState) bool {
	h.waitFrom, h.firstAt = s.waitFrom, s.firstAt
	s.armed = false // the next wait starts later
	keep := h.exchange()
	h.nreq++
	if !keep || h.e.isDraining() {
		return false
	}
	// The exchange ended when its timers were taken (log).
	now := h.hrec.Start.Add(h.hrec.TActive)
	if h.hrec.TActive <= 0 {
		now = time.Now()
	}
	s.waitFrom, s.firstAt = now, time.Time{}
	if h.in.r < h.in.w {
		s.firstAt = now // pipelined: the next request is already here
	}
	return true
}
