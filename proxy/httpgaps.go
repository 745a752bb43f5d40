package proxy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/sample"
)

// The pieces of http mode that sit beside the data path: the request
// body seen by rules (wait-for-body, option http-buffer-request and the
// req.body fetches), tcp-request content rules run on each parsed
// request, the capture fetches, and option logasap.

// BodyWait is how an HTTPWaitBody rule waits for the request body.
type BodyWait struct {
	// Time bounds the wait from the rule's start (wait-for-body time).
	Time time.Duration
	// AtLeast ends the wait once that many body bytes are in (0: none).
	AtLeast int64
	// FromRequest is option http-buffer-request: the wait is bounded by
	// timeout http-request (else timeout client) from the request's
	// first byte, and Time is unused.
	FromRequest bool
}

// gapState is one request's state for these pieces.
type gapState struct {
	headAt      int  // offset of the request head in the client buffer
	reads       int  // reads that brought body bytes (one buffer block each in the reference)
	loggedEarly bool // the request's line went out at the response head (logasap)
	bodyLeft    bool // the proxy answered before the request body was in: the connection closes
	dec         http1.ChunkedDecoder
	chunks      []byte // a chunked body's data, decoded for the fetches
}

var (
	_ sample.BodyEnv    = (*Session)(nil)
	_ sample.CaptureEnv = (*Session)(nil)
	_ sample.HTXEnv     = (*Session)(nil)
)

// startRequest runs once a request head is parsed, before the head leaves
// the client buffer: it notes where the head and its body are, and runs
// the frontend's tcp-request content rules, which in http mode see each
// request, once, their tracking lasting the request (false: a reject rule
// closed the connection).
func (h *httpConn) startRequest() bool {
	h.gaps.headAt, h.gaps.reads, h.gaps.bodyLeft = h.in.r, 0, false
	h.sess.endTransaction()
	if len(h.in.data()) > h.req.HeadLen {
		h.gaps.reads = 1
	}
	h.sess.stk.inRequest = true
	if rules := h.fe.cfg.ContentRules; len(rules) > 0 && !runRules(rules, h.sess) {
		h.contentReject()
		return false
	}
	return true
}

// contentReject closes the connection as the reference does when a
// tcp-request content rule rejects an HTTP request: nothing is answered
// and the line shows no request, status -1 and PR--.
func (h *httpConn) contentReject() {
	h.fe.counters.Denied.Add(1)
	h.lc.countListener(func(c *Counters) { c.Denied.Add(1) })
	h.hrec.Request = append(h.hrec.Request[:0], "<BADREQ>"...)
	h.hrec.ReqCaptures, h.hrec.ResCaptures = nil, nil
	h.hrec.Status, h.hrec.TReq = -1, -1
	h.r.Term = [2]byte{termProxy, stateRequest}
	h.log()
}

// headEnd is the offset just past the request head in the client buffer.
func (h *httpConn) headEnd() int { return h.gaps.headAt + h.req.HeadLen }

// bodyCapacity is how many body bytes the reference's request buffer
// holds beside this head: the buffer less the rewrite reserve, its
// internal header (72 bytes), the head's blocks (8 bytes each, plus
// their payload) and one more block per read that brought body bytes
// (and one for a chunked body).
func (h *httpConn) bodyCapacity() int {
	l := h.feOpts.Limits
	n := l.BufSize - l.MaxRewrite - 72 - int(htxRequestSize(&h.req))
	for i := range h.req.Headers {
		if !bytes.EqualFold(h.req.Headers[i].Name, hdrConnection) {
			n -= 8
		}
	}
	if h.gaps.reads > 1 {
		n -= 8 * (h.gaps.reads - 1)
	}
	if h.req.Framing == http1.BodyChunked {
		n -= 8
	}
	return max(n, 0)
}

// bufferedBody returns the request body bytes in the client buffer
// (decoded when chunked, cut to what the reference's buffer would hold),
// the body's size as known, and whether the whole body is in. Once a
// response arrived the body has been forwarded: there is none.
func (h *httpConn) bufferedBody() (body []byte, size int64, complete bool) {
	if h.resp.Status != 0 {
		return nil, 0, true
	}
	// The body starts past the head, which tcp-request content rules
	// see still in the buffer.
	var d []byte
	if start := max(h.in.r, h.headEnd()); start <= h.in.w {
		d = h.in.b[start:h.in.w]
	}
	switch h.req.Framing {
	case http1.BodyLength:
		n := int64(len(d))
		if n >= h.req.ContentLength {
			n, complete = h.req.ContentLength, true
		}
		body, size = d[:n], h.req.ContentLength
	case http1.BodyChunked:
		body, size, complete = decodeBuffered(&h.gaps.dec, &h.gaps.chunks, d, h.feOpts.AcceptInvalid)
	default:
		return nil, 0, true
	}
	if c := h.bodyCapacity(); len(body) > c {
		body = body[:c]
	}
	return body, size, complete
}

