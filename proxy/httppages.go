package proxy

import (
	"bytes"
	"errors"
	"strconv"

	"fulcrum/proxy/http1"
)

// Reply is an answer the proxy writes itself: a built-in error page, an
// errorfile, a deny/return/auth/redirect rule's message. Headers are kept
// in order, as the reference writes them (lower-cased on output).
type Reply struct {
	Status  int
	Reason  string
	Headers http1.Headers
	Body    []byte
	// Close: the connection closes after it, announced by "connection:
	// close" (an errorfile without Content-Length, whose body the close
	// delimits; the 400 and 408 pages).
	Close bool
	// dynamic computes an http-error page's lf-string/lf-file body and
	// hdr values per request (fromhttperror.go).
	dynamic *HTTPRule
}

// builtinPage is one of the reference's built-in error answers (its
// default errorfiles), as a Reply.
func builtinPage(status int, reason, text string) *Reply {
	code := strconv.Itoa(status)
	body := "<html><body><h1>" + code + " " + reason + "</h1>\n" + text + "\n</body></html>\n"
	return &Reply{Status: status, Reason: reason, Body: []byte(body), Headers: http1.Headers{
		hdr("content-length", strconv.Itoa(len(body))),
		hdr("cache-control", "no-cache"),
		hdr("content-type", "text/html")}}
}

func hdr(name, value string) http1.Header {
	return http1.Header{Name: []byte(name), Value: []byte(value)}
}

// builtinPages are the statuses the reference has a default errorfile for
// (the only ones deny_status and errorfile accept).
var builtinPages = map[int]*Reply{
	200: builtinPage(200, "OK", "Service ready."),
	400: closing(builtinPage(400, "Bad request", "Your browser sent an invalid request.")),
	401: builtinPage(401, "Unauthorized", "You need a valid user and password to access this content."),
	403: builtinPage(403, "Forbidden", "Request forbidden by administrative rules."),
	404: builtinPage(404, "Not Found", "The resource could not be found."),
	405: builtinPage(405, "Method Not Allowed", "A request was made of a resource using a request method not supported by that resource"),
	407: builtinPage(407, "Unauthorized", "You need a valid user and password to access this content."),
	408: closing(builtinPage(408, "Request Time-out", "Your browser didn't send a complete request in time.")),
	410: builtinPage(410, "Gone", "The resource is no longer available and will not be available again."),
	413: builtinPage(413, "Payload Too Large", "The request entity exceeds the maximum allowed."),
	425: builtinPage(425, "Too Early", "Your browser sent early data."),
	429: builtinPage(429, "Too Many Requests", "You have sent too many requests in a given amount of time."),
	500: builtinPage(500, "Internal Server Error", "An internal server error occurred."),
	501: builtinPage(501, "Not Implemented", ".The server does not support the functionality required to fulfill the request."),
	502: builtinPage(502, "Bad Gateway", "The server returned an invalid or incomplete response."),
	503: builtinPage(503, "Service Unavailable", "No server is available to handle this request."),
	504: builtinPage(504, "Gateway Time-out", "The server didn't respond in time."),
}

// closing marks a page after which the reference closes the connection
// (its connection header, unlike one added on the way out, counts in %B).
func closing(r *Reply) *Reply {
	r.Close = true
	r.Headers = append(r.Headers, hdr("connection", "close"))
	return r
}

// HandledStatus tells whether the reference has an error page for status
// (what deny_status, errorfile and errorloc accept).
func HandledStatus(status int) bool { return builtinPages[status] != nil }

