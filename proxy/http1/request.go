package http1

// Request is a parsed request head. Reuse one per connection: Parse resets
// it and keeps the capacity of Headers.
type Request struct {
	Method, URI, Proto []byte // Proto is nil for a version-less line (accept-invalid)
	Major, Minor       int
	Headers            Headers
	Flags              Flags
	Framing            Framing // BodyNone, BodyLength or BodyChunked
	ContentLength      int64   // with BodyLength
	HeadLen            int     // bytes of the head, empty lines before it included
}

// Reset empties r for reuse without freeing its header storage.
func (r *Request) Reset() {
	clear(r.Headers)
	*r = Request{Headers: r.Headers[:0]}
}

// Parse reads a request head from the start of buf. It returns the head's
// length, ErrIncomplete when buf holds only a prefix (and is not yet too
// large), or an *Error carrying the status the reference answers. buf is
// modified in place where the reference normalises (obs-fold). Slices in r
// point into buf.
//
// Parse starts over on every call, so an engine feeding a slow client
// should call it again only when the new bytes hold an LF (a line ended)
// or fill the buffer, plus once on a first read: that bounds the rescans
// by the number of lines, which tune.http.maxhdr caps. A bad byte in a
// line not yet ended is refused at the first call that sees it.
func (r *Request) Parse(buf []byte, opts *Options) (int, error) {
	r.Reset()
	n, err := r.parse(buf, opts)
	if err == ErrIncomplete && opts.Limits.BufSize > 0 && len(buf) >= opts.Limits.BufSize {
		return 0, reject(400, len(buf), "request head larger than the buffer")
	}
	if err != nil {
		return 0, err
	}
	r.HeadLen = n
	return n, nil
}

func (r *Request) parse(buf []byte, opts *Options) (int, error) {
	p := skipEmptyLines(buf)
	line, next, err := nextLine(buf, p, 400)
	if err == ErrIncomplete {
		return 0, partialRequestLine(buf[p:], p, opts)
	}
	if err != nil {
		return 0, err
	}
	if err := r.parseRequestLine(line, p, opts); err != nil {
		return 0, err
	}
	end, err := parseFields(buf, next, &r.Headers, opts, 400)
	if err != nil {
		return 0, err
	}
	proto := len(r.Proto)
	if r.Proto == nil {
		proto = len("HTTP/1.0") // the reference fills the version in
	}
	if headCost(len(r.Method)+len(r.URI)+proto, r.Headers) > opts.Limits.headBudget() {
		return 0, reject(400, end, "request head too large")
	}
	if err := r.checkHeaders(opts, end); err != nil {
		return 0, err
	}
	return end, nil
}

// parseRequestLine splits method, target and version; off is the line's
// offset in the buffer, for error positions.
func (r *Request) parseRequestLine(line []byte, off int, opts *Options) error {
	i := 0
	for i < len(line) && tokenChar[line[i]] {
		i++
	}
	if i == 0 || i == len(line) || !isSPHT(line[i]) {
		return reject(400, off+i, "invalid method")
	}
	r.Method = line[:i]
	for i < len(line) && isSPHT(line[i]) {
		i++
	}
	u := i
	for ; i < len(line) && !isSPHT(line[i]); i++ {
		c := line[i]
		if uriChar[c] {
			continue
		}
		// Controls and DEL are never accepted; the relaxation covers
		// bytes above 0x7f and '#'.
		if c < 0x20 || c == 0x7f || !opts.AcceptInvalid {
			return reject(400, off+i, "invalid character in URI")
		}
	}
	if i == u {
		return reject(400, off+i, "missing URI")
	}
	r.URI = line[u:i]
	for i < len(line) && isSPHT(line[i]) {
		i++
	}
	if i == len(line) {
		// Relaxed, an HTTP/0.9 request line (GET and a URI) becomes 1.0.
		if !opts.AcceptInvalid || string(r.Method) != "GET" {
			return reject(400, off+i, "missing HTTP version")
		}
		r.Major, r.Minor, r.Flags = 1, 0, r.Flags|FlagNoVersion
		return nil
	}
	v := line[i:]
	major, minor, ok := parseVersionOpt(v, opts)
	if !ok {
		return reject(400, off+i, "invalid HTTP version")
	}
	r.Proto, r.Major, r.Minor = v, major, minor
	return nil
}

