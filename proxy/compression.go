package proxy

import (
	"bytes"
	"net"
	"sync/atomic"
	"time"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/httpcomp"
	"fulcrum/proxy/stats"
)

// HTTP response compression (`compression algo|type|offload`, `filter
// compression`), with the decisions of HAProxy 2.6's compression filter:
// the request picks an algorithm from Accept-Encoding before it leaves
// for the server (after the request rules); the response is compressed
// when its head as the server sent it qualifies (HTTP/1.1 on both sides,
// not HEAD, status 200-203, a body of known length, no Content-Encoding,
// no Cache-Control no-transform, a valid single ETag, a Content-Type the
// `type` list names), decided before the response rules and written
// into the head after them. The body then goes out chunked, flushed at
// each burst read from the server.

// Compression is a proxy's `compression` settings. A frontend's and its
// backend's combine as in the reference: the backend's algorithms (and
// types) when it has some, else the frontend's; offload when either says
// so.
type Compression struct {
	// Algos in the order a wildcard picks them: the reference puts each
	// configured algorithm in front of the ones before it (defaults'
	// included).
	Algos []httpcomp.Algo
	// Types are `compression type` prefixes of the Content-Type to
	// compress (case-insensitive); none: any type.
	Types []string
	// Offload removes Accept-Encoding from requests that get an
	// algorithm, so the server sends the body uncompressed.
	Offload bool
	// Level is tune.comp.maxlevel (1-9).
	Level int
}

// compState is one exchange's compression.
type compState struct {
	chosen   bool          // the request picked algo
	on       bool          // the response is being compressed with algo
	algo     httpcomp.Algo // valid when chosen
	enc      *httpcomp.Encoder
	trailers []byte // a chunked response's trailer section, as it came
	out      []byte // chunks being written
	etag     []byte // the weakened ETag's value
}

// reset forgets the previous exchange's choice.
func (c *compState) reset() { c.chosen, c.on = false, false }

// compressions are the frontend's and the backend's settings, nil for
// a side without any.
func (h *httpConn) compressions(be *backend) (fe, bk *Compression) {
	fe = h.fe.cfg.HTTP.Comp
	if be != nil {
		bk = be.cfg.HTTP.Comp
	}
	return fe, bk
}

// compAlgos and compTypes pick the backend's list when it has one.
func compAlgos(fe, be *Compression) []httpcomp.Algo {
	if be != nil && len(be.Algos) > 0 {
		return be.Algos
	}
	if fe != nil {
		return fe.Algos
	}
	return nil
}

func compTypes(fe, be *Compression) []string {
	if be != nil && len(be.Types) > 0 {
		return be.Types
	}
	if fe != nil {
		return fe.Types
	}
	return nil
}

// compRequest picks the algorithm for the request about to be sent to
// be's server, and removes its Accept-Encoding under offload.
func (h *httpConn) compRequest(be *backend) {
	h.comp.chosen = false
	fe, bk := h.compressions(be)
	if fe == nil && bk == nil {
		return
	}
	if oldBrowser(h.req.Headers) {
		return
	}
	algos := compAlgos(fe, bk)
	algo, ok := pickAlgo(h.req.Headers, algos)
	if ok {
		h.comp.chosen, h.comp.algo = true, algo
		if fe != nil && fe.Offload || bk != nil && bk.Offload {
			h.req.Headers.Del("accept-encoding")
		}
		return
	}
	// identity needs no Accept-Encoding at all.
	for _, a := range algos {
		if a == httpcomp.Identity {
			h.comp.chosen, h.comp.algo = true, a
			return
		}
	}
}

// oldBrowser tells a User-Agent announcing "Mozilla/4" that is not MSIE
// 6 with SP2 or a later MSIE: the reference never compresses for those.
func oldBrowser(hs http1.Headers) bool {
	ua, ok := hs.Get("user-agent")
	if !ok || !bytes.HasPrefix(ua, []byte("Mozilla/4")) {
		return false
	}
	return len(ua) < 31 || string(ua[25:30]) != "MSIE " || ua[30] < '6' ||
		ua[30] == '6' && (len(ua) < 54 || string(ua[51:54]) != "SV1")
}

