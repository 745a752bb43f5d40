package http1

// Response is a parsed response head, reused like Request.
type Response struct {
	Proto         []byte
	Major, Minor  int
	Status        int
	Reason        []byte
	Headers       Headers
	Flags         Flags
	Framing       Framing
	ContentLength int64 // with BodyLength
	HeadLen       int
}

// Reset empties r for reuse without freeing its header storage.
func (r *Response) Reset() {
	clear(r.Headers)
	*r = Response{Headers: r.Headers[:0]}
}

// Parse reads a response head from the start of buf. method is the
// request's method, which decides whether a body follows (HEAD, CONNECT).
// Errors carry Status 502, what the proxy answers its client.
func (r *Response) Parse(buf []byte, opts *Options, method []byte) (int, error) {
	r.Reset()
	n, err := r.parse(buf, opts, method)
	if err == ErrIncomplete && opts.Limits.BufSize > 0 && len(buf) >= opts.Limits.BufSize {
		return 0, reject(502, len(buf), "response head larger than the buffer")
	}
	if err != nil {
		return 0, err
	}
	r.HeadLen = n
	return n, nil
}

func (r *Response) parse(buf []byte, opts *Options, method []byte) (int, error) {
	line, next, err := nextLine(buf, 0, 502)
	if err != nil {
		return 0, err
	}
	if err := r.parseStatusLine(line, opts); err != nil {
		return 0, err
	}
	end, err := parseFields(buf, next, &r.Headers, opts, 502)
	if err != nil {
		return 0, err
	}
	if headCost(len(r.Proto)+3+len(r.Reason), r.Headers) > opts.Limits.headBudget() {
		return 0, reject(502, end, "response head too large")
	}
	if err := r.frame(method, end); err != nil {
		return 0, err
	}
	return end, nil
}

// parseStatusLine reads "VERSION SP STATUS [SP reason]" as leniently as
// the reference: blanks are runs of spaces and tabs, and the status is any
// run of digits (a 2-digit or 4-digit status is forwarded as it is).
func (r *Response) parseStatusLine(line []byte, opts *Options) error {
	i := 0
	for i < len(line) && !isSPHT(line[i]) {
		i++
	}
	major, minor, ok := parseVersionOpt(line[:i], opts)
	if !ok {
		return reject(502, 0, "invalid HTTP version")
	}
	r.Proto, r.Major, r.Minor = line[:i], major, minor
	for i < len(line) && isSPHT(line[i]) {
		i++
	}
	s := i
	for ; i < len(line) && isDigit(line[i]); i++ {
		if i-s == 9 {
			return reject(502, i, "status code too long")
		}
		r.Status = r.Status*10 + int(line[i]-'0')
	}
	if i == s || i < len(line) && !isSPHT(line[i]) {
		return reject(502, i, "invalid status code")
	}
	for i < len(line) && isSPHT(line[i]) {
		i++
	}
	r.Reason = line[i:]
	return nil
}

// frame derives the body framing (RFC 9112 6.3).
func (r *Response) frame(method []byte, end int) error {
	var te teState
	r.ContentLength = -1
	for i := range r.Headers {
		h := &r.Headers[i]
		switch {
		case equalFold(h.Name, "content-length"):
			n, _, ok := parseContentLength(h.Value)
			if !ok || r.ContentLength >= 0 && n != r.ContentLength {
				return reject(502, end, "invalid or conflicting Content-Length")
			}
			r.ContentLength = n
			r.Flags |= FlagContentLength
		case equalFold(h.Name, "transfer-encoding"):
			if len(h.Value) > 0 { // the reference ignores an empty one here
				te.add(h.Value)
			}
		case equalFold(h.Name, "connection"):
			r.Flags |= connFlags(h.Value)
		case equalFold(h.Name, "upgrade"):
			r.Flags |= FlagUpgrade
		}
	}
	switch {
	case r.Status < 200 || r.Status == 204 || r.Status == 304 || string(method) == "HEAD",
		string(method) == "CONNECT" && r.Status < 300:
		r.Framing, r.ContentLength = BodyNone, 0
	case te.seen:
		// The reference decodes nothing but chunked and refuses a
		// response that needs more.
		if te.chunkedMid || te.other || !te.chunkedLast {
			return reject(502, end, "Transfer-Encoding other than chunked")
		}
		r.Framing, r.ContentLength = BodyChunked, 0
	case r.ContentLength > 0:
		r.Framing = BodyLength
	case r.ContentLength == 0:
		r.Framing = BodyNone
	default:
		r.Framing, r.ContentLength = BodyUntilClose, 0
	}
	return nil
}

// KeepAlive reports whether the server lets the connection persist: it
// must say so for 1.0, and a body delimited by close ends it.
func (r *Response) KeepAlive() bool {
	return r.Framing != BodyUntilClose && keepAlive(r.Major, r.Minor, r.Flags)
}

// Interim reports a 1xx response other than 101: the final one follows.
func (r *Response) Interim() bool { return r.Status >= 100 && r.Status < 200 && r.Status != 101 }

// SwitchesProtocols reports a 101 answer to an upgrade: the connection is
// a tunnel from here on.
func (r *Response) SwitchesProtocols() bool { return r.Status == 101 }
