package proxy

import (
	"bytes"
	"crypto/sha1"
	"net"
	"strconv"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/httpcache"
	"fulcrum/proxy/sample"
)

// The HTTP cache (`cache` sections): `http-request cache-use` looks the
// request up and answers a hit itself (logged with the server
// "<CACHE>"); `http-response cache-store` decides whether the response
// is kept, and its body is copied aside as it goes to the client, the
// entry being stored once the body is whole.

// cacheTx is the current request's dealings with the caches.
type cacheTx struct {
	// keyed: a cache-use rule computed key (a cache-store needs it).
	keyed bool
	key   httpcache.Key
	// flags are what the request allows; sec its secondary key (secOK
	// when built) for a response that varies.
	flags httpcache.RequestFlags
	sec   httpcache.Secondary
	secOK bool
	// hit is the cache that answered the request (nil: none); found is
	// its entry, looked up at foundAt, until the rules after the
	// cache-use have run (httprules.go).
	hit     *httpcache.Cache
	found   *httpcache.Entry
	foundAt int64
	// pending is the entry being filled by the response's body, for
	// into.
	pending *httpcache.Entry
	into    *httpcache.Cache
	tee     cacheTee
	// decoded: the pending body is kept as data, its chunked framing
	// off (a response being compressed).
	decoded bool
}

// cacheTee is the client connection while a response body is kept: what
// is written to the client is appended to the pending entry.
type cacheTee struct {
	net.Conn
	h *httpConn
}

// Write keeps p, and stores the entry before its last bytes leave: a
// client that read the whole answer finds it in the cache, as with the
// reference.
func (t *cacheTee) Write(p []byte) (int, error) {
	t.h.cache.keep(p)
	t.h.cacheIfWhole()
	return t.Conn.Write(p)
}

// keep appends body bytes to the pending entry, giving it up once it
// clearly outgrows the cache's object size (the exact size, a chunked
// body's payload, is checked when it is stored).
func (st *cacheTx) keep(p []byte) {
	e := st.pending
	if e == nil {
		return
	}
	if !st.into.Fits((e.HeadSize() + len(e.Body) + len(p)) / 2) {
		st.drop()
		return
	}
	e.Body = append(e.Body, p...)
}

// drop gives up the pending entry, letting another response of its key
// be stored.
func (st *cacheTx) drop() {
	if st.pending != nil {
		st.into.EndWrite(st.pending)
		st.pending, st.into = nil, nil
	}
}

func init() {
	sample.RegisterFetch(sample.Fetch{Name: "res.cache_hit", Out: sample.Bool,
		Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
			s, _ := c.Env.(*Session)
			hit := s != nil && s.http != nil && s.http.cache.hit != nil
			*out = sample.Sample{Type: sample.Bool}
			if hit {
				out.Int = 1
			}
			return sample.Found
		}})
	sample.RegisterFetch(sample.Fetch{Name: "res.cache_name", Out: sample.Str,
		Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
			s, _ := c.Env.(*Session)
			if s == nil || s.http == nil || s.http.cache.hit == nil {
				return sample.Miss
			}
			*out = sample.Sample{Type: sample.Str, Bytes: []byte(s.http.cache.hit.Name)}
			return sample.Found
		}})
}

// Caches lists the running configuration's caches, for `show cache`.
func (e *Engine) Caches() []*httpcache.Cache { return e.rt.Load().cfg.Caches }

// is11 tells an HTTP/1.1 (or later) request.
func (h *httpConn) is11() bool {
	return h.req.Major > 1 || h.req.Major == 1 && h.req.Minor >= 1
}

// cacheKey computes the request's primary key: the SHA-1 of its
// absolute URI, "https://" and the Host header before an origin-form
// one. False when there is none (no Host).
func (h *httpConn) cacheKey() (httpcache.Key, bool) {
	uri := h.req.URI
	if len(uri) == 0 {
		return httpcache.Key{}, false
	}
	d := sha1.New()
	if uri[0] == '/' || !bytes.Contains(uri, []byte("://")) {
		host, ok := h.req.Headers.Get("host")
		if !ok {
			return httpcache.Key{}, false
		}
		d.Write([]byte("https://"))
		d.Write(bytes.TrimSpace(host))
	}
	d.Write(uri)
	var k httpcache.Key
	d.Sum(k[:0])
	return k, true
}

