package http1

import "bytes"

// Framing says how a message's body is delimited.
type Framing uint8

const (
	BodyNone       Framing = iota // no body at all
	BodyLength                    // exactly ContentLength bytes
	BodyChunked                   // chunked transfer coding, ends with the last chunk and trailers
	BodyUntilClose                // responses only: everything until the server closes
)

func (f Framing) String() string {
	switch f {
	case BodyNone:
		return "none"
	case BodyLength:
		return "length"
	case BodyChunked:
		return "chunked"
	case BodyUntilClose:
		return "until-close"
	}
	return "?"
}

// Flags are what a head says about its connection and exchange.
type Flags uint16

const (
	FlagConnClose      Flags = 1 << iota // Connection: close
	FlagConnKeepAlive                    // Connection: keep-alive
	FlagConnUpgrade                      // Connection: upgrade
	FlagUpgrade                          // an Upgrade header is present
	FlagWebSocket                        // Upgrade: websocket with Connection: upgrade
	FlagExpectContinue                   // Expect: 100-continue
	FlagHasHost                          // a Host header is present
	FlagAbsoluteURI                      // the request target is in absolute form
	FlagContentLength                    // a Content-Length header is present (even if TE wins)
	FlagNoVersion                        // request line without a version (accept-invalid only)
	FlagTEAndCL                          // both Transfer-Encoding and Content-Length: close after this exchange
)

// skipEmptyLines passes the empty lines a client may send before a request
// (RFC 9112 2.2), which the reference tolerates.
func skipEmptyLines(buf []byte) int {
	p := 0
	for p < len(buf) {
		switch {
		case buf[p] == '\n':
			p++
		case buf[p] == '\r' && p+1 < len(buf) && buf[p+1] == '\n':
			p += 2
		default:
			return p
		}
	}
	return p
}

