package http1

// Body follows one message body through the bytes that arrive after its
// head, whatever its framing, so that an engine can forward each piece as
// it comes and know where the body ends and the next message starts. It
// buffers nothing. The zero value is a finished empty body.
type Body struct {
	framing Framing
	remain  int64 // BodyLength: bytes still to come
	dec     ChunkedDecoder
	done    bool
}

// StartRequest prepares b for the body of a parsed request.
func (b *Body) StartRequest(r *Request, opts *Options) {
	b.start(r.Framing, r.ContentLength, 400, opts)
}

// StartResponse prepares b for the body of a parsed response.
func (b *Body) StartResponse(r *Response, opts *Options) {
	b.start(r.Framing, r.ContentLength, 502, opts)
}

func (b *Body) start(f Framing, length int64, status int, opts *Options) {
	*b = Body{framing: f, remain: length}
	b.dec = ChunkedDecoder{Status: status, AcceptInvalid: opts.AcceptInvalid}
	b.done = f == BodyNone || f == BodyLength && length == 0
}

// Consume takes bytes that arrived after the head (or after the previous
// call's share) and returns how many of them belong to the body; they are
// to be forwarded as they are. Once Done, the rest of p is the next
// message. A chunked body with broken framing returns an *Error.
func (b *Body) Consume(p []byte) (int, error) {
	if b.done {
		return 0, nil
	}
	switch b.framing {
	case BodyLength:
		n := int64(len(p))
		if n >= b.remain {
			n, b.done = b.remain, true
		}
		b.remain -= n
		return int(n), nil
	case BodyChunked:
		n, err := b.dec.Scan(p)
		b.done = b.dec.Done()
		return n, err
	case BodyUntilClose:
		return len(p), nil
	}
	return 0, nil
}

// Chunked reports whether the body uses the chunked coding, which a
// proxy forwards through Rechunk rather than as it came.
func (b *Body) Chunked() bool { return b.framing == BodyChunked }

// Rechunk is Consume for a chunked body: it appends the body bytes of p
// to dst re-encoded as ChunkedDecoder.Rechunk does, and returns dst and
// how many bytes of p belonged to the body.
func (b *Body) Rechunk(dst, p []byte) ([]byte, int, error) {
	if b.done {
		return dst, 0, nil
	}
	dst, n, err := b.dec.Rechunk(dst, p)
	b.done = b.dec.Done()
	return dst, n, err
}

// CheckBuffered validates the chunked framing of the body bytes that
// arrived together with the head (p, from the end of the head on), as
// the reference does when it parses a buffer holding both: a broken chunk
// there makes the whole request a bad one, refused before any server is
// contacted.
func (r *Request) CheckBuffered(p []byte, opts *Options) error {
	if r.Framing != BodyChunked || len(p) == 0 {
		return nil
	}
	d := ChunkedDecoder{Status: 400, AcceptInvalid: opts.AcceptInvalid}
	_, err := d.Scan(p)
	return err
}

// StoredBytes is what a chunked body weighs in the reference's byte
// counts (the log's %B and %U, the statistics): its data, its trailers'
// names and values, and one more once it has ended; the chunk framing
// does not count.
func (b *Body) StoredBytes() int64 {
	n := b.dec.Payload + b.dec.TrailerBytes
	if b.done {
		n++
	}
	return n
}

// Done reports whether the whole body has passed. A body delimited by
// the connection's close is never done: it ends with the connection.
func (b *Body) Done() bool { return b.done }

// Remaining is what a Content-Length body still expects, for copying it
// with io.CopyN (a splice) instead of through Consume; -1 for the other
// framings.
func (b *Body) Remaining() int64 {
	if b.framing != BodyLength {
		return -1
	}
	return b.remain
}

// Skip accounts for n body bytes the caller forwarded itself (with
// io.CopyN after Remaining).
func (b *Body) Skip(n int64) {
	if b.framing == BodyLength {
		b.remain -= min(n, b.remain)
		b.done = b.remain == 0
	}
}

// ContinueResponse is the interim answer to Expect: 100-continue when the
// proxy itself wants the body (option http-buffer-request).
const ContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n"
