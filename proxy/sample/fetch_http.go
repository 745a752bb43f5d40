package sample

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/http1"
)

// The HTTP fetches. They read the engine's parsed request (or response)
// in place: header values are slices of the request buffer.

func init() {
	hdrArgs := []ArgType{ArgStr, ArgInt}
	for _, side := range []struct {
		prefix string
		res    bool
	}{{"req.", false}, {"res.", true}} {
		p, res := side.prefix, side.res
		for _, f := range []Fetch{
			{Name: p + "hdr", Args: hdrArgs, Out: Str, Fn: multi(res, hdrIter(res, false), asStr)},
			{Name: p + "fhdr", Args: hdrArgs, Out: Str, Fn: multi(res, hdrIter(res, true), asStr)},
			{Name: p + "hdr_ip", Args: hdrArgs, Out: Addr, Fn: multi(res, hdrIter(res, false), asIP)},
			{Name: p + "hdr_val", Args: hdrArgs, Out: Int, Fn: multi(res, hdrIter(res, false), asInt)},
			{Name: p + "hdr_cnt", Args: hdrArgs[:1], Out: Int, Fn: count(res, hdrIter(res, false))},
			{Name: p + "fhdr_cnt", Args: hdrArgs[:1], Out: Int, Fn: count(res, hdrIter(res, true))},
			{Name: p + "cook", Args: hdrArgs[:1], Out: Str, Fn: cookieFetch(res)},
			{Name: p + "cook_val", Args: hdrArgs[:1], Out: Int, Fn: multi(res, cookieIter(res), asInt)},
			{Name: p + "cook_cnt", Args: hdrArgs[:1], Out: Int, Fn: count(res, cookieIter(res))},
			{Name: p + "hdr_names", Args: hdrArgs[:1], Out: Str, Fn: hdrNames(res)},
			{Name: p + "ver", Out: Str, Fn: version(res)},
		} {
			f.HTTP = true
			RegisterFetch(f)
		}
	}
	for _, f := range []Fetch{
		{Name: "method", Out: Meth, Fn: func(c *Call, out *Sample) Result {
			r, res := request(c)
			if r == nil {
				return res
			}
			*out = Sample{Type: Meth, Bytes: r.Method}
			return Found
		}},
		{Name: "path", Out: Str, Fn: reqPart(func(r *http1.Request) []byte { return r.Path() })},
		{Name: "pathq", Out: Str, Fn: reqPart(pathQuery)},
		{Name: "url", Out: Str, Fn: reqPart(func(r *http1.Request) []byte { return r.URI })},
		{Name: "query", Out: Str, Fn: reqPart(func(r *http1.Request) []byte { return r.Query() })},
		{Name: "base", Out: Str, Fn: baseFetch(false)},
		{Name: "baseq", Out: Str, Fn: baseFetch(true)},
		{Name: "base32", Out: Int, Fn: func(c *Call, out *Sample) Result {
			r, res := request(c)
			if r == nil {
				return res
			}
			c.Buf = appendBase(c.Buf[:0], r, false)
			*out = intSample(int64(base32(c.Buf)))
			return Found
		}},
		{Name: "base32+src", Out: Bin, Fn: func(c *Call, out *Sample) Result {
			r, res := request(c)
			if r == nil {
				return res
			}
			c.Buf = appendBase(c.Buf[:0], r, false)
			h := base32(c.Buf)
			src, _ := c.Env.Addrs()
			c.Buf = binary.BigEndian.AppendUint32(c.Buf[:0], h)
			c.Buf = append(c.Buf, src.Addr().Unmap().AsSlice()...)
			*out = binSample(c.Buf)
			return Found
		}},
		{Name: "url_param", Args: []ArgType{ArgStr, ArgStr}, Out: Str, Fn: multi(false, urlParamIter, asStr, true)},
		{Name: "urlp_val", Args: []ArgType{ArgStr, ArgStr}, Out: Int, Fn: multi(false, urlParamIter, asInt, true)},
		{Name: "status", Out: Int, Fn: func(c *Call, out *Sample) Result {
			r := c.Env.HTTPResponse()
			if r == nil {
				return Miss
			}
			*out = intSample(int64(r.Status))
			return Found
		}},
		{Name: "req.proto_http", Out: Bool, Fn: func(c *Call, out *Sample) Result {
			r, res := request(c)
			if res == Wait {
				return Wait
			}
			*out = boolSample(r != nil)
			return Found
		}},
		{Name: "http_first_req", Out: Bool, Fn: func(c *Call, out *Sample) Result {
			if r, res := request(c); r == nil {
				return res
			}
			*out = boolSample(c.Env.RequestIndex() == 0)
			return Found
		}},
	} {
		f.HTTP = true
		RegisterFetch(f)
	}
}

