package http1

// Next is Consume for an engine that re-encodes the body (compression):
// it takes bytes that arrived after the head and returns how many of them
// it used and the body data among them (a slice of p, chunk framing
// removed; empty when p began with framing only). The raw bytes of a
// chunked body's trailer section (trailer lines and the final empty
// line) are appended to trailers. Call it again with p[n:] while n <
// len(p) and the body is not Done; once Done, the rest of p is the next
// message.
func (b *Body) Next(p, trailers []byte) (n int, data, trailersOut []byte, err error) {
	if b.framing != BodyChunked {
		n, err = b.Consume(p)
		return n, p[:n], trailers, err
	}
	if b.done {
		return 0, nil, trailers, nil
	}
	inTrailers := b.dec.state >= csTrailer
	n, data, err = b.dec.Decode(p)
	if inTrailers && err == nil {
		trailers = append(trailers, p[:n]...)
	}
	b.done = b.dec.Done()
	return n, data, trailers, err
}
