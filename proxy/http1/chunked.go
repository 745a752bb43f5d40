package http1

import "strconv"

// ChunkedDecoder is a streaming decoder of the chunked transfer coding
// (RFC 9112 7.1) with the reference's strictness. It holds no buffer: feed
// it whatever has arrived, forward what it returns, feed the rest later.
// The zero value is ready for a new body.
type ChunkedDecoder struct {
	state   chunkState
	remain  uint64 // bytes left in the current chunk's data
	digits  int    // hex digits seen in the size
	Status  int    // status for errors: 400 (request, default) or 502 (response)
	Payload int64  // data bytes decoded so far
	// TrailerBytes counts the trailers' names and values (without the
	// blanks around values), as the reference stores them.
	TrailerBytes int64
	valStarted   bool  // a non-blank of the current trailer value was seen
	blanks       int64 // blanks after it, counted once more follows
	// AcceptInvalid relaxes trailer names as accept-invalid-http-* does
	// header names.
	AcceptInvalid bool
}

type chunkState uint8

const (
	csSize         chunkState = iota // hex digits of the size
	csSizeBlank                      // blanks after the size
	csExt                            // chunk extension, up to the line end
	csSizeLF                         // LF after CR of the size line
	csData                           // chunk data
	csDataCR                         // CR or LF after the data
	csDataLF                         // LF after CR after the data
	csTrailer                        // start of a trailer line (or the final empty one)
	csTrailerName                    // inside a trailer name
	csTrailerValue                   // inside a trailer value
	csTrailerLF                      // LF after CR of a trailer line
	csEndLF                          // LF after CR of the final empty line
	csDone
)

// Reset prepares d for a new body.
func (d *ChunkedDecoder) Reset() {
	*d = ChunkedDecoder{Status: d.Status, AcceptInvalid: d.AcceptInvalid}
}

// InTrailers reports whether the last chunk was read and what follows is
// the trailer section (up to Done).
func (d *ChunkedDecoder) InTrailers() bool { return d.state >= csTrailer && d.state != csDone }

// Done reports whether the last chunk and trailers have been read.
func (d *ChunkedDecoder) Done() bool { return d.state == csDone }

func (d *ChunkedDecoder) fail(off int, reason string) *Error {
	st := d.Status
	if st == 0 {
		st = 400
	}
	return reject(st, off, reason)
}

