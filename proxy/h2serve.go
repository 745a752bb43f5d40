package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"fulcrum/proxy/h2"
	"fulcrum/proxy/http1"
)

// HTTP/2 towards clients. A connection of an http-mode frontend whose
// first bytes are the HTTP/2 preface (after ALPN h2, on a `proto h2` bind,
// or with prior knowledge on a clear-text bind, as the reference accepts)
// is served by package h2; each of its streams then runs through the
// same request pipeline as an HTTP/1.1 connection carrying one request
// (serveHTTP), through h2StreamConn: the stream's head rebuilt as an
// HTTP/1.1 request for the pipeline to read, and the HTTP/1.1 response
// the pipeline writes turned into HEADERS and DATA frames.

// h2PrefaceLine is the part of the preface that an HTTP/1 parser sees as
// a request head.
const h2PrefaceLine = "PRI * HTTP/2.0\r\n\r\n"

// isH2Preface reports whether a connection's first bytes start the
// HTTP/2 preface.
func isH2Preface(b []byte) bool {
	return len(b) >= len(h2PrefaceLine) && string(b[:len(h2PrefaceLine)]) == h2PrefaceLine
}

// serveH2 runs the client connection as HTTP/2; the preface is in h.in.
func (h *httpConn) serveH2() {
	pre := bytes.Clone(h.in.data())
	h.in.consume(len(pre))
	e, rt, fe, lc, sess, conn := h.e, h.rt, h.fe, h.lc, h.sess, h.conn
	idle := fe.cfg.TimeoutClient
	opts := h2.Options{Settings: rt.cfg.H2, IdleTimeout: idle, Draining: e.isDraining,
		BadRequest: func() { e.logH2BadRequest(rt, fe, sess, conn) }}
	h2.Serve(h.cli, pre, opts, func(st *h2.Stream) {
		e.serveH2Stream(rt, fe, lc, sess, conn, st)
	})
}

// serveH2Stream runs one stream through the HTTP/1.1 pipeline.
func (e *Engine) serveH2Stream(rt *runtime, fe *frontend, outer *liveConn, sess *Session, conn *Record, st *h2.Stream) {
	ss := &Session{Frontend: sess.Frontend, Src: sess.Src, Dst: sess.Dst, Engine: e, tls: sess.tls, proxyHeader: sess.proxyHeader}
	sc := newH2StreamConn(st, outer.cli)
	lc := &liveConn{cli: sc, fe: fe.cfg.Name, start: time.Now(), li: outer.li}
	rec := &Record{Client: conn.Client, Accept: time.Now(), Frontend: fe.cfg.Name,
		TQueue: -1, TConnect: -1, Term: [2]byte{termNone, stateNone}, Log: fe.cfg.Log, Listener: conn.Listener, sess: ss}
	e.serveHTTP(rt, fe, lc, ss, sc, nil, rec)
	sc.finish()
}

// logH2BadRequest logs a stream refused for its head as the reference
// does: "<BADREQ>", no status, PR--.
func (e *Engine) logH2BadRequest(rt *runtime, fe *frontend, sess *Session, conn *Record) {
	ss := &Session{Frontend: sess.Frontend, Src: sess.Src, Dst: sess.Dst, Engine: e, tls: sess.tls, proxyHeader: sess.proxyHeader}
	h := &httpConn{e: e, rt: rt, fe: fe, sess: ss, conn: conn}
	now := time.Now()
	h.hrec = HTTPRecord{Start: now, TReq: -1, TResp: -1, Request: []byte("<BADREQ>")}
	h.r = Record{Client: conn.Client, Accept: now, Frontend: fe.cfg.Name, TQueue: -1, TConnect: -1,
		Term: [2]byte{termProxy, stateRequest}, HTTP: &h.hrec, Log: fe.cfg.Log, Listener: conn.Listener, sess: ss}
	h.log()
}

// A stream's reads end as a connection's would.
var (
	h2EOF        = io.EOF
	errH2Timeout = os.ErrDeadlineExceeded
)

// h2HopHeaders are the response fields HTTP/2 does not carry.
var h2HopHeaders = []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}

// isH2Stream reports whether c is an HTTP/2 client's stream.
func isH2Stream(c net.Conn) bool {
	_, ok := c.(*h2StreamConn)
	return ok
}

