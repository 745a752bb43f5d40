package sample

import "bytes"

// The request body and capture fetches. They read what an engine keeps
// beside the parsed request, through optional Env extensions: an Env
// without them (tcp mode, tests) finds no value.

// BodyEnv is an Env that shows the request body buffered so far.
type BodyEnv interface {
	// RequestBody returns the body bytes in the request buffer (chunked
	// framing removed) and the body's size as known: those bytes plus
	// what the framing announces still to come (the rest of a
	// Content-Length, or of the current chunk).
	RequestBody() (body []byte, size int64)
}

// ResponseBodyEnv is an Env that shows the response body buffered with
// the response head, while the response rules run.
type ResponseBodyEnv interface {
	// ResponseBody is like BodyEnv's RequestBody, for the response;
	// ok is false when no response body can be seen.
	ResponseBody() (body []byte, size int64, ok bool)
}

// CaptureEnv is an Env that keeps the transaction's captures: the
// request line (and the response's version) and the capture slots of
// `capture request|response header` and `declare capture`.
type CaptureEnv interface {
	// CapturedLine is the request line as logged ("GET /x HTTP/1.1"),
	// nil when none was captured.
	CapturedLine() []byte
	// CapturedSlot is the content of capture slot i of the request (or
	// the response with res); ok is false when the slot is empty or
	// does not exist.
	CapturedSlot(res bool, i int) (v []byte, ok bool)
}

func init() {
	for _, f := range []Fetch{
		{Name: "req.body", Out: Bin, Fn: func(c *Call, out *Sample) Result {
			b, ok := body(c)
			if !ok {
				return Miss
			}
			*out = binSample(b)
			return Found
		}},
		{Name: "req.body_len", Out: Int, Fn: func(c *Call, out *Sample) Result {
			b, ok := body(c)
			if !ok {
				return Miss
			}
			*out = intSample(int64(len(b)))
			return Found
		}},
		{Name: "req.body_size", Out: Int, Fn: func(c *Call, out *Sample) Result {
			e, ok := c.Env.(BodyEnv)
			if !ok || c.Env.HTTPRequest() == nil {
				return Miss
			}
			_, n := e.RequestBody()
			*out = intSample(n)
			return Found
		}},
		{Name: "res.body", Out: Bin, Fn: resBody(func(b []byte, _ int64, out *Sample) { *out = binSample(b) })},
		{Name: "res.body_len", Out: Int, Fn: resBody(func(b []byte, _ int64, out *Sample) { *out = intSample(int64(len(b))) })},
		{Name: "res.body_size", Out: Int, Fn: resBody(func(_ []byte, n int64, out *Sample) { *out = intSample(n) })},
		{Name: "req.body_param", Args: []ArgType{ArgStr}, Out: Str, Fn: multi(false, bodyParamIter, asStr, true)},
		{Name: "capture.req.hdr", Args: []ArgType{ArgInt}, MinArgs: 1, Out: Str, Fn: slotFetch(false)},
		{Name: "capture.res.hdr", Args: []ArgType{ArgInt}, MinArgs: 1, Out: Str, Fn: slotFetch(true)},
		{Name: "capture.req.method", Out: Str, Fn: linePart(func(m, _, _ []byte) []byte { return m })},
		{Name: "capture.req.uri", Out: Str, Fn: linePart(func(_, u, _ []byte) []byte { return originForm(u) })},
		{Name: "capture.req.ver", Out: Str, Fn: func(c *Call, out *Sample) Result {
			r := c.Env.HTTPRequest()
			if r == nil || capturedLine(c) == nil {
				return Miss
			}
			*out = strSample(versionName(r.Major, r.Minor))
			return Found
		}},
		{Name: "capture.res.ver", Out: Str, Fn: func(c *Call, out *Sample) Result {
			r := c.Env.HTTPResponse()
			if r == nil {
				return Miss
			}
			*out = strSample(versionName(r.Major, r.Minor))
			return Found
		}},
	} {
		f.HTTP = true
		RegisterFetch(f)
	}
}