// nextLine returns the line starting at p without its terminator (CRLF or
// a bare LF) and the offset after the terminator. A CR anywhere else in the
// line is an error, as in the reference.
func nextLine(buf []byte, p, status int) (line []byte, next int, err error) {
	nl := bytes.IndexByte(buf[p:], '\n')
	if nl < 0 {
		if i := bytes.IndexByte(buf[p:], '\r'); i >= 0 && p+i+1 < len(buf) {
			return nil, 0, reject(status, p+i, "CR not followed by LF")
		}
		return nil, 0, ErrIncomplete
	}
	line = buf[p : p+nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if i := bytes.IndexByte(line, '\r'); i >= 0 {
		return nil, 0, reject(status, p+i, "CR not followed by LF")
	}
	return line, p + nl + 1, nil
}

// parseFields reads header lines from buf[p:] up to and including the
// empty line, appending to *hdrs, and returns the offset after the head.
// status is what a malformed field costs (400 for requests, 502 for
// responses).
func parseFields(buf []byte, p int, hdrs *Headers, opts *Options, status int) (int, error) {
	maxHdr := opts.Limits.MaxHeaders
	valStart := 0 // where the last header's value starts, for obs-fold
	dropped := 0  // Connection headers the reference does not keep
	for {
		line, next, err := nextLine(buf, p, status)
		if err == ErrIncomplete {
			return 0, partialField(buf[p:], len(*hdrs) == 0, p, opts, status)
		}
		if err != nil {
			return 0, err
		}
		if len(line) == 0 {
			return next, nil
		}
		if isSPHT(line[0]) {
			// obs-fold: the reference joins the line to the previous
			// value, turning the line break into blanks.
			if len(*hdrs) == 0 {
				return 0, reject(status, p, "folded line before any header")
			}
			for i := p - 1; i >= 0 && (buf[i] == '\n' || buf[i] == '\r'); i-- {
				buf[i] = ' '
			}
			last := &(*hdrs)[len(*hdrs)-1]
			last.Value = trimSPHT(buf[valStart : p+len(line)])
			p = next
			continue
		}
		colon := -1
		for i, c := range line {
			if c == ':' {
				colon = i
				break
			}
			if !tokenChar[c] && !opts.AcceptInvalid {
				return 0, reject(status, p+i, "invalid character in header name")
			}
		}
		if colon <= 0 {
			if colon == 0 {
				return 0, reject(status, p, "empty header name")
			}
			return 0, reject(status, p, "header line without colon")
		}
		if maxHdr > 0 && len(*hdrs)-dropped+1 >= maxHdr {
			return 0, reject(status, p, "too many headers")
		}
		v := colon + 1
		for v < len(line) && isSPHT(line[v]) {
			v++
		}
		valStart = p + v
		*hdrs = append(*hdrs, Header{Name: line[:colon], Value: trimSPHT(line[v:])})
		if h := &(*hdrs)[len(*hdrs)-1]; equalFold(h.Name, "connection") && keptConnectionLen(h.Value) == 0 {
			dropped++
		}
		p = next
	}
}

// partialField checks the start of a header line whose end has not
// arrived: the strict reference refuses a bad name or a fold before any
// header at once, without waiting for the line to complete.
func partialField(part []byte, first bool, off int, opts *Options, status int) error {
	if opts.AcceptInvalid || len(part) == 0 {
		return ErrIncomplete
	}
	if isSPHT(part[0]) {
		if first {
			return reject(status, off, "folded line before any header")
		}
		return ErrIncomplete
	}
	for i, c := range part {
		if c == ':' || c == '\r' {
			break
		}
		if !tokenChar[c] {
			return reject(status, off+i, "invalid character in header name")
		}
	}
	return ErrIncomplete
}

// parseVersion reads "HTTP/x.y" exactly, as the reference demands.
func parseVersion(v []byte) (major, minor int, ok bool) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

// parseContentLength reads one Content-Length value: a comma-separated
// list of equal decimal numbers. first is the first element as written,
// which is what the reference keeps of the header.
func parseContentLength(v []byte) (n int64, first []byte, ok bool) {
	n = -1
	for rest := v; ; {
		var elem []byte
		elem, rest = nextElem(rest)
		if len(elem) == 0 {
			return 0, nil, false
		}
		var x int64
		for _, c := range elem {
			if c < '0' || c > '9' || x > (1<<62)/10 {
				return 0, nil, false
			}
			x = x*10 + int64(c-'0')
		}
		if n >= 0 && x != n {
			return 0, nil, false
		}
		if n < 0 {
			first = elem
		}
		n = x
		if rest == nil {
			return n, first, true
		}
	}
}

// teState accumulates Transfer-Encoding elements across headers.
type teState struct {
	seen        bool // any TE header
	chunkedLast bool // the last coding is chunked
	chunkedMid  bool // chunked followed by another coding
	other       bool // a coding other than chunked
}

func (t *teState) add(v []byte) {
	t.seen = true
	for rest := v; ; {
		var elem []byte
		elem, rest = nextElem(rest)
		if len(elem) == 0 && rest == nil && t.chunkedLast {
			return // the reference ignores one trailing comma
		}
		if t.chunkedLast {
			t.chunkedMid = true
		}
		if equalFold(elem, "chunked") {
			t.chunkedLast = true
		} else {
			t.chunkedLast = false
			t.other = true
		}
		if rest == nil {
			return
		}
	}
}

// connFlags reads the Connection header's tokens.
func connFlags(v []byte) Flags {
	var f Flags
	for rest := v; len(rest) > 0; {
		var elem []byte
		elem, rest = nextElem(rest)
		switch {
		case equalFold(elem, "close"):
			f |= FlagConnClose
		case equalFold(elem, "keep-alive"):
			f |= FlagConnKeepAlive
		case equalFold(elem, "upgrade"):
			f |= FlagConnUpgrade
		}
	}
	return f
}

// keepAlive applies RFC 9112 9.3: 1.1 persists unless "close", 1.0 only
// with "keep-alive"; and a message framed by both Transfer-Encoding and
// Content-Length ends the connection (RFC 9112 6.1), as the reference does.
func keepAlive(major, minor int, f Flags) bool {
	if f&(FlagConnClose|FlagTEAndCL) != 0 {
		return false
	}
	if major > 1 || major == 1 && minor >= 1 {
		return true
	}
	return f&FlagConnKeepAlive != 0
}

// headCost is what a head costs the reference in its buffer; see Limits.
func headCost(startLine int, hdrs Headers) int {
	cost := htxStartLine + htxBlock + startLine + htxBlock // start line, end of headers
	sawCL := false
	for i := range hdrs {
		h := &hdrs[i]
		vlen := len(h.Value)
		if equalFold(h.Name, "content-length") {
			// The reference keeps one Content-Length with its first value.
			if sawCL {
				continue
			}
			sawCL = true
			if _, first, ok := parseContentLength(h.Value); ok {
				vlen = len(first)
			}
		}
		if equalFold(h.Name, "connection") {
			if vlen = keptConnectionLen(h.Value); vlen == 0 {
				continue
			}
		}
		cost += htxBlock + len(h.Name) + vlen
	}
	return cost
}

// keptConnectionLen is the length of what the reference keeps of a
// Connection header's value: it takes the close and keep-alive options
// out into its own flags (and drops the header when nothing else is
// left), and joins the remaining options with a bare comma once it has
// removed one.
func keptConnectionLen(v []byte) int {
	whole := len(v)
	kept, words, removed := 0, 0, false
	for len(v) > 0 {
		word := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			word, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		word = trimSPHT(word)
		if len(word) == 0 {
			continue
		}
		if equalFold(word, "close") || equalFold(word, "keep-alive") {
			removed = true
			continue
		}
		kept += len(word)
		words++
	}
	if !removed {
		return whole
	}
	if words > 1 {
		kept += words - 1
	}
	return kept
}