// ParseErrorFile reads an errorfile: a complete HTTP/1 response, sent as
// written (header names lower-cased). Without a Content-Length the body
// runs to the end of the file and the connection closes after it.
func ParseErrorFile(raw []byte) (*Reply, error) {
	var r http1.Response
	opts := http1.DefaultOptions()
	opts.Limits.BufSize = 0 // a file is read whole
	n, err := r.Parse(raw, &opts, nil)
	if err != nil || r.Status < 100 || r.Status > 999 {
		return nil, errors.New("not a valid HTTP response")
	}
	rep := &Reply{Status: r.Status, Reason: string(r.Reason), Body: bytes.Clone(raw[n:])}
	for _, h := range r.Headers {
		rep.Headers = append(rep.Headers, http1.Header{Name: bytes.Clone(h.Name), Value: bytes.Clone(h.Value)})
	}
	rep.Close = r.Framing == http1.BodyUntilClose
	if r.Framing == http1.BodyNone && len(rep.Body) > 0 {
		rep.Close = true
	}
	return rep, nil
}

// errorPage finds the page for status: the backend's errorfile, the
// frontend's, then the built-in one.
func (h *httpConn) errorPage(status int) *Reply {
	if h.be != nil {
		if p := h.be.cfg.HTTP.Actions.Errors[status]; p != nil {
			return p
		}
	}
	if p := h.fe.cfg.HTTP.Actions.Errors[status]; p != nil {
		return p
	}
	return builtinPages[status]
}

// sendPage writes the error page for status on a connection that closes
// after it (the stream layer's errors) and returns what %B counts.
func (h *httpConn) sendPage(status int, keep bool) int64 {
	st, n := h.writeReply(h.errorPage(status), keep)
	h.hrec.Status = st
	return n
}

// replySize is what the reference counts in %B for an answer it builds:
// its internal size (see htxSize) plus the body.
func replySize(status int, reason []byte, hs http1.Headers, body int) int64 {
	n := 20 + len("HTTP/1.1") + len(reason) + 1 + body
	for s := status; s > 0; s /= 10 {
		n++
	}
	for i := range hs {
		n += len(hs[i].Name) + len(hs[i].Value)
	}
	return int64(n)
}

// writeReply writes rep to the client after the http-after-response
// rules; keep tells whether the connection may persist (an unframed body
// forbids it). It returns the status sent and what %B counts.
func (h *httpConn) writeReply(rep *Reply, keep bool) (int, int64) {
	if rep.dynamic != nil {
		rep = h.evalReply(rep.dynamic, rep)
	}
	status, reason := rep.Status, []byte(rep.Reason)
	hs := append(http1.Headers(nil), rep.Headers...)
	h.afterResponse(&status, &reason, &hs)
	h.out = http1.AppendStatusLine(h.out[:0], []byte("HTTP/1.1"), status, reason)
	for i := range hs {
		h.out = appendLowerHeader(h.out, hs[i].Name, hs[i].Value)
	}
	is11 := h.req.Major > 1 || h.req.Major == 1 && h.req.Minor >= 1
	switch {
	case hs.Index("connection", 0) >= 0:
	case rep.Close || h.gaps.bodyLeft || !h.req.KeepAlive() && h.req.Major > 0:
		h.out = appendLowerHeader(h.out, hdrConnection, valClose)
	case keep && !is11:
		h.out = appendLowerHeader(h.out, hdrConnection, valKeepAlive)
	}
	body := rep.Body
	if h.req.IsMethod("HEAD") {
		body = nil // nor does it count in %B
	}
	size := replySize(status, reason, hs, len(body))
	h.out = append(h.out, '\r', '\n')
	h.out = append(h.out, body...)
	h.cli.Write(h.out)
	return status, size
}

// bytes is the reply as written on the wire without rules (for tests).
func (r *Reply) bytes() []byte {
	out := http1.AppendStatusLine(nil, []byte("HTTP/1.1"), r.Status, []byte(r.Reason))
	for i := range r.Headers {
		out = appendLowerHeader(out, r.Headers[i].Name, r.Headers[i].Value)
	}
	if r.Close && r.Headers.Index("connection", 0) < 0 {
		out = appendLowerHeader(out, hdrConnection, valClose)
	}
	return append(append(out, '\r', '\n'), r.Body...)
}