// appendBase appends the first Host value and the path when it starts
// with '/' (and the query with withQuery): the base and baseq fetches.
func appendBase(dst []byte, r *http1.Request, withQuery bool) []byte {
	if host, _, _, ok := nextElem(r.Headers, "host", false, ',', 0, 0); ok {
		dst = append(dst, host...)
	}
	p := r.Path()
	if withQuery {
		p = pathQuery(r)
	}
	if len(p) > 0 && p[0] == '/' {
		dst = append(dst, p...)
	}
	return dst
}

// base32 is HAProxy's hash of a base: sdbm, then a full avalanche.
func base32(base []byte) uint32 { return balance.FullHash(balance.Hash(balance.SDBM, base)) }

func baseFetch(withQuery bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		r, res := request(c)
		if r == nil {
			return res
		}
		c.Buf = appendBase(c.Buf[:0], r, withQuery)
		*out = strSample(c.Buf)
		return Found
	}
}

func pathQuery(r *http1.Request) []byte {
	p := r.Path()
	if p == nil {
		return nil
	}
	if q := r.Query(); q != nil {
		// Path and query are contiguous in the request line.
		return p[:len(p)+1+len(q)]
	}
	return p
}

// reqPart is a fetch returning a part of the request line; nil parts
// do not exist.
func reqPart(part func(*http1.Request) []byte) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		r, res := request(c)
		if r == nil {
			return res
		}
		v := part(r)
		if v == nil {
			return Miss
		}
		*out = strSample(v)
		return Found
	}
}

func version(res bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		var proto []byte
		if res {
			if r := c.Env.HTTPResponse(); r != nil {
				proto = r.Proto
			}
		} else {
			r, res := request(c)
			if r == nil {
				return res
			}
			proto = r.Proto
		}
		if len(proto) < 5 {
			return Miss
		}
		*out = strSample(proto[5:])
		return Found
	}
}

// request returns the HTTP request, or why there is none: Wait while a
// tcp-mode inspect buffer may still complete one, Miss otherwise.
func request(c *Call) (*http1.Request, Result) {
	if r := c.Env.HTTPRequest(); r != nil {
		return r, Found
	}
	if c.Env.HTTPWaiting() {
		return nil, Wait
	}
	return nil, Miss
}

// message reports whether the request (or response with res) is there.
func message(c *Call, res bool) Result {
	if res {
		if c.Env.HTTPResponse() == nil {
			return Miss
		}
		return Found
	}
	_, r := request(c)
	return r
}

func headersOf(c *Call, res bool) (http1.Headers, bool) {
	if res {
		r := c.Env.HTTPResponse()
		if r == nil {
			return nil, false
		}
		return r.Headers, true
	}
	r := c.Env.HTTPRequest()
	if r == nil {
		return nil, false
	}
	return r.Headers, true
}

// iter returns the value at cursor (hi, off) and the cursor of the next
// one; ok is false past the last value. It is how multi-valued fetches
// walk headers without allocating.
type iter func(c *Call, hi, off int) (v []byte, nhi, noff int, ok bool)

