package proxy

import (
	"bytes"
	"net/netip"
	"strconv"

	"fulcrum/proxy/http1"
)

// Heads are written the way the reference's HTTP/1 output does: header
// names in lower case (its internal representation keeps them so), the
// Connection header rebuilt for the connection's own persistence, and
// everything else in arrival order.

// appendLowerHeader appends "name: value CRLF" with name in lower case.
func appendLowerHeader(dst, name, value []byte) []byte {
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

var (
	hdrConnection  = []byte("connection")
	valClose       = []byte("close")
	valKeepAlive   = []byte("keep-alive")
	valUpgrade     = []byte("upgrade")
	hdrXFF         = []byte("x-forwarded-for")
	hdrXOriginalTo = []byte("x-original-to")
)

var hdrContentLength = []byte("content-length")

// appendFields appends every header but Connection, with the framing
// headers as the reference's HTTP/1 output writes them: a chunked message
// loses its Content-Length (left in, it contradicts the chunking for the
// next hop: CL.TE smuggling), and repeated or listed equal Content-Length
// values become one header with the number. A 204 answer (noFraming)
// loses both framing headers, as it can have no body.
func appendFields(dst []byte, hs http1.Headers, framing http1.Framing, length int64, noFraming bool) []byte {
	wroteLength := false
	for i := range hs {
		switch {
		case isName(hs[i].Name, hdrConnection):
			continue
		case noFraming && (isName(hs[i].Name, hdrContentLength) || isName(hs[i].Name, hdrTransferEncoding)):
			continue
		case isName(hs[i].Name, hdrContentLength):
			if framing == http1.BodyChunked || wroteLength {
				continue
			}
			if framing == http1.BodyNone && length == 0 {
				// A HEAD (or 304) answer keeps the length of the body
				// it does not carry.
				dst = appendLowerHeader(dst, hs[i].Name, hs[i].Value)
				wroteLength = true
				continue
			}
			dst = append(dst, "content-length: "...)
			dst = strconv.AppendInt(dst, max(length, 0), 10)
			dst = append(dst, '\r', '\n')
			wroteLength = true
			continue
		}
		dst = appendLowerHeader(dst, hs[i].Name, hs[i].Value)
	}
	return dst
}

// isName reports whether a header's name is lower, a lower-case name,
// in any case. The length first: most names differ in it, and the head
// of every message is walked this way for each name it rewrites.
func isName(name, lower []byte) bool {
	return len(name) == len(lower) && bytes.EqualFold(name, lower)
}

var http11 = []byte("HTTP/1.1")

// requestProto is the version the request goes out with: the reference
// speaks HTTP/1.1 to the server for any 1.x request above 1.0.
func requestProto(r *http1.Request) []byte {
	if r.Proto != nil && r.Major == 1 && r.Minor > 1 {
		return http11
	}
	return r.Proto
}

// appendRequestHead writes the request head for the server: the request
// line, the headers, X-Forwarded-For when configured, and the Connection
// header this hop needs.
func (h *httpConn) appendRequestHead(dst []byte, be *backend) []byte {
	r := &h.req
	target, proto := h.serverLine(r)
	dst = http1.AppendRequestLine(dst, r.Method, target, proto)
	dst = appendFields(dst, r.Headers, r.Framing, r.ContentLength, false)
	dst = h.appendUniqueID(dst)
	dst = h.appendForwardFor(dst, be)
	dst = h.appendOriginalTo(dst, be)
	switch {
	case r.Upgrade():
		dst = appendLowerHeader(dst, hdrConnection, valUpgrade)
	case h.connMode() != KeepAlive && !h.fe.cfg.HTTP.PretendKeepAlive && !be.cfg.HTTP.PretendKeepAlive:
		// Closing is HTTP/1.0's default: only a 1.1 request says it.
		if r.Major > 1 || r.Major == 1 && r.Minor >= 1 {
			dst = appendLowerHeader(dst, hdrConnection, valClose)
		}
	case r.Major == 1 && r.Minor == 0 && r.Framing != http1.BodyChunked:
		// The server side persists even when a 1.0 client does not,
		// except after a chunked 1.0 request, which HTTP/1.1 says must
		// close the connection.
		dst = appendLowerHeader(dst, hdrConnection, valKeepAlive)
	}
	return append(dst, '\r', '\n')
}

// appendResponseHead writes the response head for the client; keep says
// whether the client connection persists after it.
func (h *httpConn) appendResponseHead(dst []byte, keep bool) []byte {
	r := &h.resp
	dst = http1.AppendStatusLine(dst, r.Proto, r.Status, r.Reason)
	dst = appendFields(dst, r.Headers, r.Framing, r.ContentLength, r.Status == 204)
	// The header says what the versions would not: closing is HTTP/1.0's
	// default, persisting HTTP/1.1's, and a 1.0 client or server needs
	// to be told the connection persists.
	req11 := h.req.Major > 1 || h.req.Major == 1 && h.req.Minor >= 1
	resp11 := r.Major > 1 || r.Major == 1 && r.Minor >= 1
	switch {
	case r.SwitchesProtocols():
		dst = appendLowerHeader(dst, hdrConnection, valUpgrade)
	case r.Interim():
	case !keep:
		if resp11 {
			dst = appendLowerHeader(dst, hdrConnection, valClose)
		}
	case !req11 || !resp11:
		dst = appendLowerHeader(dst, hdrConnection, valKeepAlive)
	}
	return append(dst, '\r', '\n')
}

// appendForwardFor adds the client address header of `option forwardfor`.
func (h *httpConn) appendForwardFor(dst []byte, be *backend) []byte {
	src := h.sess.Src.Addr().Unmap()
	ff := addrHeaderFor(h.fe.cfg.HTTP.ForwardFor, be.cfg.HTTP.ForwardFor, src)
	if ff == nil {
		return dst
	}
	name, hname := hdrXFF, "x-forwarded-for"
	if ff.Header != "" {
		name, hname = []byte(ff.Header), ff.Header
	}
	if ff.IfNone && h.req.Headers.Index(hname, 0) >= 0 {
		return dst
	}
	h.logBuf = src.AppendTo(h.logBuf[:0])
	return appendLowerHeader(dst, name, h.logBuf)
}

// appendOriginalTo adds the destination address header of `option
// originalto` (X-Original-To: the address the client connected to).
func (h *httpConn) appendOriginalTo(dst []byte, be *backend) []byte {
	to := h.sess.Dst.Addr().Unmap()
	ot := addrHeaderFor(h.fe.cfg.HTTP.OriginalTo, be.cfg.HTTP.OriginalTo, to)
	if ot == nil {
		return dst
	}
	name := hdrXOriginalTo
	if ot.Header != "" {
		name = []byte(ot.Header)
	}
	h.logBuf = to.AppendTo(h.logBuf[:0])
	return appendLowerHeader(dst, name, h.logBuf)
}

// addrHeaderFor picks the settings of an address header option
// (forwardfor, originalto) for addr: the backend's win over the
// frontend's; nil when neither has it or an `except` network of either
// covers addr.
func addrHeaderFor(fe, be *ForwardFor, addr netip.Addr) *ForwardFor {
	o := be
	if o == nil {
		o = fe
	}
	if o == nil {
		return nil
	}
	for _, x := range [...]*ForwardFor{fe, be} {
		if x != nil && x.Except.IsValid() && x.Except.Contains(addr) {
			return nil
		}
	}
	return o
}

// htxSize is what the reference counts in %B for a response head: its
// internal blocks' payload (a 20-byte start-line header, the start line's
// words, each header's name and value, one byte ending the head), not the
// bytes on the wire.
func htxSize(r *http1.Response) int64 {
	n := 20 + len(r.Proto) + len(r.Reason) + 1
	for s := r.Status; s > 0; s /= 10 {
		n++
	}
	return int64(n) + htxHeaderBytes(r.Headers)
}

// htxHeaderBytes is the HTX payload of a head's headers: names and
// values. The reference's parser consumes the close and keep-alive
// tokens of Connection; a Connection header with other tokens (Upgrade)
// stays with those.
func htxHeaderBytes(hs http1.Headers) int64 {
	n := 0
	for i := range hs {
		if !isName(hs[i].Name, hdrConnection) {
			n += len(hs[i].Name) + len(hs[i].Value)
		} else if kept := connectionKept(hs[i].Value); kept > 0 {
			n += len(hs[i].Name) + kept
		}
	}
	return int64(n)
}

// connectionKept is the length of a Connection value once the close and
// keep-alive tokens are taken out (the others joined by ", ").
func connectionKept(v []byte) int {
	n := 0
	for tok := range bytes.SplitSeq(v, []byte(",")) {
		tok = bytes.TrimSpace(tok)
		if len(tok) == 0 || bytes.EqualFold(tok, []byte("close")) || bytes.EqualFold(tok, []byte("keep-alive")) {
			continue
		}
		if n > 0 {
			n += 2
		}
		n += len(tok)
	}
	return n
}