// partialRequestLine checks a request line whose end has not arrived, for
// the errors the reference reports at once: a byte no method, URI or
// version may hold, or a blank after the version. What only the complete
// line decides (a byte above 0x7f in the URI, the version's exact shape)
// waits.
func partialRequestLine(part []byte, off int, opts *Options) error {
	i := 0
	for i < len(part) && tokenChar[part[i]] {
		i++
	}
	if i == len(part) {
		return ErrIncomplete
	}
	if i == 0 || !isSPHT(part[i]) {
		return reject(400, off+i, "invalid method")
	}
	for i < len(part) && isSPHT(part[i]) {
		i++
	}
	for ; i < len(part) && !isSPHT(part[i]); i++ {
		if c := part[i]; c < 0x20 || c == 0x7f || c == '#' && !opts.AcceptInvalid {
			return reject(400, off+i, "invalid character in URI")
		}
	}
	for i < len(part) && isSPHT(part[i]) {
		i++
	}
	for v := i; i < len(part); i++ {
		if c := part[i]; c == '\r' {
			break
		} else if !relaxedVersion(part[i : i+1]) {
			return reject(400, off+v, "invalid HTTP version")
		}
	}
	return ErrIncomplete
}

// checkHeaders applies the reference's semantic checks and derives the
// body framing and flags.
func (r *Request) checkHeaders(opts *Options, end int) error {
	var (
		te      teState
		host    []byte
		wsKey   []byte
		haveKey bool
		isWS    bool
	)
	r.ContentLength = -1
	for i := range r.Headers {
		h := &r.Headers[i]
		switch len(h.Name) {
		case len("host"):
			if !equalFold(h.Name, "host") {
				break
			}
			if r.Flags&FlagHasHost != 0 && !equalFoldBytes(host, h.Value) {
				return reject(400, end, "several different Host headers")
			}
			r.Flags |= FlagHasHost
			host = h.Value
		case len("expect"):
			if equalFold(h.Name, "expect") && equalFold(h.Value, "100-continue") {
				r.Flags |= FlagExpectContinue
			}
		case len("upgrade"):
			if equalFold(h.Name, "upgrade") {
				r.Flags |= FlagUpgrade
				if hasToken(h.Value, "websocket") {
					isWS = true
				}
			}
		case len("connection"):
			if equalFold(h.Name, "connection") {
				r.Flags |= connFlags(h.Value)
			}
		case len("content-length"):
			if !equalFold(h.Name, "content-length") {
				break
			}
			n, _, ok := parseContentLength(h.Value)
			if !ok || r.ContentLength >= 0 && n != r.ContentLength {
				return reject(400, end, "invalid or conflicting Content-Length")
			}
			r.ContentLength = n
			r.Flags |= FlagContentLength
		case len("transfer-encoding"): // also len("sec-websocket-key")
			switch {
			case equalFold(h.Name, "transfer-encoding"):
				te.add(h.Value)
			case equalFold(h.Name, "sec-websocket-key"):
				wsKey, haveKey = h.Value, true
			}
		}
	}

	switch {
	case te.seen:
		if te.chunkedMid || !te.chunkedLast {
			return reject(400, end, "Transfer-Encoding does not end with chunked")
		}
		if r.bodylessMethod10() {
			return reject(413, end, "HTTP/1.0 GET, HEAD or DELETE with a body")
		}
		if te.other {
			return reject(422, end, "Transfer-Encoding with codings other than chunked")
		}
		r.Framing, r.ContentLength = BodyChunked, 0 // chunked wins over Content-Length
		if r.Flags&FlagContentLength != 0 {
			r.Flags |= FlagTEAndCL
		}
	case r.ContentLength > 0:
		if r.bodylessMethod10() {
			return reject(413, end, "HTTP/1.0 GET, HEAD or DELETE with a body")
		}
		r.Framing = BodyLength
	default:
		r.Framing, r.ContentLength = BodyNone, 0
	}

	if isWS && r.Flags&FlagConnUpgrade != 0 {
		r.Flags |= FlagWebSocket
		if !haveKey || !validWebSocketKey(wsKey) {
			return reject(400, end, "WebSocket upgrade without a valid Sec-WebSocket-Key")
		}
	}
	if !equalFold(r.Method, "CONNECT") && len(r.URI) > 0 && r.URI[0] != '/' && r.URI[0] != '*' && indexByte(r.URI, ':') > 0 {
		r.Flags |= FlagAbsoluteURI
	}
	if !opts.AcceptInvalid {
		if err := r.checkAuthority(host, end); err != nil {
			return err
		}
	}
	return nil
}