// hdrIter walks the values of the headers named by the first argument
// (all headers when it is empty): comma-separated elements, or whole
// lines with full.
func hdrIter(res, full bool) iter {
	return func(c *Call, hi, off int) ([]byte, int, int, bool) {
		hs, ok := headersOf(c, res)
		if !ok {
			return nil, 0, 0, false
		}
		return nextElem(hs, c.Args[0].Str, full, ',', hi, off)
	}
}

// nextElem returns the element at (hi, off) of the headers called name.
func nextElem(hs http1.Headers, name string, full bool, sep byte, hi, off int) ([]byte, int, int, bool) {
	for ; hi < len(hs); hi, off = hi+1, 0 {
		if name != "" && !equalFoldStr(hs[hi].Name, name) || hidden(hs[hi]) {
			continue
		}
		v := hs[hi].Value
		if full {
			return v, hi + 1, 0, true
		}
		if off > len(v) {
			continue
		}
		rest := v[off:]
		if i := bytes.IndexByte(rest, sep); i >= 0 {
			return trimLWS(rest[:i]), hi, off + i + 1, true
		}
		return trimLWS(rest), hi + 1, 0, true
	}
	return nil, hi, 0, false
}

// cookieIter walks "name=value" cookies: of the Cookie headers in a
// request (';'-separated), of the Set-Cookie headers in a response (one
// each, attributes after ';'). The first argument filters by name (any
// cookie when empty); the value is what follows '='.
func cookieIter(res bool) iter {
	hname, full := "cookie", false
	if res {
		hname, full = "set-cookie", true
	}
	return func(c *Call, hi, off int) ([]byte, int, int, bool) {
		hs, ok := headersOf(c, res)
		if !ok {
			return nil, 0, 0, false
		}
		name := c.Args[0].Str
		for {
			v, nhi, noff, ok := nextElem(hs, hname, full, ';', hi, off)
			if !ok {
				return nil, nhi, noff, false
			}
			hi, off = nhi, noff
			if full {
				if i := bytes.IndexByte(v, ';'); i >= 0 {
					v = v[:i]
				}
			}
			eq := bytes.IndexByte(v, '=')
			if eq < 0 {
				continue
			}
			if name == "" || string(trimLWS(v[:eq])) == name {
				return trimLWS(v[eq+1:]), hi, off, true
			}
		}
	}
}

// cookieFetch is req.cook / res.cook: the last occurrence of the named
// cookie, or the first cookie when no name is given.
func cookieFetch(res bool) func(*Call, *Sample) Result {
	last, first := multi(res, cookieIter(res), asStr), multi(res, cookieIter(res), asStr, true)
	return func(c *Call, out *Sample) Result {
		if c.Args[0].Str == "" {
			return first(c, out)
		}
		return last(c, out)
	}
}

// urlParamIter walks the values of url_param(name[,delim]): the
// parameters after the first delim ('?' by default), separated by '&'
// (or delim).
func urlParamIter(c *Call, hi, off int) ([]byte, int, int, bool) {
	r := c.Env.HTTPRequest()
	if r == nil {
		return nil, 0, 0, false
	}
	delim := byte('?')
	if d := c.Args[1].Str; d != "" {
		delim = d[0]
	}
	u := r.URI
	q := bytes.IndexByte(u, delim)
	if q < 0 {
		return nil, 0, 0, false
	}
	u = u[q+1:]
	name := c.Args[0].Str
	for off <= len(u) {
		rest := u[off:]
		end := len(rest)
		for i, ch := range rest {
			if ch == '&' || ch == delim || ch == '#' {
				end = i
				break
			}
		}
		p := rest[:end]
		off += end + 1
		k, v, hasEq := bytes.Cut(p, []byte("="))
		if name == "" && len(p) > 0 || hasEq && string(k) == name {
			if !hasEq {
				v = nil
			}
			return v, 0, off, true
		}
		if end < len(rest) && rest[end] == '#' {
			break
		}
	}
	return nil, 0, 0, false
}