// waitBody reads the request body into the client buffer until it is
// complete, w.AtLeast bytes are in, the reference's buffer would be full,
// or time runs out (a 408 answer). It returns 0 to go on, else the status
// of the answer that ended the request (-1 when the client left).
func (h *httpConn) waitBody(w *BodyWait) int {
	if h.req.Framing != http1.BodyLength && h.req.Framing != http1.BodyChunked {
		return 0
	}
	// Body bytes are read after the head, which h.req points into: an
	// empty buffer restarts past the head, not at its start.
	if h.in.r == h.in.w {
		h.in.r, h.in.w = h.headEnd(), h.headEnd()
	}
	until := time.Now().Add(w.Time)
	if w.FromRequest {
		to := h.fe.cfg.HTTP.TimeoutRequest
		if to <= 0 {
			to = h.fe.cfg.TimeoutClient
		}
		until = time.Time{}
		if to > 0 {
			until = h.hrec.Start.Add(max(h.hrec.TIdle, 0) + to)
		}
	}
	h.cli.SetReadDeadline(until)
	defer h.cli.SetReadDeadline(time.Time{})
	h.continueBody()
	for {
		body, _, complete := h.bufferedBody()
		if complete || w.AtLeast > 0 && int64(len(body)) >= w.AtLeast ||
			len(body) >= h.bodyCapacity() || h.in.w == len(h.in.b) {
			break
		}
		n, err := h.cli.Read(h.in.b[h.in.w:])
		if n > 0 {
			h.in.w += n
			h.gaps.reads++
			continue
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			break // the client sent all it will: the rules see that
		}
		h.hrec.TReq = -1
		if errors.Is(err, os.ErrDeadlineExceeded) {
			h.r.Term = [2]byte{termClientTimeout, stateRequest}
			h.reply(http1.StatusTimeout, termClientTimeout, stateRequest)
			h.log()
			return http1.StatusTimeout
		}
		h.r.Term = [2]byte{termClientAbort, stateRequest}
		h.finishTimers()
		h.log()
		return -1
	}
	if h.hrec.TReq >= 0 {
		// %TR ends once the body is in.
		h.hrec.TReq = time.Since(h.hrec.Start.Add(max(h.hrec.TIdle, 0)))
	}
	return 0
}

// continueBody answers an HTTP/1.1 client waiting for a 100 Continue
// before it sends the body the proxy now waits for, as the reference
// does: the interim answer goes out (counted in %B) and the Expect
// header is dropped, its job done.
func (h *httpConn) continueBody() {
	if !h.req.ExpectContinue() || h.req.Major < 1 || h.req.Major == 1 && h.req.Minor == 0 {
		return
	}
	if _, _, complete := h.bufferedBody(); complete {
		return
	}
	h.cli.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	h.r.BytesOut += replySize(100, []byte("Continue"), nil, 0)
	h.req.Headers.Del("expect")
	h.req.Flags &^= http1.FlagExpectContinue
}

// RequestBody is the request body buffered so far (req.body fetches).
func (s *Session) RequestBody() ([]byte, int64) {
	if s.http == nil {
		return nil, 0
	}
	b, size, _ := s.http.bufferedBody()
	return b, size
}

// HTXLength is req.len in http mode: the reference's internal size of
// the request (head and buffered body), not its bytes on the wire.
func (s *Session) HTXLength() (int64, bool) {
	if s.http == nil {
		return 0, false
	}
	b, _, complete := s.http.bufferedBody()
	n := htxRequestSize(&s.http.req) + int64(len(b))
	if complete && s.http.req.Framing == http1.BodyChunked {
		n++ // the end-of-trailers block
	}
	return n, true
}

// CapturedLine is the request line as logged.
func (s *Session) CapturedLine() []byte {
	if s.http == nil || len(s.http.hrec.Request) == 0 || string(s.http.hrec.Request) == "<BADREQ>" {
		return nil
	}
	return s.http.hrec.Request
}

// CapturedSlot reads a request or response capture slot.
func (s *Session) CapturedSlot(res bool, i int) ([]byte, bool) {
	if s.http == nil {
		return nil, false
	}
	slots := s.http.hrec.ReqCaptures
	if res {
		slots = s.http.hrec.ResCaptures
	}
	if i >= len(slots) || slots[i] == nil {
		return nil, false
	}
	return slots[i], true
}

// logEarly writes the request's line as soon as the response head went
// to the client, for option logasap: the total time and the bytes sent
// are those so far (the line marks them with '+'), the termination state
// is not known yet, no request byte is counted yet, and the server's
// connection is still counted.
func (h *httpConn) logEarly() {
	l := h.fe.cfg.Log
	if l == nil || !l.ASAP || h.e.opts.AccessLog == nil {
		return
	}
	h.hrec.TActive = time.Since(h.hrec.Start)
	h.r.TTotal = h.hrec.TActive
	saved := h.r
	h.hrec.ASAP = true
	h.r.BytesIn, h.r.Term = 0, [2]byte{termNone, termNone}
	h.r.ActConn, h.r.FeConn = h.e.active.Load(), h.fe.counters.Cur.Load()
	if h.be != nil {
		h.r.BeConn = h.be.counters.Cur.Load()
		if s := h.be.byName[h.r.Server]; s != nil {
			h.r.SrvConn = s.state.counters.Cur.Load()
		}
	}
	h.e.opts.AccessLog(&h.r)
	h.r = saved
	h.hrec.ASAP, h.hrec.TActive = false, 0
	h.gaps.loggedEarly = true
}

