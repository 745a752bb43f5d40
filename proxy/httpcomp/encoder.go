// Package httpcomp compresses HTTP response bodies the way HAProxy's
// compression filter sends them: a stream in one of its algorithms,
// flushed at the end of each burst of input so that a slow response is
// never held back, and written in the chunked transfer coding.
package httpcomp

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strconv"
	"sync"
)

// Algo is one of the reference's compression algorithms.
type Algo uint8

// The algorithms of `compression algo`.
const (
	Identity   Algo = iota // no coding at all: the body is only rechunked
	Deflate                // zlib format (RFC 1950), "deflate"
	RawDeflate             // bare deflate (RFC 1951), announced as "deflate"
	Gzip                   // gzip format (RFC 1952)
)

var algoNames = [...]string{Identity: "identity", Deflate: "deflate", RawDeflate: "raw-deflate", Gzip: "gzip"}

// ParseAlgo reads a `compression algo` word.
func ParseAlgo(name string) (Algo, bool) {
	for a, n := range algoNames {
		if n == name {
			return Algo(a), true
		}
	}
	return 0, false
}

// Name is the configuration word of a (what res.comp_algo returns).
func (a Algo) Name() string { return algoNames[a] }

// Token is the content-coding a stands for in Accept-Encoding and
// Content-Encoding: raw-deflate is announced as "deflate", as the
// reference does for clients that take either format.
func (a Algo) Token() string {
	if a == RawDeflate {
		return "deflate"
	}
	return algoNames[a]
}

// Encoder compresses one body. Input goes in with Write; Flush and Close
// append the compressed output so far to a buffer as chunks of the
// chunked transfer coding. Get one with New, give it back with Release.
type Encoder struct {
	algo  Algo
	level int
	out   bytes.Buffer // compressed bytes not yet taken
	fw    *flate.Writer
	zw    *zlib.Writer
	gw    *gzip.Writer
	zlvl  int   // the level zw and gw were made with
	flvl  int   // the level fw was made with
	made  int64 // output bytes so far (chunk framing aside)
}

var pool = sync.Pool{New: func() any { return new(Encoder) }}

// New returns an encoder for algo at level (1-9, zlib's levels).
func New(algo Algo, level int) *Encoder {
	e := pool.Get().(*Encoder)
	e.reset(algo, min(max(level, flate.BestSpeed), flate.BestCompression))
	return e
}

// Release returns e to the pool; e must not be used after.
func (e *Encoder) Release() {
	e.out.Reset()
	pool.Put(e)
}

// reset prepares e for a new stream, reusing the writers it has when
// their level is the one asked for.
func (e *Encoder) reset(algo Algo, level int) {
	e.algo, e.level = algo, level
	e.out.Reset()
	e.made = 0
	switch algo {
	case RawDeflate:
		if e.fw == nil || e.flvl != level {
			e.fw, _ = flate.NewWriter(&e.out, level) // the level is valid
			e.flvl = level
		} else {
			e.fw.Reset(&e.out)
		}
	case Deflate, Gzip:
		if e.zw == nil || e.zlvl != level {
			e.zw, _ = zlib.NewWriterLevel(&e.out, level)
			e.gw, _ = gzip.NewWriterLevel(&e.out, level)
			e.zlvl = level
		}
		e.zw.Reset(&e.out)
		e.gw.Reset(&e.out)
	}
}

// stream is the writer the body goes through.
func (e *Encoder) stream() interface {
	io.Writer
	Flush() error
	Close() error
} {
	switch e.algo {
	case RawDeflate:
		return e.fw
	case Deflate:
		return e.zw
	case Gzip:
		return e.gw
	}
	return nil
}

// Write compresses p. It fails only if the output buffer cannot grow.
func (e *Encoder) Write(p []byte) (int, error) {
	if e.algo == Identity {
		return e.out.Write(p)
	}
	return e.stream().Write(p)
}

// Flush ends the current burst: the compressor is flushed (a sync flush,
// as the reference's after each piece of data it handles) and what it
// produced is appended to dst as one chunk; nothing when there is none.
func (e *Encoder) Flush(dst []byte) []byte {
	if e.algo != Identity {
		e.stream().Flush() // writes to a bytes.Buffer: cannot fail
	}
	return e.take(dst)
}

// Close ends the stream: its last bytes are appended to dst as a chunk,
// then the last chunk and the trailer section: trailers as they came
// after the source's last chunk (trailer lines and the empty line ending
// the message), or just the empty line when trailers is empty.
func (e *Encoder) Close(dst, trailers []byte) []byte {
	if e.algo != Identity {
		e.stream().Close()
	}
	dst = e.take(dst)
	dst = append(dst, '0', '\r', '\n')
	if len(trailers) == 0 {
		return append(dst, '\r', '\n')
	}
	return append(dst, trailers...)
}

// Made is how many bytes the stream has produced so far, the chunk
// framing aside.
func (e *Encoder) Made() int64 { return e.made }

// take appends the pending output to dst as a chunk.
func (e *Encoder) take(dst []byte) []byte {
	if e.out.Len() == 0 {
		return dst
	}
	e.made += int64(e.out.Len())
	dst = strconv.AppendUint(dst, uint64(e.out.Len()), 16)
	dst = append(dst, '\r', '\n')
	dst = append(dst, e.out.Bytes()...)
	e.out.Reset()
	return append(dst, '\r', '\n')
}