// pickAlgo reads every Accept-Encoding element as the reference does: the
// one with the highest q-value (the first of equals) that names an
// algorithm of algos by its token, or "*" for the first of them.
func pickAlgo(hs http1.Headers, algos []httpcomp.Algo) (httpcomp.Algo, bool) {
	var best httpcomp.Algo
	bestQ, found := 0, false
	for i := range hs {
		if !bytes.EqualFold(hs[i].Name, []byte("accept-encoding")) {
			continue
		}
		for list := hs[i].Value; len(list) > 0; {
			var elem []byte
			elem, list = nextListElem(list)
			if len(elem) == 0 {
				continue
			}
			tok := 0
			for tok < len(elem) && isTokenChar(elem[tok]) {
				tok++
			}
			q := qValue(elem[tok:])
			if q <= bestQ {
				continue
			}
			for _, a := range algos {
				if elem[0] == '*' || bytes.EqualFold(elem[:tok], compTokens[a]) {
					best, bestQ, found = a, q, true
					break
				}
			}
		}
	}
	return best, found
}

// qValue finds the "q=" parameter among the parameters after an
// Accept-Encoding token and returns it in thousandths (1000 without one).
func qValue(params []byte) int {
	for {
		params = bytes.TrimLeft(params, " \t")
		if len(params) == 0 || params[0] != ';' {
			return 1000
		}
		params = bytes.TrimLeft(params[1:], " \t")
		if len(params) == 0 {
			return 1000
		}
		if params[0] == 'q' && (len(params) == 1 || params[1] == '=') {
			return parseQ(params[min(2, len(params)):])
		}
		if i := bytes.IndexByte(params, ';'); i >= 0 {
			params = params[i:]
		} else {
			return 1000
		}
	}
}

// parseQ reads a qvalue ("0.5", "1", "0.125") in thousandths; what does
// not parse counts as 1000, as with the reference.
func parseQ(s []byte) int {
	digit := func(i int) (int, bool) {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			return int(s[i] - '0'), true
		}
		return 0, false
	}
	d, ok := digit(0)
	if !ok {
		return 1000
	}
	q := d * 1000
	if len(s) > 1 && s[1] == '.' {
		for i, scale := 2, 100; scale > 0; i, scale = i+1, scale/10 {
			d, ok := digit(i)
			if !ok {
				break
			}
			q += d * scale
		}
	}
	return min(q, 1000)
}

// compDecide decides whether the response is compressed, on its head as
// the server sent it: the reference decides before the http-response
// rules (which see res.comp), and rewrites the head after them
// (compResponse).
func (h *httpConn) compDecide() {
	h.comp.on = h.comp.chosen && h.compressible()
}

// compResponse rewrites the head of a response being compressed, once
// the response rules have run: Content-Length removed, chunked, the ETag
// made weak, Vary: Accept-Encoding and the Content-Encoding added. %B
// still counts the head as the server sent it, as the reference's does.
func (h *httpConn) compResponse() {
	if !h.comp.on {
		return
	}
	r := &h.resp
	orig := htxSize(r)
	if r.Flags&http1.FlagContentLength != 0 {
		r.Headers.Del("content-length")
	}
	if r.Framing != http1.BodyChunked {
		r.Headers = append(r.Headers, http1.Header{Name: hdrTransferEncoding, Value: valChunked})
	}
	// (The response rules ran since the decision: any value may be here.)
	if i := r.Headers.Index("etag", 0); i >= 0 && bytes.HasPrefix(r.Headers[i].Value, []byte{'"'}) {
		h.comp.etag = append(append(h.comp.etag[:0], "W/"...), r.Headers[i].Value...)
		r.Headers[i].Value = h.comp.etag
	}
	r.Headers = append(r.Headers, http1.Header{Name: hdrVary, Value: valAcceptEncoding})
	if h.comp.algo != httpcomp.Identity {
		r.Headers = append(r.Headers, http1.Header{Name: hdrContentEncoding, Value: compTokens[h.comp.algo]})
	}
	h.r.BytesOut += orig - htxSize(r)
	h.comp.enc = httpcomp.New(h.comp.algo, h.compLevel())
	h.comp.trailers = h.comp.trailers[:0]
}