// h2StreamConn presents one HTTP/2 stream to the pipeline as a client
// connection carrying one HTTP/1.1 request.
type h2StreamConn struct {
	st    *h2.Stream
	outer net.Conn

	// request side: pending holds bytes to return before any more of
	// the body (the head, chunk framing).
	pending  []byte
	chunked  bool  // the body goes out re-encoded as chunks
	framing  int64 // chunk framing bytes made up so far
	reqDone  bool  // the whole request was read
	scratch  []byte
	dlMu     sync.Mutex // deadline is set from the body forwarder too
	deadline time.Time

	// response side
	opts     http1.Options
	method   []byte
	resp     http1.Response
	head     []byte // response bytes until a head is whole
	inBody   bool
	body     http1.Body
	dec      http1.ChunkedDecoder
	respDone bool
	trailers []byte // a chunked response's trailer section as it came
	// chunkRaw and chunkData count a chunked response's bytes as they
	// came and its data alone, for %B (h2Bytes).
	chunkRaw, chunkData int64
	tunnel              bool        // after the 101 to an extended CONNECT: bytes as they come
	readCut             atomic.Bool // CloseWrite cut the tunnel's client side: reads end

	doneOnce sync.Once
	done     chan struct{} // closed when the response is over
	// held sends the frame that ends the stream, kept until finish (see
	// hold).
	held func() error
}

func newH2StreamConn(st *h2.Stream, outer net.Conn) *h2StreamConn {
	c := &h2StreamConn{st: st, outer: outer, done: make(chan struct{}), opts: parseOptions(http1.Options{})}
	c.opts.AcceptInvalid = true // the head comes from our own pipeline
	r := &st.Req
	c.method = []byte(r.Method)
	c.chunked = !r.NoBody && r.ContentLength < 0 && r.Method != "CONNECT"
	c.pending = appendH2RequestHead(nil, r, c.chunked)
	return c
}

