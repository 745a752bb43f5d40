package http1

import (
	"testing"
)

func BenchmarkParseRequest(b *testing.B) {
	buf := []byte(typicalRequest)
	opts := DefaultOptions()
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := r.Parse(buf, &opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponse(b *testing.B) {
	buf := []byte(typicalResponse)
	opts := DefaultOptions()
	method := []byte("GET")
	var r Response
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := r.Parse(buf, &opts, method); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRequestHead(b *testing.B) {
	opts := DefaultOptions()
	var r Request
	if _, err := r.Parse([]byte(typicalRequest), &opts); err != nil {
		b.Fatal(err)
	}
	out := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		out = r.AppendHead(out[:0])
	}
}

func BenchmarkChunkedScan(b *testing.B) {
	var body []byte
	for i := 0; i < 16; i++ {
		body = AppendChunkHeader(body, 1024)
		body = append(body, make([]byte, 1024)...)
		body = append(body, '\r', '\n')
	}
	body = append(body, LastChunk...)
	var d ChunkedDecoder
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		d.Reset()
		if n, err := d.Scan(body); err != nil || n != len(body) {
			b.Fatal(n, err)
		}
	}
}

// TestZeroAllocs keeps the hot paths allocation-free: a reused Request or
// Response parses a typical head, a head is written into a buffer with
// room, and a chunked body is scanned, all without a heap allocation.
func TestZeroAllocs(t *testing.T) {
	opts := DefaultOptions()
	req, resp := []byte(typicalRequest), []byte(typicalResponse)
	var r Request
	var s Response
	var d ChunkedDecoder
	out := make([]byte, 0, 4096)
	body := []byte("400\r\n" + string(make([]byte, 1024)) + "\r\n0\r\n\r\n")
	method := []byte("GET")
	cases := map[string]func(){
		"parse request":  func() { r.Parse(req, &opts) },
		"parse response": func() { s.Parse(resp, &opts, method) },
		"append head":    func() { out = r.AppendHead(out[:0]) },
		"chunked scan":   func() { d.Reset(); d.Scan(body) },
		"header lookup":  func() { r.Headers.Get("cookie"); r.Headers.HasToken("connection", "close") },
	}
	for name, fn := range cases {
		fn() // warm up: grow the reused header slice once
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}