// loggedEarly reports (once) whether the request's line already went out
// (logasap): the final one is then not written.
func (h *httpConn) loggedEarly() bool {
	done := h.gaps.loggedEarly
	h.gaps.loggedEarly = false
	return done
}

// endTransaction drops the variables of the previous request's
// transaction (txn, req and res scopes) before the next request.
func (s *Session) endTransaction() {
	for k := range s.vars {
		if strings.HasPrefix(k, "txn.") || strings.HasPrefix(k, "req.") || strings.HasPrefix(k, "res.") {
			delete(s.vars, k)
		}
	}
}

// skipBufferedChunked drops a chunked request body that is wholly in the
// client buffer (as after a body wait), so the connection can serve the
// next request; false when it is not all there (or is malformed).
func (h *httpConn) skipBufferedChunked() bool {
	d := h.in.data()
	dec := http1.ChunkedDecoder{AcceptInvalid: h.feOpts.AcceptInvalid}
	n, err := dec.Scan(d)
	if err != nil || !dec.Done() {
		return false
	}
	h.in.consume(n)
	h.r.BytesIn += int64(n)
	return true
}

// lingerTime bounds how long a connection closed with a request body
// left unread is drained.
const lingerTime = 500 * time.Millisecond

// lingerClose ends a connection the proxy answered before the request
// body was in without resetting it: the client's unread bytes would make
// the close a reset that can destroy the answer in flight. The write side
// is shut, and what the client still sends is read and dropped for a
// while, as the reference does.
func (h *httpConn) lingerClose() {
	if !h.gaps.bodyLeft {
		return
	}
	h.gaps.bodyLeft = false
	cw, ok := h.cli.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	h.cli.SetReadDeadline(time.Now().Add(lingerTime))
	for {
		if _, err := h.cli.Read(h.in.b); err != nil {
			break
		}
	}
	h.cli.SetReadDeadline(time.Time{})
}

// backendContent runs the chosen backend's tcp-request content rules on
// the request; a reject closes the connection, logged with the request,
// status -1 and PR-- (false).
func (h *httpConn) backendContent() bool {
	rules := h.be.cfg.ContentRules
	if len(rules) == 0 || runRules(rules, h.sess) {
		return true
	}
	h.be.counters.Denied.Add(1)
	h.hrec.Status, h.hrec.TReq = -1, -1
	h.r.Term = [2]byte{termProxy, stateRequest}
	h.log()
	return false
}

var _ sample.ResponseBodyEnv = (*Session)(nil)

// ResponseBody is the response body that came with the response head,
// while the head is still in the server buffer (the response rules):
// decoded when chunked, cut to what the reference's buffer would hold.
func (s *Session) ResponseBody() ([]byte, int64, bool) {
	h := s.http
	if h == nil || h.resp.Status == 0 || len(h.resp.Proto) == 0 {
		return nil, 0, false
	}
	// The head is still there when the status line's first byte is the
	// buffer's first unread one (same array, same capacity left).
	if h.sin.r >= h.sin.w || cap(h.resp.Proto) != cap(h.sin.b[h.sin.r:]) {
		return nil, 0, false
	}
	d := h.sin.b[h.sin.r+h.resp.HeadLen : h.sin.w]
	var body []byte
	var size int64
	switch h.resp.Framing {
	case http1.BodyLength:
		body, size = d[:min(int64(len(d)), h.resp.ContentLength)], h.resp.ContentLength
	case http1.BodyChunked:
		body, size, _ = decodeBuffered(&h.gaps.dec, &h.gaps.chunks, d, h.beOpts.AcceptInvalid)
	case http1.BodyUntilClose:
		body, size = d, int64(len(d))
	}
	l := h.beOpts.Limits
	c := l.BufSize - l.MaxRewrite - 72 - int(htxSize(&h.resp))
	for i := range h.resp.Headers {
		if !bytes.EqualFold(h.resp.Headers[i].Name, hdrConnection) {
			c -= 8
		}
	}
	if h.resp.Framing == http1.BodyChunked {
		c -= 8
	}
	if c = max(c, 0); len(body) > c {
		body = body[:c]
	}
	return body, size, true
}

// decodeBuffered decodes the chunked body bytes in d into *out: the data
// so far, its size with what the current chunk still announces, and
// whether the body is complete.
func decodeBuffered(dec *http1.ChunkedDecoder, out *[]byte, d []byte, acceptInvalid bool) ([]byte, int64, bool) {
	*dec = http1.ChunkedDecoder{AcceptInvalid: acceptInvalid}
	*out = (*out)[:0]
	for off := 0; off < len(d) && !dec.Done(); {
		n, data, err := dec.Decode(d[off:])
		if err != nil || n == 0 {
			break
		}
		*out = append(*out, data...)
		off += n
	}
	return *out, int64(len(*out)) + dec.ChunkRemaining(), dec.Done()
}