// cacheUse runs `http-request cache-use`: on a hit it records the
// entry, which answers the request once the rule set's later rules ran
// (httpConn.runRules).
func (h *httpConn) cacheUse(c *httpcache.Cache) {
	st := &h.cache
	get, head := h.req.IsMethod("GET"), h.req.IsMethod("HEAD")
	st.flags = httpcache.Request(h.req.Headers)
	// Keyed whatever the method: a successful unsafe request removes
	// what the cache holds for its URI.
	var ok bool
	if st.key, ok = h.cacheKey(); !ok {
		return
	}
	st.keyed = true
	if !h.is11() || !get && !head || !st.flags.Use {
		return
	}
	counters := h.ruleCounters()
	counters.CacheLookups.Add(1)
	now := httpcache.Now()
	primary := c.Primary(st.key, now)
	if primary == nil {
		if c.ProcessVary {
			st.sec, st.secOK = httpcache.RequestSecondary(h.req.Headers, ^uint32(0))
		}
		return
	}
	var e *httpcache.Entry
	if primary.VarySig == 0 {
		e = c.Lookup(st.key, now, nil)
	} else {
		if st.sec, st.secOK = httpcache.RequestSecondary(h.req.Headers, primary.VarySig); !st.secOK {
			return
		}
		e = c.Lookup(st.key, now, func(e *httpcache.Entry) bool {
			sec, ok := httpcache.RequestSecondary(h.req.Headers, e.VarySig)
			return ok && e.Matches(sec)
		})
	}
	if e == nil {
		return
	}
	counters.CacheHits.Add(1)
	st.hit, st.found, st.foundAt = c, e, now
	return
}

// ruleCounters are the counters of the proxy whose request rules run: the
// frontend's until a backend (another proxy) is chosen.
func (h *httpConn) ruleCounters() *Counters {
	if h.be != nil && h.be.cfg.Name != h.fe.cfg.Name {
		return h.be.counters
	}
	return h.fe.counters
}

// serveCached answers the request from e, with its Age, or a 304 to a
// conditional request the entry satisfies.
func (h *httpConn) serveCached(c *httpcache.Cache, e *httpcache.Entry, now int64) (int, bool) {
	h.cache.hit = c
	h.r.Server = "<CACHE>"
	if h.r.Backend == "" {
		h.r.Backend = h.fe.cfg.Name
	}
	// The stored head, with its Age, goes through the http-response
	// rules as a server's would.
	resp := &h.resp
	resp.Reset()
	resp.Proto, resp.Major, resp.Minor = http11, 1, 1
	resp.Status, resp.Reason = e.Status, []byte(e.Reason)
	age := max(now-e.Validated, 0) + e.Age
	resp.Headers = append(append(resp.Headers, e.Headers...), http1.Header{Name: []byte("age"), Value: strconv.AppendInt(nil, age, 10)})
	resp.Framing, resp.ContentLength = http1.BodyLength, int64(e.DataLen())
	if e.Chunked {
		resp.Framing = http1.BodyChunked
	}
	body, data := e.Body, e.DataLen()
	if httpcache.NotModified(h.req.Headers, e) {
		resp.Status, resp.Reason, body, data = 304, []byte("Not Modified"), nil, 0
	}
	if h.req.IsMethod("HEAD") {
		data = 0
	}
	// %B counts the answer as the cache gives it, before the rules; a
	// chunked one has its end of trailers too.
	size := replySize(resp.Status, resp.Reason, resp.Headers, data)
	if data > 0 && e.Chunked {
		size++
	}
	// The compression filter comes after the cache: hits are compressed.
	h.compRequest(h.be)
	h.compDecide()
	answer := h.cachedResponseRules()
	// Logged as a local answer to the request, as the reference's.
	h.r.Term = [2]byte{'L', stateRequest}
	keep := h.keepAfterAnswer()
	h.r.BytesOut += size
	if answer != nil && answer.Action == HTTPSilentDrop {
		// The client hears nothing; the hit is logged as served, with
		// its status and size, as the reference logs it.
		silenceClient(h.cli)
		h.hrec.Status = resp.Status
		h.finishTimers()
		h.log()
		return resp.Status, false
	}
	if answer != nil {
		// A rule answers instead of the cache: what it writes counts in
		// %B after the cached answer's size, as with the reference.
		st := h.answerInsteadOfHit(answer, keep)
		h.log()
		return st, keep
	}
	if h.comp.on {
		body = h.compressCached(e)
	}
	rep := &Reply{Status: resp.Status, Reason: string(resp.Reason), Headers: resp.Headers, Body: body}
	st, _ := h.writeReply(rep, keep)
	h.hrec.Status = st
	h.finishTimers()
	h.log()
	return st, keep
}

