package http1

// ChunkRemaining is how many data bytes of the current chunk are still
// to come (0 between chunks): what a chunked body announces beyond the
// bytes decoded so far.
func (d *ChunkedDecoder) ChunkRemaining() int64 {
	if d.state == csData {
		return int64(d.remain)
	}
	return 0
}