// appendH2RequestHead rebuilds a stream's head as the HTTP/1.1 request
// the reference sends to a server: origin-form target, the authority as
// the Host field in first place, cookie crumbs joined into one field, a
// chunked body when the length is unknown.
func appendH2RequestHead(dst []byte, r *h2.Request, chunked bool) []byte {
	target, method := r.Path, r.Method
	switch {
	case isExtendedConnect(r):
		method = "GET" // RFC 8441: the HTTP/1.1 upgrade it stands for
	case r.Method == "CONNECT" && target == "":
		target = r.Authority
	}
	dst = append(append(append(append(dst, method...), ' '), target...), " HTTP/1.1\r\n"...)
	if r.Authority != "" {
		dst = append(append(append(dst, "host: "...), r.Authority...), "\r\n"...)
	}
	cookies := -1
	for _, f := range r.Header {
		switch {
		case f.Name == "host" && r.Authority != "":
			continue
		case f.Name == "cookie":
			if cookies >= 0 {
				// Cookie crumbs join the first cookie field: insert "; "
				// and the value before its CRLF.
				end := cookies
				dst = append(dst[:end], append(append([]byte("; "), f.Value...), dst[end:]...)...)
				cookies += 2 + len(f.Value)
				continue
			}
			dst = append(append(dst, "cookie: "...), f.Value...)
			cookies = len(dst)
			dst = append(dst, "\r\n"...)
			continue
		}
		dst = append(append(append(append(dst, f.Name...), ": "...), f.Value...), "\r\n"...)
	}
	if chunked {
		dst = append(dst, "transfer-encoding: chunked\r\n"...)
	}
	if isExtendedConnect(r) {
		dst = append(append(append(dst, "upgrade: "...), r.Protocol...), "\r\nconnection: upgrade\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// isExtendedConnect reports a CONNECT with :protocol (RFC 8441), how
// WebSocket runs over HTTP/2.
func isExtendedConnect(r *h2.Request) bool { return r.Method == "CONNECT" && r.Protocol != "" }

func (c *h2StreamConn) Read(p []byte) (int, error) {
	for {
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.reqDone || c.st.Req.NoBody {
			return c.waitResponse()
		}
		if !c.chunked {
			n, err := c.st.Read(p)
			if err != nil && c.readCut.Load() {
				return 0, h2EOF
			}
			if errors.Is(err, h2EOF) {
				c.reqDone = true
				continue
			}
			return n, err
		}
		if cap(c.scratch) == 0 {
			c.scratch = make([]byte, 16384)
		}
		n, err := c.st.Read(c.scratch)
		if errors.Is(err, h2EOF) {
			c.reqDone = true
			c.pending = append(c.pending[:0], "0\r\n"...)
			c.framing += 2 + 3
			for _, f := range c.st.Trailers() {
				// The reference counts a trailer as its name and value.
				c.pending = append(append(append(append(c.pending, f.Name...), ": "...), f.Value...), "\r\n"...)
				c.framing += 4
			}
			c.pending = append(c.pending, "\r\n"...)
			if len(c.st.Trailers()) > 0 {
				c.framing-- // and their block's end as one byte
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		c.pending = strconv.AppendInt(c.pending[:0], int64(n), 16)
		c.pending = append(append(append(c.pending, "\r\n"...), c.scratch[:n]...), "\r\n"...)
		c.framing += int64(len(c.pending) - n)
	}
}

// waitResponse is a read after the whole request: the stream carries no
// other, so it ends (EOF) once the response is over; until then it waits
// as a silent client would.
func (c *h2StreamConn) waitResponse() (int, error) {
	var timeout <-chan time.Time
	c.dlMu.Lock()
	dl := c.deadline
	c.dlMu.Unlock()
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-c.done:
		return 0, h2EOF
	case <-timeout:
		return 0, errH2Timeout
	}
}

// Write takes the pipeline's HTTP/1.1 response bytes and sends them as
// frames.
func (c *h2StreamConn) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 && !c.respDone {
		if !c.inBody {
			c.head = append(c.head, p...)
			p = nil
			_, err := c.resp.Parse(c.head, &c.opts, c.method)
			if err == http1.ErrIncomplete {
				return total, nil
			}
			if err != nil {
				return 0, err
			}
			rest := c.head[c.resp.HeadLen:]
			if err := c.startResponse(); err != nil {
				return 0, err
			}
			p = bytes.Clone(rest)
			c.head = c.head[:0]
			continue
		}
		if c.tunnel {
			if _, err := c.st.Write(p); err != nil {
				return 0, err
			}
			break
		}
		if c.body.Chunked() {
			inTrailers := c.dec.InTrailers()
			n, data, err := c.dec.Decode(p)
			if err != nil {
				return 0, err
			}
			if inTrailers {
				c.trailers = append(c.trailers, p[:n]...)
			}
			c.chunkRaw += int64(n)
			c.chunkData += int64(len(data))
			p = p[n:]
			if len(data) > 0 {
				if _, err := c.st.Write(data); err != nil {
					return 0, err
				}
			}
			if c.dec.Done() {
				if hdr := trailerFields(c.trailers); len(hdr) > 0 {
					// Trailers end the stream in their own HEADERS.
					c.hold(func() error { return c.st.WriteHeaders(0, hdr, true) })
					continue
				}
				c.hold(c.st.End)
			}
			continue
		}
		n, _ := c.body.Consume(p)
		if c.body.Done() {
			last := bytes.Clone(p[:n])
			c.hold(func() error { return c.st.WriteEnd(last) })
		} else if _, err := c.st.Write(p[:n]); err != nil {
			return 0, err
		}
		p = p[n:]
	}
	return total, nil
}

// startResponse sends a parsed head as HEADERS.
func (c *h2StreamConn) startResponse() error {
	r := &c.resp
	hdr := make([]h2.Header, 0, len(r.Headers))
	for _, f := range r.Headers {
		if isH2HopHeader(f.Name) {
			continue
		}
		hdr = append(hdr, h2.Header{Name: string(bytes.ToLower(f.Name)), Value: string(f.Value)})
	}
	if r.Interim() {
		return c.st.WriteHeaders(r.Status, hdr, false)
	}
	if r.SwitchesProtocols() && isExtendedConnect(&c.st.Req) {
		// The upgrade succeeded: a 200 opens the tunnel (RFC 8441).
		c.tunnel, c.inBody = true, true
		return c.st.WriteHeaders(200, hdr, false)
	}
	c.body.StartResponse(r, &c.opts)
	c.dec = http1.ChunkedDecoder{Status: 502, AcceptInvalid: true}
	c.inBody = true
	if c.body.Done() {
		c.hold(func() error { return c.st.WriteHeaders(r.Status, hdr, true) })
		return nil
	}
	return c.st.WriteHeaders(r.Status, hdr, false)
}

// trailerFields splits a trailer section ("name: value" lines, then an
// empty one) into fields, leaving out those HTTP/2 does not carry.
func trailerFields(b []byte) []h2.Header {
	var out []h2.Header
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || isH2HopHeader(name) {
			continue
		}
		out = append(out, h2.Header{Name: string(bytes.ToLower(name)), Value: string(bytes.TrimSpace(value))})
	}
	return out
}

func isH2HopHeader(name []byte) bool {
	for _, h := range h2HopHeaders {
		if len(name) == len(h) && string(bytes.ToLower(name)) == h {
			return true
		}
	}
	return false
}

func (c *h2StreamConn) endResponse() {
	c.respDone = true
	c.st.End()
	c.doneOnce.Do(func() { close(c.done) })
}

// hold ends the response but keeps the frame that ends the stream (send)
// until finish: the pipeline logs the exchange and releases its server
// after writing the response, and the reference does both before the
// client sees the end of the stream; sent at once, it let the client's
// next stream find them still counted (%bc, %sc in the log).
func (c *h2StreamConn) hold(send func() error) {
	c.respDone = true
	c.held = send
	c.doneOnce.Do(func() { close(c.done) })
}

// finish ends the stream after the pipeline: the held end is sent, a
// body delimited by the close ends here; anything else unfinished is
// reset (by package h2).
func (c *h2StreamConn) finish() {
	if send := c.held; send != nil {
		c.held = nil
		send()
	}
	if c.inBody && !c.respDone && (c.resp.Framing == http1.BodyUntilClose || c.tunnel) {
		c.endResponse()
	}
	if c.tunnel && !c.st.Done() {
		c.st.Reset(http2.ErrCodeCancel) // the client's side of the tunnel is cut
	}
	c.doneOnce.Do(func() { close(c.done) })
}

// asH2 makes the parsed request what the reference's pipeline sees of
// an HTTP/2 one: version 2.0, and the target in absolute form when the
// client gave an authority (url, %r and %U show it; the server still
// gets the origin form, see requestTarget).
func (c *h2StreamConn) asH2(r *http1.Request) {
	q := &c.st.Req
	r.Proto, r.Major, r.Minor = h2Proto, 2, 0
	if q.Authority == "" || q.Method == "CONNECT" && !isExtendedConnect(q) {
		return
	}
	uri := make([]byte, 0, len(q.Scheme)+3+len(q.Authority)+len(r.URI))
	r.URI = append(append(append(append(uri, q.Scheme...), "://"...), q.Authority...), r.URI...)
	r.Flags |= http1.FlagAbsoluteURI
}

var h2Proto = []byte("HTTP/2.0")

// serverLine is the target and version a request goes to the server
// with: as it came (requestProto), but for an HTTP/2 stream's, which
// goes as HTTP/1.1 with the target in origin form.
func (h *httpConn) serverLine(r *http1.Request) (target, proto []byte) {
	if _, ok := h.cli.(*h2StreamConn); !ok {
		return r.URI, requestProto(r)
	}
	return originForm(r), http11
}

// originForm is an HTTP/2 request's target without its scheme and
// authority.
func originForm(r *http1.Request) []byte {
	if r.Flags&http1.FlagAbsoluteURI == 0 {
		return r.URI
	}
	u := r.URI
	if i := bytes.Index(u, []byte("://")); i >= 0 {
		u = u[i+3:]
		if j := bytes.IndexAny(u, "/?"); j >= 0 {
			u = u[j:]
		} else {
			u = nil
		}
	}
	if len(u) == 0 || u[0] == '?' {
		return append([]byte("/"), u...)
	}
	return u
}

// h2Bytes corrects the byte counts of a stream's exchange to the
// reference's: the pipeline counted the chunked framing it saw on both
// sides (the one the adapter made up for a request body of unknown
// length, and a chunked response's), where the reference counts the data,
// one byte for the body's end and the trailers' names and values.
func h2Bytes(c net.Conn, r *Record) {
	sc, ok := c.(*h2StreamConn)
	if !ok {
		return
	}
	if sc.chunked {
		r.BytesIn -= sc.framing + int64(len("transfer-encoding")+len("chunked"))
	}
	if sc.chunkRaw > 0 {
		counted := sc.chunkData + 1
		for _, f := range trailerFields(sc.trailers) {
			counted += int64(len(f.Name) + len(f.Value))
		}
		r.BytesOut += counted - sc.chunkRaw
	}
}

// CloseWrite ends the response side of a tunnel (the server closed).
// As with the reference, the client's side is then cut too (RST_STREAM
// CANCEL), which the tunnel's reader sees as the client's end.
func (c *h2StreamConn) CloseWrite() error {
	if !c.tunnel {
		return nil
	}
	if !c.respDone {
		c.endResponse()
	}
	c.readCut.Store(true)
	if !c.st.Done() {
		c.st.Reset(http2.ErrCodeCancel)
	}
	return nil
}

func (c *h2StreamConn) Close() error {
	c.finish()
	return nil
}

func (c *h2StreamConn) LocalAddr() net.Addr  { return c.outer.LocalAddr() }
func (c *h2StreamConn) RemoteAddr() net.Addr { return c.outer.RemoteAddr() }

func (c *h2StreamConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return nil
}

func (c *h2StreamConn) SetReadDeadline(t time.Time) error {
	c.dlMu.Lock()
	c.deadline = t
	c.dlMu.Unlock()
	c.st.SetReadDeadline(t)
	return nil
}

// SetWriteDeadline is not enforced: writes wait on flow control, which
// the connection's reader ends when the client goes.
func (c *h2StreamConn) SetWriteDeadline(time.Time) error { return nil }