var (
	hdrTransferEncoding = []byte("transfer-encoding")
	valChunked          = []byte("chunked")
	hdrVary             = []byte("vary")
	valAcceptEncoding   = []byte("Accept-Encoding")
	hdrContentEncoding  = []byte("content-encoding")
	compTokens          = [...][]byte{httpcomp.Identity: []byte("identity"), httpcomp.Deflate: []byte("deflate"),
		httpcomp.RawDeflate: []byte("deflate"), httpcomp.Gzip: []byte("gzip")}
	compNames = [...][]byte{httpcomp.Identity: []byte("identity"), httpcomp.Deflate: []byte("deflate"),
		httpcomp.RawDeflate: []byte("raw-deflate"), httpcomp.Gzip: []byte("gzip")}
)

// compLevel is tune.comp.maxlevel, as the settings in effect carry it.
func (h *httpConn) compLevel() int {
	fe, bk := h.compressions(h.be)
	if bk != nil && bk.Level > 0 {
		return bk.Level
	}
	if fe != nil && fe.Level > 0 {
		return fe.Level
	}
	return 1
}

// compressible applies the reference's response conditions.
func (h *httpConn) compressible() bool {
	r, q := &h.resp, &h.req
	if r.Major < 1 || r.Major == 1 && r.Minor < 1 || q.Major < 1 || q.Major == 1 && q.Minor < 1 {
		return false
	}
	if string(h.method) == "HEAD" || r.Status < 200 || r.Status > 203 {
		return false
	}
	if r.Framing != http1.BodyChunked && r.Framing != http1.BodyLength {
		return false // no body, or one delimited by the connection's close
	}
	hs := r.Headers
	if hs.Index("content-encoding", 0) >= 0 {
		return false
	}
	for i := range hs {
		if bytes.EqualFold(hs[i].Name, []byte("cache-control")) && hasListElem(hs[i].Value, "no-transform") {
			return false
		}
	}
	if i := hs.Index("etag", 0); i >= 0 && (!validETag(hs[i].Value) || hs.Index("etag", i+1) >= 0) {
		return false
	}
	fe, bk := h.compressions(h.be)
	types := compTypes(fe, bk)
	ct, ok := hs.Get("content-type")
	if !ok {
		return len(types) == 0
	}
	if hasPrefixFold(ct, "multipart") {
		return false
	}
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if hasPrefixFold(ct, t) {
			return true
		}
	}
	return false
}

// validETag: a strong ("...") or weak (W/"...") entity tag.
func validETag(v []byte) bool {
	if len(v) < 2 || v[len(v)-1] != '"' {
		return false
	}
	return v[0] == '"' || bytes.HasPrefix(v, []byte(`W/"`))
}

