// Package http1 is Fulcrum's HTTP/1.1 message codec: request and response
// heads parsed in place from a caller's buffer into slices of that buffer,
// body framing (Content-Length, chunked, until close) and the head writer,
// with HAProxy 2.6's strictness and its accept-invalid relaxations.
//
// Nothing here allocates per message: a Request or Response is reused
// across messages, its header slice keeps its capacity, and every method,
// URI, version, header name and value is a sub-slice of the parsed buffer,
// valid until the caller reuses that buffer.
package http1