// body is the buffered request body, when the Env keeps one.
func body(c *Call) ([]byte, bool) {
	e, ok := c.Env.(BodyEnv)
	if !ok || c.Env.HTTPRequest() == nil {
		return nil, false
	}
	b, _ := e.RequestBody()
	return b, true
}

// resBody makes a fetch of the buffered response body.
func resBody(set func(body []byte, size int64, out *Sample)) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		e, ok := c.Env.(ResponseBodyEnv)
		if !ok {
			return Miss
		}
		b, n, ok := e.ResponseBody()
		if !ok {
			return Miss
		}
		set(b, n, out)
		return Found
	}
}

// bodyParamIter walks the name=value pairs of a form body, separated by
// '&' or ';' (the reference's parameter delimiters for a body); an empty
// name matches the first parameter.
func bodyParamIter(c *Call, _, off int) ([]byte, int, int, bool) {
	b, ok := body(c)
	if !ok {
		return nil, 0, 0, false
	}
	name := []byte(c.Args[0].Str)
	for off < len(b) {
		rest := b[off:]
		end := bytes.IndexAny(rest, "&;")
		if end < 0 {
			end = len(rest)
		}
		p := rest[:end]
		off += end + 1
		k, v, _ := bytes.Cut(p, []byte("="))
		if len(name) == 0 && len(p) > 0 || len(name) > 0 && bytes.Equal(k, name) {
			return v, 0, off, true
		}
	}
	return nil, 0, 0, false
}

// slotFetch reads a capture slot (capture.req.hdr / capture.res.hdr).
func slotFetch(res bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		e, ok := c.Env.(CaptureEnv)
		if !ok || c.Args[0].Int < 0 || c.Args[0].Int > 1<<20 {
			return Miss
		}
		v, ok := e.CapturedSlot(res, int(c.Args[0].Int))
		if !ok {
			return Miss
		}
		*out = strSample(v)
		return Found
	}
}

// capturedLine is the captured request line, nil without one.
func capturedLine(c *Call) []byte {
	if e, ok := c.Env.(CaptureEnv); ok {
		return e.CapturedLine()
	}
	return nil
}

// linePart makes a fetch of one word of the captured request line
// (method, URI, version).
func linePart(part func(method, uri, version []byte) []byte) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		line := capturedLine(c)
		if line == nil {
			return Miss
		}
		m, rest, _ := bytes.Cut(line, []byte(" "))
		u, v := rest, []byte(nil)
		if i := bytes.LastIndexByte(rest, ' '); i >= 0 {
			u, v = rest[:i], rest[i+1:]
		}
		*out = strSample(part(m, u, v))
		return Found
	}
}

// originForm is the path and query of an absolute URI
// ("http://h/p?q" -> "/p?q"); other forms are returned as they are.
func originForm(u []byte) []byte {
	i := bytes.Index(u, []byte("://"))
	if len(u) == 0 || u[0] == '/' || i < 0 {
		return u
	}
	rest := u[i+3:]
	if j := bytes.IndexByte(rest, '/'); j >= 0 {
		return rest[j:]
	}
	return []byte("/")
}

// versionName is how the reference names a message's version in the
// capture fetches: HTTP/1.1 for 1.1 and above, else HTTP/1.0.
func versionName(major, minor int) []byte {
	if major > 1 || major == 1 && minor >= 1 {
		return []byte("HTTP/1.1")
	}
	return []byte("HTTP/1.0")
}

// HTXEnv is an Env whose requests are parsed HTTP messages (http mode):
// req.len is then their size in the reference's internal form.
type HTXEnv interface {
	HTXLength() (n int64, ok bool)
}

func htxLength(c *Call) (int64, bool) {
	if e, ok := c.Env.(HTXEnv); ok {
		return e.HTXLength()
	}
	return 0, false
}
