package http1

import "strconv"

// The writers append to a caller's buffer (usually a pooled one) and
// never allocate beyond growing it.

// AppendRequestLine appends "METHOD SP URI SP PROTO CRLF".
func AppendRequestLine(dst, method, uri, proto []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, uri...)
	dst = append(dst, ' ')
	if proto == nil {
		proto = http10
	}
	dst = append(dst, proto...)
	return append(dst, '\r', '\n')
}

var http10 = []byte("HTTP/1.0")

// AppendStatusLine appends "PROTO SP CODE SP REASON CRLF".
func AppendStatusLine(dst, proto []byte, status int, reason []byte) []byte {
	dst = append(dst, proto...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	return append(dst, '\r', '\n')
}

// AppendHeader appends "Name: Value CRLF".
func AppendHeader(dst, name, value []byte) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// AppendHeaders appends every header, then the empty line ending a head.
func AppendHeaders(dst []byte, h Headers) []byte {
	for i := range h {
		dst = AppendHeader(dst, h[i].Name, h[i].Value)
	}
	return append(dst, '\r', '\n')
}

// AppendHead writes the request head back in normalised form (single
// spaces, CRLF line ends, folds joined).
func (r *Request) AppendHead(dst []byte) []byte {
	dst = AppendRequestLine(dst, r.Method, r.URI, r.Proto)
	return AppendHeaders(dst, r.Headers)
}

// AppendHead writes the response head back in normalised form.
func (r *Response) AppendHead(dst []byte) []byte {
	dst = AppendStatusLine(dst, r.Proto, r.Status, r.Reason)
	return AppendHeaders(dst, r.Headers)
}

// AppendChunkHeader appends a chunk size line for n bytes of data; n == 0
// writes the last-chunk line (follow it with trailers and CRLF).
func AppendChunkHeader(dst []byte, n int) []byte {
	dst = strconv.AppendUint(dst, uint64(n), 16)
	return append(dst, '\r', '\n')
}

// LastChunk is the end of a chunked body without trailers.
const LastChunk = "0\r\n\r\n"
