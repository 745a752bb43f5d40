package http1

import "errors"

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
