package proxy

import (
	"bytes"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/logformat"
	"fulcrum/proxy/sample"
)

// logScratch holds one client connection's captured headers and unique ID
// between a request's parse and its log line, in buffers kept across the
// connection's requests (slices taken before buf grows keep the old
// array, so they stay valid until the next request resets buf).
type logScratch struct {
	buf      []byte   // captured values and the unique ID, back to back
	req, res [][]byte // slices of buf, one per capture slot
	vals     logformat.Values
	tmp      []byte // a rule value being rendered
}

// capture copies the headers of hs named in caps into slots (the last
// occurrence wins, cut to the capture's length, as in the reference).
func (s *logScratch) capture(slots [][]byte, caps []Capture, hs http1.Headers) [][]byte {
	slots = slots[:0]
	for range caps {
		slots = append(slots, nil)
	}
	for i := range hs {
		for j, c := range caps {
			if c.Name == "" || !bytes.EqualFold(hs[i].Name, []byte(c.Name)) {
				continue
			}
			v := hs[i].Value
			if len(v) > c.Len {
				v = v[:c.Len]
			}
			start := len(s.buf)
			s.buf = append(s.buf, v...)
			slots[j] = s.buf[start:len(s.buf):len(s.buf)]
		}
	}
	return slots
}

// captureRequest runs once a request head is parsed: it writes the
// "Connect from" line of a frontend without a format, captures the
// configured request headers and builds the unique ID.
func (h *httpConn) captureRequest() {
	l := h.fe.cfg.Log
	if l == nil {
		return
	}
	h.e.logAccept(&h.r) // each request is a stream of its own
	s := &h.lf
	s.buf = s.buf[:0]
	if len(l.ReqCaptures) > 0 {
		s.req = s.capture(s.req, l.ReqCaptures, h.req.Headers)
		h.hrec.ReqCaptures = s.req
	}
	if len(l.ResCaptures) > 0 {
		// Empty slots until the response comes (the log of a request
		// without one shows "{|}").
		s.res = s.capture(s.res, l.ResCaptures, nil)
		h.hrec.ResCaptures = s.res
	}
	if l.UniqueID != nil {
		h.r.values(&s.vals)
		s.vals.Status, s.vals.Request = 0, h.hrec.Request
		start := len(s.buf)
		s.buf = l.UniqueID.Render(s.buf, &s.vals)
		h.hrec.UniqueID = s.buf[start:len(s.buf):len(s.buf)]
		s.vals = logformat.Values{}
	}
}

// captureResponse captures the configured response headers.
func (h *httpConn) captureResponse() {
	l := h.fe.cfg.Log
	if l == nil || len(l.ResCaptures) == 0 {
		return
	}
	h.lf.res = h.lf.capture(h.lf.res, l.ResCaptures, h.resp.Headers)
	h.hrec.ResCaptures = h.lf.res
}

// appendUniqueID adds `unique-id-header: ID` to a request head.
func (h *httpConn) appendUniqueID(dst []byte) []byte {
	l := h.fe.cfg.Log
	if l == nil || l.UniqueIDHeader == "" || h.hrec.UniqueID == nil {
		return dst
	}
	return appendLowerHeader(dst, []byte(l.UniqueIDHeader), h.hrec.UniqueID)
}

// htxRequestSize is what the reference counts in %U for a request head:
// its internal blocks' payload, as htxSize for a response (the
// Connection header, rebuilt per hop, left out).
func htxRequestSize(r *http1.Request) int64 {
	return int64(20+len(r.Method)+len(r.URI)+len(r.Proto)+1) + htxHeaderBytes(r.Headers)
}

// captureSample stores the value of x in a capture slot (a capture
// rule), cut to the slot's length.
func (h *httpConn) captureSample(x *sample.Expr, slot int, response bool) {
	l := h.fe.cfg.Log
	caps, slots := l.ReqCaptures, h.hrec.ReqCaptures
	if response {
		caps, slots = l.ResCaptures, h.hrec.ResCaptures
	}
	if slot >= len(slots) || slot >= len(caps) {
		return
	}
	start := len(h.lf.buf)
	out, ok := x.AppendString(h.lf.buf, h.sess)
	if !ok {
		return
	}
	if len(out)-start > caps[slot].Len {
		out = out[:start+caps[slot].Len]
	}
	h.lf.buf = out
	slots[slot] = out[start:len(out):len(out)]
}
