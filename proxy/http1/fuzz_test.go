package http1

import (
	"bytes"
	"errors"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, c := range smugglingTable() {
		f.Add([]byte(c.raw), false)
	}
	f.Add([]byte(typicalRequest), true)
	f.Add([]byte("GET /\x80#\r\nHost : a\r\n\r\n"), true)
	// Authorities: a default port to drop, a CONNECT's Host.
	f.Add([]byte("GET http://u@[::1]:80/x HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), false)
	f.Add([]byte("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), false)
}

// checkError asserts the contract of a failed parse.
func checkError(t *testing.T, err error, statuses ...int) {
	if err == ErrIncomplete {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error of unexpected type: %v", err)
	}
	for _, s := range statuses {
		if e.Status == s {
			return
		}
	}
	t.Fatalf("status %d not in %v", e.Status, statuses)
}

// within reports whether s is empty or a sub-slice of buf: sub-slices
// share buf's array up to its capacity.
func within(s, buf []byte) bool {
	if len(s) == 0 {
		return true
	}
	off := cap(buf) - cap(s)
	return off >= 0 && off+len(s) <= len(buf) && &buf[:cap(buf)][off] == &s[0]
}

func FuzzParseRequest(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		opts := DefaultOptions()
		opts.AcceptInvalid = relaxed
		buf := bytes.Clone(data)
		var r Request
		n, err := r.Parse(buf, &opts)
		if err != nil {
			checkError(t, err, 400, 413, 422)
			return
		}
		if n <= 0 || n > len(buf) || r.HeadLen != n {
			t.Fatalf("head length %d of %d", n, len(buf))
		}
		for _, s := range [][]byte{r.Method, r.URI, r.Proto} {
			if !within(s, buf[:n]) {
				t.Fatal("request line slice outside the head")
			}
		}
		for _, h := range r.Headers {
			if !within(h.Name, buf[:n]) || !within(h.Value, buf[:n]) {
				t.Fatal("header slice outside the head")
			}
		}
		// The scheme's default port dropped, as the engine does, the
		// URI stays in the head.
		r.NormalizeScheme()
		if !within(r.URI, buf[:n]) && len(r.URI) > 0 {
			t.Fatal("normalised URI outside the head")
		}
		// The normalised head must parse again to the same request.
		out := r.AppendHead(nil)
		var again Request
		if m, err := again.Parse(out, &opts); err != nil || m != len(out) {
			t.Fatalf("normalised head %q does not reparse: %d, %v", out, m, err)
		}
		if again.Framing != r.Framing || again.ContentLength != r.ContentLength || len(again.Headers) != len(r.Headers) {
			t.Fatalf("reparse differs: %v/%d/%d vs %v/%d/%d", again.Framing, again.ContentLength, len(again.Headers), r.Framing, r.ContentLength, len(r.Headers))
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(typicalResponse), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.0 304 x\nX: a\n b\n\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		opts := DefaultOptions()
		opts.AcceptInvalid = relaxed
		buf := bytes.Clone(data)
		var r Response
		n, err := r.Parse(buf, &opts, []byte("GET"))
		if err != nil {
			checkError(t, err, 502)
			return
		}
		if n <= 0 || n > len(buf) || r.Status < 0 || r.Status >= 1e9 {
			t.Fatalf("head length %d status %d", n, r.Status)
		}
		out := r.AppendHead(nil)
		var again Response
		if m, err := again.Parse(out, &opts, []byte("GET")); err != nil || m != len(out) || again.Framing != r.Framing {
			t.Fatalf("normalised head %q does not reparse: %d, %v", out, m, err)
		}
	})
}

func FuzzChunkedDecoder(f *testing.F) {
	f.Add([]byte("3\r\nabc\r\n0\r\nX: y\r\n\r\nrest"), uint8(1))
	f.Add([]byte("ffffffff;e\n"), uint8(3))
	f.Add([]byte("1\r\nZ\r\n0\r\n\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		// Whole and piecewise decoding must agree: streaming never
		// changes a verdict.
		p1, u1, e1 := decodeAll(data, len(data)+1)
		p2, u2, e2 := decodeAll(data, int(step%16)+1)
		if (e1 == nil) != (e2 == nil) || e1 == ErrIncomplete != (e2 == ErrIncomplete) {
			t.Fatalf("verdicts differ: %v vs %v", e1, e2)
		}
		if e1 == nil && (!bytes.Equal(p1, p2) || u1 != u2) {
			t.Fatalf("results differ: %q/%d vs %q/%d", p1, u1, p2, u2)
		}
		if u1 > len(data) {
			t.Fatalf("used %d of %d", u1, len(data))
		}
		// Re-encoding (what the proxy forwards) carries the same payload
		// and is itself a complete, valid chunked body.
		if e1 == nil {
			var d ChunkedDecoder
			out, n, err := d.Rechunk(nil, data)
			if err != nil || n != u1 {
				t.Fatalf("Rechunk: used %d, %v; Decode used %d", n, err, u1)
			}
			p3, u3, e3 := decodeAll(out, len(out)+1)
			if e3 != nil || u3 != len(out) || !bytes.Equal(p3, p1) {
				t.Fatalf("re-encoded %q decodes to %q (%d, %v), want %q", out, p3, u3, e3, p1)
			}
		}
	})
}

func FuzzVerdicts(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		opts := DefaultOptions()
		opts.AcceptInvalid = relaxed
		// Every verdict but the last consumes a whole request, at least
		// "GET /\n\n" (HTTP/0.9, relaxed).
		v := Verdicts(bytes.Clone(data), &opts)
		if len(v) > len(data)/7+1 {
			t.Fatalf("%d verdicts for %d bytes", len(v), len(data))
		}
	})
}