// answerInsteadOfHit writes the answer of an http-response deny, return
// or redirect rule in place of a cache hit and returns its status.
func (h *httpConn) answerInsteadOfHit(r *HTTPRule, keep bool) int {
	if r.Action == HTTPRedirect {
		st, _ := h.redirect(r)
		return st
	}
	rep := h.evalReply(r, r.Reply)
	if r.Action == HTTPDeny {
		rep = h.evalReply(r, h.ruleReply(r, 502))
	}
	st, n := h.writeReply(rep, keep && !rep.Close)
	h.r.BytesOut += n
	h.hrec.Status = st
	h.finishTimers()
	return st
}

// compressCached compresses a hit's body for a client that asked for it,
// the head rewritten as for a server's answer (compression.go).
func (h *httpConn) compressCached(e *httpcache.Entry) []byte {
	out := h.r.BytesOut
	h.compResponse()
	h.r.BytesOut = out // %B counts the answer as the cache gives it
	enc := h.comp.enc
	defer func() {
		enc.Release()
		h.comp.enc = nil
	}()
	data := e.Body
	if e.Chunked {
		data = httpcache.Dechunk(e.Body)
	}
	enc.Write(data)
	body := enc.Close(nil, nil)
	if h.be != nil {
		h.countComp(int64(len(data)), enc.Made(), 1)
	}
	return body
}

// cachedResponseRules runs the http-response rules on a response served
// from the cache: those that rewrite apply to it; a deny, return,
// redirect or silent-drop rule ends the rules and is returned, to act
// instead of the hit.
func (h *httpConn) cachedResponseRules() (answer *HTTPRule) {
	resp := &h.resp
	h.walkResponseRules(func(r *HTTPRule, _ bool) ruleStep {
		switch r.Action {
		case HTTPDeny, HTTPReturn, HTTPRedirect, HTTPSilentDrop:
			answer = r
			return endRules
		case HTTPCacheStore:
		default:
			applyResponseRule(h, r, &resp.Status, &resp.Reason, &resp.Headers)
		}
		return nextRule
	})
	return answer
}

