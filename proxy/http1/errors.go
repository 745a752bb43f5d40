package http1

import (
	"errors"
	"strconv"
)

// ErrIncomplete means the buffer holds only a prefix of a message head or
// chunk framing: read more and parse again from the same start.
var ErrIncomplete = errors.New("http1: incomplete message")

// Error is a message the reference refuses. Status is what the reference
// answers a client for a request (400, 413, 422); for a response the proxy
// answers 502 and Status says so.
type Error struct {
	Status int
	Offset int    // byte offset in the parsed buffer where parsing stopped
	Reason string // for logs, never sent
}

func (e *Error) Error() string { return "http1: " + e.Reason }

func reject(status, off int, reason string) *Error {
	return &Error{Status: status, Offset: off, Reason: reason}
}

// Error answers as the reference writes them on the client connection when
// its HTTP/1 layer refuses a request (its built-in pages, before any
// errorfile), byte for byte; the connection closes after each.
var errorResponses = map[int][]byte{
	400: errorPage(400, "Bad request", "Your browser sent an invalid request.", true),
	408: errorPage(408, "Request Time-out", "Your browser didn't send a complete request in time.", true),
	413: errorPage(413, "Payload Too Large", "The request entity exceeds the maximum allowed.", false),
	422: errorPage(422, "Unprocessable Content", "The server cannot process the contained instructions.", false),
}

func errorPage(status int, reason, text string, connClose bool) []byte {
	code := strconv.Itoa(status)
	body := "<html><body><h1>" + code + " " + reason + "</h1>\n" + text + "\n</body></html>\n"
	head := "HTTP/1.1 " + code + " " + reason + "\r\n" +
		"Content-length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Cache-Control: no-cache\r\n"
	if connClose {
		head += "Connection: close\r\n"
	}
	return []byte(head + "Content-Type: text/html\r\n\r\n" + body)
}

// ErrorResponse returns the reference's answer for a status the codec
// produces (400, 408, 413, 422), or nil for another. The slice is shared:
// write it, never modify it.
func ErrorResponse(status int) []byte { return errorResponses[status] }