// multi makes a fetch of an iterator: every value in ACLs (Iterate), one
// occurrence otherwise: the second argument's (1 = first, -1 = last), or
// by default the last one (the first with first). conv turns a raw value
// into the sample and may refuse it.
func multi(res bool, next iter, conv func([]byte, *Sample) bool, first ...bool) func(*Call, *Sample) Result {
	dflt := int64(-1)
	if len(first) > 0 && first[0] {
		dflt = 1
	}
	return func(c *Call, out *Sample) Result {
		if r := message(c, res); r != Found {
			return r
		}
		occ := int64(0)
		if len(c.Args) > 1 && c.Args[1].Set {
			occ = c.Args[1].Int
		}
		if c.Iterate && occ == 0 {
			for {
				v, hi, off, ok := next(c, c.Pos, c.Pos2)
				if !ok {
					return Miss
				}
				c.Pos, c.Pos2 = hi, off
				if conv(v, out) {
					c.More = true
					return Found
				}
			}
		}
		if occ == 0 {
			occ = dflt
		}
		if occ < 0 {
			n := int64(0)
			for hi, off := 0, 0; ; n++ {
				var ok bool
				if _, hi, off, ok = next(c, hi, off); !ok {
					break
				}
			}
			occ = n + occ + 1
			if occ <= 0 {
				return Miss
			}
		}
		hi, off := 0, 0
		for i := int64(1); ; i++ {
			v, nhi, noff, ok := next(c, hi, off)
			if !ok {
				return Miss
			}
			if i == occ {
				if conv(v, out) {
					return Found
				}
				return Miss
			}
			hi, off = nhi, noff
		}
	}
}

// count makes a fetch counting an iterator's values in the request
// (or the response with res).
func count(res bool, next iter) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		if r := message(c, res); r != Found {
			return r
		}
		n := int64(0)
		for hi, off := 0, 0; ; n++ {
			var ok bool
			if _, hi, off, ok = next(c, hi, off); !ok {
				break
			}
		}
		*out = intSample(n)
		return Found
	}
}

func hdrNames(res bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		hs, ok := headersOf(c, res)
		if !ok {
			return Miss
		}
		delim := ","
		if c.Args[0].Set {
			delim = c.Args[0].Str
		}
		c.Buf = c.Buf[:0]
		for _, h := range hs {
			if hidden(h) {
				continue
			}
			if len(c.Buf) > 0 {
				c.Buf = append(c.Buf, delim...)
			}
			// HAProxy stores header names in lower case.
			for _, ch := range h.Name {
				c.Buf = append(c.Buf, lower(ch))
			}
		}
		*out = strSample(c.Buf)
		return Found
	}
}

// hidden reports a header HAProxy's HTTP/1 parser drops before any
// fetch sees it: a Connection header holding only close and keep-alive
// (it sets the connection mode instead).
func hidden(h http1.Header) bool {
	if !equalFoldStr(h.Name, "connection") {
		return false
	}
	for _, t := range bytes.Split(h.Value, []byte(",")) {
		t = trimLWS(t)
		if !equalFoldStr(t, "close") && !equalFoldStr(t, "keep-alive") {
			return false
		}
	}
	return true
}

func asStr(v []byte, out *Sample) bool { *out = strSample(v); return true }

// asInt reads a value as HAProxy's strl2ic: a signed decimal prefix, 0
// when there is none.
func asInt(v []byte, out *Sample) bool {
	n, _ := strToInt(v)
	*out = intSample(n)
	return true
}

// asIP reads an IPv4 address (possibly followed by a port) or an IPv6
// address.
func asIP(v []byte, out *Sample) bool {
	if ip, err := netip.ParseAddr(string(v)); err == nil {
		*out = ipSample(ip)
		if ip.Is6() && !ip.Is4In6() {
			out.Type = IPv6
		}
		return true
	}
	if ap, err := netip.ParseAddrPort(string(v)); err == nil && ap.Addr().Is4() {
		*out = ipSample(ap.Addr())
		return true
	}
	return false
}

func trimLWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFoldStr compares ASCII case-insensitively without allocating.
func equalFoldStr(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