// cacheStore runs `http-response cache-store`: when the response may be
// kept, its head is copied into a pending entry that the body fills.
func (h *httpConn) cacheStore(c *httpcache.Cache) {
	st := &h.cache
	if st.hit != nil || !st.keyed || !h.is11() {
		return
	}
	resp := &h.resp
	if !h.req.IsMethod("GET") {
		switch string(h.req.Method) {
		case "HEAD", "OPTIONS", "TRACE":
		default:
			if resp.Status >= 200 && resp.Status < 400 {
				c.Delete(st.key)
			}
		}
		return
	}
	if resp.Status != 200 {
		return
	}
	if resp.Framing == http1.BodyLength && c.MaxObjectSize > 0 && int64(htxSize(resp))+resp.ContentLength > int64(c.MaxObjectSize) {
		return
	}
	var sig uint32
	if c.ProcessVary {
		var ok bool
		if sig, ok = httpcache.VarySignature(resp.Headers); !ok || sig != 0 && !st.secOK {
			return
		}
	} else if resp.Headers.Index("vary", 0) >= 0 {
		return
	}
	if !httpcache.Storable(resp.Status, resp.Headers, st.flags.Store) {
		return
	}
	now := httpcache.Now()
	effective, announced := httpcache.MaxAge(resp.Headers, c.MaxAge, now)
	e := &httpcache.Entry{Key: st.key, Status: resp.Status, Reason: string(resp.Reason), Validated: now,
		Expire: now + effective, VarySig: sig, Chunked: resp.Framing == http1.BodyChunked}
	if i := resp.Headers.Index("age", 0); i >= 0 {
		v, _, _ := bytes.Cut(resp.Headers[i].Value, []byte(","))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil || n <= 0 || n > announced {
			return
		}
		e.Age = n
		// The reference drops the origin's Age, from the answer too.
		resp.Headers = append(resp.Headers[:i], resp.Headers[i+1:]...)
	}
	e.LastModified = httpcache.LastModified(resp.Headers, now)
	if v, ok := resp.Headers.Get("etag"); ok {
		e.ETag = string(bytes.TrimSpace(v))
	}
	if sig != 0 {
		enc, ok := httpcache.ResponseEncodings(resp.Headers)
		if !ok {
			return
		}
		// Only the headers the response varies on key it. The entry it
		// replaces is the one the request would have been served; the
		// new entry's codings part is the response's own (whether it
		// varies on them or not).
		if sig&httpcache.VaryReferer == 0 {
			st.sec.Referer = 0
		}
		if sig&httpcache.VaryAcceptEncoding == 0 {
			st.sec.Encodings = 0
		}
		e.Secondary = st.sec
		e.Secondary.Encodings = enc
	}
	for _, f := range resp.Headers {
		if !bytes.EqualFold(f.Name, hdrConnection) {
			e.Headers = append(e.Headers, http1.Header{Name: clip(f.Name), Value: clip(f.Value)})
		}
	}
	if effective <= 0 {
		// Stale already: what was stored for it goes, nothing replaces it.
		c.Delete(st.key)
		return
	}
	if !c.BeginWrite(e) {
		return // the first response of the key is being stored
	}
	st.pending, st.into = e, c
}

// chunkedBody frames data as a chunked body: one chunk and the last one.
func chunkedBody(data []byte) []byte {
	var out []byte
	if len(data) > 0 {
		out = strconv.AppendInt(out, int64(len(data)), 16)
		out = append(append(append(out, '\r', '\n'), data...), '\r', '\n')
	}
	return append(out, "0\r\n\r\n"...)
}

// clip copies b into a slice that no append can write past.
func clip(b []byte) []byte {
	c := bytes.Clone(b)
	return c[:len(c):len(c)]
}

// cacheBody is the writer of the response body: the client connection,
// or while an entry is pending the tee that keeps the body too, early
// being the body bytes that leave with the head.
func (h *httpConn) cacheBody(early []byte) net.Conn {
	st := &h.cache
	if st.pending == nil || h.comp.on {
		// A compressed answer's data is kept as it comes (cacheData).
		return h.cli
	}
	st.keep(early)
	h.cacheIfWhole()
	st.tee = cacheTee{Conn: h.cli, h: h}
	return &st.tee
}

// cacheData keeps data of a response body being compressed, as the
// server sent it: the entry holds the answer uncompressed, as the
// reference's cache (before the compression filter) does.
func (h *httpConn) cacheData(data []byte) {
	if h.cache.pending == nil {
		return
	}
	h.cache.decoded = true
	h.cache.keep(data)
	h.cacheIfWhole()
}

// cacheIfWhole stores the pending entry once it holds the whole body:
// the Content-Length, or a chunked body's last chunk.
func (h *httpConn) cacheIfWhole() {
	e := h.cache.pending
	if e == nil {
		return
	}
	switch h.resp.Framing {
	case http1.BodyLength:
		if int64(len(e.Body)) == h.resp.ContentLength {
			h.cacheDone(nil)
		}
	case http1.BodyChunked, http1.BodyNone:
		if h.body.Done() {
			h.cacheDone(nil)
		}
	}
}

// cacheDone stores the pending entry once its body was relayed whole
// (err nil); a failed relay drops it.
func (h *httpConn) cacheDone(err error) {
	st := &h.cache
	if st.pending == nil {
		return
	}
	e, c := st.pending, st.into
	defer st.drop()
	if err != nil {
		return
	}
	if st.decoded && e.Chunked {
		e.Body = chunkedBody(e.Body)
	}
	var same func(old *httpcache.Entry) bool
	if e.VarySig != 0 {
		req := st.sec
		same = func(old *httpcache.Entry) bool { return old.Matches(req) }
	}
	c.Store(e, httpcache.Now(), same)
}