// copyResponseBody forwards the response body to the client: as it came,
// or through the encoder when the response is compressed. It returns the
// body bytes %B counts.
func (h *httpConn) copyResponseBody(conn net.Conn, be *backend) (int64, error) {
	idle := h.serverTimeout(be)
	if !h.comp.on {
		return h.copyBody(h.cli, conn, &h.sin, idle, false, h.resp.Framing == http1.BodyUntilClose)
	}
	defer func() {
		h.comp.enc.Release()
		h.comp.enc = nil
	}()
	c := &h.comp
	var total int64 // the server's body data, which %B counts
	timed := false
	for {
		for d := h.sin.data(); len(d) > 0 && !h.body.Done(); d = h.sin.data() {
			n, data, tr, err := h.body.Next(d, c.trailers)
			c.trailers = tr
			if err != nil {
				return total, &bodyErr{err: err}
			}
			c.enc.Write(data) // into memory: cannot fail
			total += int64(len(data))
			h.countComp(int64(len(data)), 0, 0)
			h.sin.consume(n)
		}
		if h.body.Done() {
			break
		}
		// The burst is over: what it gave goes out before the wait.
		made := c.enc.Made()
		if c.out = c.enc.Flush(c.out[:0]); len(c.out) > 0 {
			h.countComp(0, c.enc.Made()-made, 0)
			if _, err := h.cli.Write(c.out); err != nil {
				return total, &bodyErr{client: true, err: err}
			}
		}
		h.contBody(false, total)
		if idle > 0 {
			conn.SetReadDeadline(time.Now().Add(idle))
			timed = true
		}
		if n, err := h.sin.fill(conn); err != nil && n == 0 {
			return total, &bodyErr{err: err}
		}
	}
	if timed {
		conn.SetReadDeadline(time.Time{})
	}
	made := c.enc.Made()
	c.out = c.enc.Close(c.out[:0], c.trailers)
	h.countComp(0, c.enc.Made()-made, 1)
	if _, err := h.cli.Write(c.out); err != nil {
		return total, &bodyErr{client: true, err: err}
	}
	if h.resp.Framing == http1.BodyChunked {
		// The reference counts a chunked body's end as one byte (in
		// comp_in too), and its trailers' names and values.
		total++
		h.countComp(1, 0, 0)
		for _, f := range trailerFields(c.trailers) {
			total += int64(len(f.Name) + len(f.Value))
		}
	}
	if sc, ok := h.cli.(*h2StreamConn); ok {
		// total counts as the reference does already: h2Bytes is not
		// to correct it for the chunks written here.
		sc.chunkRaw, sc.chunkData = 0, 0
	}
	h.contBody(false, total)
	return total, nil
}

// ResponseCompression tells the res.comp and res.comp_algo fetches
// about the response's compression.
func (s *Session) ResponseCompression() ([]byte, bool) {
	if s.http == nil || !s.http.comp.on {
		return nil, false
	}
	return compNames[s.http.comp.algo], true
}

// nextListElem splits off the first element of a comma-separated list,
// blanks trimmed.
func nextListElem(list []byte) (elem, rest []byte) {
	if i := bytes.IndexByte(list, ','); i >= 0 {
		return bytes.Trim(list[:i], " \t"), list[i+1:]
	}
	return bytes.Trim(list, " \t"), nil
}

// hasListElem tells whether a comma-separated list holds word
// (case-insensitive) as a whole element.
func hasListElem(list []byte, word string) bool {
	for len(list) > 0 {
		var elem []byte
		elem, list = nextListElem(list)
		if bytes.EqualFold(elem, []byte(word)) {
			return true
		}
	}
	return false
}

// isTokenChar tells an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// compCounters are a proxy's compression statistics.
type compCounters struct {
	in, out, rsp atomic.Int64 // comp_in, comp_out, comp_rsp
}

func (c *compCounters) clear() {
	c.in.Store(0)
	c.out.Store(0)
	c.rsp.Store(0)
}

// countComp counts bytes given to the compressor, bytes it made and
// compressed responses, in the frontend and the backend, as the
// reference does.
func (h *httpConn) countComp(in, out, rsp int64) {
	for _, c := range [...]*Counters{h.fe.counters, h.be.counters} {
		c.comp.in.Add(in)
		c.comp.out.Add(out)
		c.comp.rsp.Add(rsp)
	}
}

// setCompStats fills the compression fields of an http frontend's or
// backend's row (servers have none).
func setCompStats(r *stats.Row, c *Counters) {
	if r.Type != stats.Frontend && r.Type != stats.Backend {
		return
	}
	r.Set(stats.CompIn, stats.U64(c.comp.in.Load()))
	r.Set(stats.CompOut, stats.U64(c.comp.out.Load()))
	r.Set(stats.CompRsp, stats.U64(c.comp.rsp.Load()))
}