// parseVersionOpt reads a version strictly, or relaxed: then the
// reference takes any run of version characters and reads it as 1.0
// unless it has the x.y shape.
func parseVersionOpt(v []byte, opts *Options) (major, minor int, ok bool) {
	if major, minor, ok = parseVersion(v); ok || !opts.AcceptInvalid || !relaxedVersion(v) {
		return major, minor, ok
	}
	if len(v) == 8 && isDigit(v[5]) && v[6] == '.' && isDigit(v[7]) {
		return int(v[5] - '0'), int(v[7] - '0'), true
	}
	return 1, 0, true
}

// relaxedVersion: the characters the reference's tokenizer allows in a
// version, upper-case letters, digits, '/' and '.'.
func relaxedVersion(v []byte) bool {
	for _, c := range v {
		if !('A' <= c && c <= 'Z' || isDigit(c) || c == '/' || c == '.') {
			return false
		}
	}
	return len(v) > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// validWebSocketKey: RFC 6455 4.1 wants the base64 encoding of 16 bytes;
// the reference checks only its length.
func validWebSocketKey(k []byte) bool { return len(k) == 24 }

// bodylessMethod10 reports an HTTP/1.0 GET, HEAD or DELETE, which the
// reference refuses with 413 when it carries a body: a 1.0 server would
// not expect one, a smuggling vector.
func (r *Request) bodylessMethod10() bool {
	if r.Major != 1 || r.Minor != 0 {
		return false
	}
	m := string(r.Method)
	return m == "GET" || m == "HEAD" || m == "DELETE"
}

// checkAuthority enforces what the strict reference does with an
// authority in the request target: CONNECT needs host:port, and an
// absolute URI's authority must name the same host as the Host header.
// A CONNECT's Host then loses a default port (80 or 443), as the
// reference's does.
func (r *Request) checkAuthority(host []byte, end int) error {
	uri := r.URI
	var scheme, auth []byte
	switch {
	case equalFold(r.Method, "CONNECT"):
		i := lastIndexByte(uri, ':')
		if i < 0 || i == len(uri)-1 {
			return reject(400, end, "CONNECT target without a port")
		}
		if r.Flags&FlagHasHost == 0 {
			return nil
		}
		// The Host must name the target: with a port, the same one;
		// without, the target's must be a default one.
		uhost, uport := uri[:i], uri[i+1:]
		hhost, hport := splitPort(host)
		switch {
		case len(hport) > 0 && (!equalFoldBytes(hhost, uhost) || string(hport) != string(uport)):
			return reject(400, end, "CONNECT target differs from Host")
		case len(hport) == 0 && (!isDefaultPort(uport, nil) || !equalFoldBytes(hhost, uhost)):
			return reject(400, end, "CONNECT target differs from Host")
		case len(hport) > 0 && isDefaultPort(uport, nil):
			r.setHost(hhost)
		}
		return nil
	case len(uri) > 0 && (uri[0] == '/' || uri[0] == '*'):
		return nil
	default:
		scheme, auth, _ = splitAbsolute(uri)
		if auth == nil && scheme == nil {
			return nil // neither origin nor absolute form: passed through
		}
		if i := lastIndexByte(auth, '@'); i >= 0 {
			auth = auth[i+1:]
		}
	}
	if r.Flags&FlagHasHost == 0 {
		return nil
	}
	if !equalFoldBytes(stripDefaultPort(auth, scheme), stripDefaultPort(host, scheme)) {
		return reject(400, end, "request target authority differs from Host")
	}
	return nil
}

// splitAbsolute splits an absolute URI into its scheme and authority,
// and tells where the authority ends; auth is nil without "//", both are
// nil when uri has no scheme.
func splitAbsolute(uri []byte) (scheme, auth []byte, authEnd int) {
	colon := indexByte(uri, ':')
	if colon <= 0 {
		return nil, nil, 0
	}
	scheme = uri[:colon]
	rest := uri[colon+1:]
	if len(rest) < 2 || rest[0] != '/' || rest[1] != '/' {
		return scheme, nil, 0
	}
	start := colon + 3
	authEnd = len(uri)
	for i := start; i < len(uri); i++ {
		if uri[i] == '/' { // as the reference's: a '?' is still the authority's
			authEnd = i
			break
		}
	}
	return scheme, uri[start:authEnd], authEnd
}

// NormalizeScheme drops the default port of an absolute URI's scheme
// (80 for http, 443 for https; an empty one too) from its authority and
// from the Host headers, as the reference does with every request it
// parses. The URI shrinks in place, in the buffer Parse read.
func (r *Request) NormalizeScheme() {
	if r.Flags&FlagAbsoluteURI == 0 {
		return
	}
	scheme, auth, authEnd := splitAbsolute(r.URI)
	if auth == nil || !(equalFold(scheme, "http") || equalFold(scheme, "https")) {
		return
	}
	i := lastIndexByte(auth, ':')
	if i < 0 || lastIndexByte(auth, ']') > i || !isDefaultPort(auth[i+1:], scheme) {
		return
	}
	cut := authEnd - (len(auth) - i) // where ":port" starts in the URI
	n := copy(r.URI[cut:], r.URI[authEnd:])
	r.URI = r.URI[:cut+n]
	for j := range r.Headers {
		h := &r.Headers[j]
		if equalFold(h.Name, "host") {
			if hh, hp := splitPort(h.Value); hp != nil && isDefaultPort(hp, scheme) {
				h.Value = hh
			}
		}
	}
}

// setHost gives every Host header the value v.
func (r *Request) setHost(v []byte) {
	for j := range r.Headers {
		if equalFold(r.Headers[j].Name, "host") {
			r.Headers[j].Value = v
		}
	}
}

// splitPort splits host[:port] (an IPv6 literal in brackets); port is
// nil without a colon, empty after a bare one.
func splitPort(a []byte) (host, port []byte) {
	i := lastIndexByte(a, ':')
	if i < 0 || lastIndexByte(a, ']') > i {
		return a, nil
	}
	return a[:i], a[i+1:]
}

// isDefaultPort tells whether port is empty or the scheme's default one;
// with no scheme (CONNECT) both 80 and 443 count.
func isDefaultPort(port, scheme []byte) bool {
	switch string(port) {
	case "":
		return true
	case "80":
		return scheme == nil || equalFold(scheme, "http")
	case "443":
		return scheme == nil || equalFold(scheme, "https")
	}
	return false
}

// stripDefaultPort drops an empty port or the scheme's default one; with
// no scheme (CONNECT) both 80 and 443 count as default.
func stripDefaultPort(a, scheme []byte) []byte {
	if host, port := splitPort(a); port != nil && isDefaultPort(port, scheme) {
		return host
	}
	return a
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// KeepAlive reports whether the client asks to keep the connection open
// after this exchange (RFC 9112 9.3).
func (r *Request) KeepAlive() bool { return keepAlive(r.Major, r.Minor, r.Flags) }

// ExpectContinue reports Expect: 100-continue.
func (r *Request) ExpectContinue() bool { return r.Flags&FlagExpectContinue != 0 }

// Upgrade reports a protocol upgrade request (Connection: upgrade with an
// Upgrade header), after which the connection becomes a tunnel if the
// server answers 101.
func (r *Request) Upgrade() bool {
	return r.Flags&(FlagConnUpgrade|FlagUpgrade) == FlagConnUpgrade|FlagUpgrade
}

// IsMethod compares the method exactly (methods are case-sensitive).
func (r *Request) IsMethod(m string) bool { return string(r.Method) == m }

// Path is the target's path: from the first '/' after any scheme and
// authority up to '?', or empty (for "*", an authority, or an absolute
// URI without a path).
func (r *Request) Path() []byte {
	u := r.URI
	if r.Flags&FlagAbsoluteURI != 0 {
		if i := indexByte(u, ':'); i >= 0 && len(u) > i+2 && u[i+1] == '/' && u[i+2] == '/' {
			u = u[i+3:]
			j := indexByte(u, '/')
			if j < 0 {
				return nil
			}
			u = u[j:]
		}
	}
	if len(u) == 0 || u[0] != '/' {
		return nil
	}
	if i := indexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// Query is what follows the first '?' of the target, or nil.
func (r *Request) Query() []byte {
	if i := indexByte(r.URI, '?'); i >= 0 {
		return r.URI[i+1:]
	}
	return nil
}
