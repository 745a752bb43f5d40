package httpcomp

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strconv"
	"strings"
	"testing"
)

// unchunk parses chunks, returning their data, whether the last chunk
// came, and the trailer section after it.
func unchunk(t *testing.T, b []byte) (data []byte, last bool, trailers string) {
	t.Helper()
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			t.Fatalf("no chunk size line in %q", b)
		}
		n, err := strconv.ParseUint(string(line), 16, 32)
		if err != nil {
			t.Fatalf("chunk size %q: %v", line, err)
		}
		if n == 0 {
			return data, true, string(rest)
		}
		if uint64(len(rest)) < n+2 || string(rest[n:n+2]) != "\r\n" {
			t.Fatalf("chunk of %d bytes not followed by CRLF in %q", n, rest)
		}
		data, b = append(data, rest[:n]...), rest[n+2:]
	}
	return data, false, ""
}

func decoder(t *testing.T, a Algo, r io.Reader) io.Reader {
	t.Helper()
	switch a {
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case Deflate:
		zr, err := zlib.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case RawDeflate:
		return flate.NewReader(r)
	}
	return r
}

// TestEncoderStreams: each burst, once flushed, decodes whole from what
// was sent so far; the closed stream decodes to the whole input and ends
// with the last chunk and the trailers.
func TestEncoderStreams(t *testing.T) {
	bursts := []string{strings.Repeat("alpha ", 500), "", "b", strings.Repeat("gamma delta ", 3000)}
	for _, tc := range []struct {
		desc     string
		algo     Algo
		level    int
		trailers string
	}{
		{"gzip", Gzip, 1, ""},
		{"deflate (zlib)", Deflate, 1, ""},
		{"raw deflate", RawDeflate, 1, "X-Sum: 1\r\n\r\n"},
		{"identity", Identity, 1, ""},
		{"gzip at level 9", Gzip, 9, ""},
		{"level out of range", Gzip, 42, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			e := New(tc.algo, tc.level)
			defer e.Release()
			var out []byte
			sent := ""
			for _, b := range bursts {
				e.Write([]byte(b))
				sent += b
				out = e.Flush(out)
				data, last, _ := unchunk(t, out)
				if last {
					t.Fatal("last chunk before Close")
				}
				got, _ := io.ReadAll(decoder(t, tc.algo, bytes.NewReader(data))) // a stream cut short
				if string(got) != sent {
					t.Fatalf("after a flush, %d bytes decode, want the %d sent", len(got), len(sent))
				}
			}
			out = e.Close(out, []byte(tc.trailers))
			data, last, trailers := unchunk(t, out)
			want := tc.trailers
			if want == "" {
				want = "\r\n"
			}
			if !last || trailers != want {
				t.Fatalf("end of the body: last chunk %v, trailers %q, want %q", last, trailers, want)
			}
			got, err := io.ReadAll(decoder(t, tc.algo, bytes.NewReader(data)))
			if err != nil || string(got) != sent {
				t.Fatalf("the closed stream decodes to %d bytes (%v), want %d", len(got), err, len(sent))
			}
			if tc.algo == Identity && string(data) != sent {
				t.Fatalf("identity changed the bytes")
			}
		})
	}
}

// TestEncoderReuse: an encoder from the pool starts a fresh stream, even
// with another algorithm or level than its last one.
func TestEncoderReuse(t *testing.T) {
	for i, a := range []Algo{Gzip, Gzip, Deflate, RawDeflate, Gzip, Identity, Deflate} {
		e := New(a, 1+i%9)
		e.Write([]byte("hello"))
		data, _, _ := unchunk(t, e.Close(nil, nil))
		e.Release()
		got, err := io.ReadAll(decoder(t, a, bytes.NewReader(data)))
		if err != nil || string(got) != "hello" {
			t.Fatalf("round %d (%s): %q, %v", i, a.Name(), got, err)
		}
	}
}

func TestAlgoNames(t *testing.T) {
	for _, tc := range []struct {
		word, token string
		ok          bool
	}{{"gzip", "gzip", true}, {"deflate", "deflate", true}, {"raw-deflate", "deflate", true},
		{"identity", "identity", true}, {"br", "", false}, {"GZIP", "", false}} {
		a, ok := ParseAlgo(tc.word)
		if ok != tc.ok || ok && (a.Name() != tc.word || a.Token() != tc.token) {
			t.Errorf("ParseAlgo(%q) = %v %v (name %q, token %q)", tc.word, a, ok, a.Name(), a.Token())
		}
	}
}