// Decode consumes framing from p until it reaches chunk data, the end of
// the last-chunk line (where trailers start) or the end of the body. It
// returns how many bytes of p it used and, when it reached data, that data
// (a slice of p, counted in n). Call it again with p[n:]. Once Done, the
// rest of p belongs to the next message; n == len(p) means feed more.
func (d *ChunkedDecoder) Decode(p []byte) (n int, data []byte, err error) {
	for n < len(p) {
		c := p[n]
		switch d.state {
		case csData:
			k := uint64(len(p) - n)
			if k > d.remain {
				k = d.remain
			}
			data = p[n : n+int(k)]
			n += int(k)
			d.remain -= k
			d.Payload += int64(k)
			if d.remain == 0 {
				d.state = csDataCR
			}
			return n, data, nil
		case csSize:
			if v := unhex(c); v >= 0 {
				// The reference refuses sizes that would overflow 2^56.
				if d.remain&0xF0000000000000 != 0 {
					return n, nil, d.fail(n, "chunk size too large")
				}
				d.remain = d.remain<<4 | uint64(v)
				d.digits++
				n++
				continue
			}
			if d.digits == 0 {
				return n, nil, d.fail(n, "invalid chunk size")
			}
			d.state = csSizeBlank
			continue
		case csSizeBlank:
			switch {
			case isSPHT(c):
				n++
			case c == ';':
				d.state = csExt
				n++
			case c == '\r':
				d.state = csSizeLF
				n++
			case c == '\n':
				n++
				if d.endSizeLine() {
					return n, nil, nil
				}
			default:
				return n, nil, d.fail(n, "invalid chunk size line")
			}
		case csExt:
			n++
			switch c {
			case '\r':
				d.state = csSizeLF
			case '\n':
				if d.endSizeLine() {
					return n, nil, nil
				}
			}
		case csSizeLF:
			if c != '\n' {
				return n, nil, d.fail(n, "CR not followed by LF in chunk size line")
			}
			n++
			if d.endSizeLine() {
				return n, nil, nil
			}
		case csDataCR:
			switch c {
			case '\r':
				d.state = csDataLF
			case '\n':
				d.startChunk()
			default:
				return n, nil, d.fail(n, "chunk data longer than its size")
			}
			n++
		case csDataLF:
			if c != '\n' {
				return n, nil, d.fail(n, "CR not followed by LF after chunk data")
			}
			n++
			d.startChunk()
		case csTrailer:
			switch {
			case c == '\r':
				d.state = csEndLF
			case c == '\n':
				d.state = csDone
			case isSPHT(c):
				d.state = csTrailerValue // a fold continues the previous trailer
			case c != ':' && (tokenChar[c] || d.AcceptInvalid):
				d.state = csTrailerName
				d.TrailerBytes++
			default:
				return n, nil, d.fail(n, "invalid trailer name")
			}
			n++
		case csTrailerName:
			switch {
			case c == ':':
				d.state = csTrailerValue
				d.valStarted, d.blanks = false, 0
			case c != '\r' && c != '\n' && (tokenChar[c] || d.AcceptInvalid):
				d.TrailerBytes++
			default:
				return n, nil, d.fail(n, "invalid trailer name")
			}
			n++
		case csTrailerValue:
			switch {
			case c == '\r':
				d.state = csTrailerLF
			case c == '\n':
				d.state = csTrailer
			case isSPHT(c):
				if d.valStarted {
					d.blanks++
				}
			default:
				d.TrailerBytes += d.blanks + 1
				d.valStarted, d.blanks = true, 0
			}
			n++
		case csTrailerLF, csEndLF:
			if c != '\n' {
				return n, nil, d.fail(n, "CR not followed by LF in trailers")
			}
			n++
			if d.state == csEndLF {
				d.state = csDone
			} else {
				d.state = csTrailer
			}
		case csDone:
			return n, nil, nil
		}
	}
	return n, nil, nil
}

// endSizeLine ends a size line; it reports whether that was the last
// chunk's, so Decode can stop where the trailers begin.
func (d *ChunkedDecoder) endSizeLine() bool {
	if d.remain == 0 {
		d.state = csTrailer
		return true
	}
	d.state = csData
	return false
}

func (d *ChunkedDecoder) startChunk() {
	d.state, d.remain, d.digits = csSize, 0, 0
}

// Scan validates framing and data alike without separating them, for a
// proxy that forwards the chunked bytes as they are: it returns how many
// bytes of p belong to the body (all of p unless the body ends inside it).
func (d *ChunkedDecoder) Scan(p []byte) (int, error) {
	off := 0
	for off < len(p) && !d.Done() {
		n, _, err := d.Decode(p[off:])
		off += n
		if err != nil {
			return off, err
		}
		if n == 0 {
			break
		}
	}
	return off, nil
}

// Rechunk decodes p like Scan and appends the body to dst the way the
// reference's HTTP/1 output writes it: each piece of data as a chunk with
// a bare lower-case hex size (leading zeros and chunk extensions, a known
// smuggling vector, dropped), the last chunk as "0", then the trailers and
// the final line as they came. It returns dst and how many bytes of p
// belong to the body.
func (d *ChunkedDecoder) Rechunk(dst, p []byte) ([]byte, int, error) {
	off := 0
	for off < len(p) && !d.Done() {
		inTrailers := d.state >= csTrailer
		n, data, err := d.Decode(p[off:])
		if err != nil {
			return dst, off + n, err
		}
		switch {
		case len(data) > 0:
			dst = strconv.AppendUint(dst, uint64(len(data)), 16)
			dst = append(dst, '\r', '\n')
			dst = append(dst, data...)
			dst = append(dst, '\r', '\n')
		case inTrailers:
			dst = append(dst, p[off:off+n]...)
		case d.state == csTrailer:
			dst = append(dst, '0', '\r', '\n')
		}
		off += n
		if n == 0 {
			break
		}
	}
	return dst, off, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
