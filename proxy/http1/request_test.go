package http1

import (
	"errors"
	"strings"
	"testing"
)

const typicalRequest = "GET /api/v1/items?id=42&sort=asc HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef; theme=dark\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"Cache-Control: max-age=0\r\n" +
	"\r\n"

func parseReq(t *testing.T, raw string, opts Options) (*Request, error) {
	t.Helper()
	var r Request
	_, err := r.Parse([]byte(raw), &opts)
	return &r, err
}

func TestParseRequestFields(t *testing.T) {
	raw := "\r\n" + typicalRequest + "next"
	var r Request
	opts := DefaultOptions()
	n, err := r.Parse([]byte(raw), &opts)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(raw)-len("next") || r.HeadLen != n {
		t.Errorf("head length %d (HeadLen %d), want %d", n, r.HeadLen, len(raw)-4)
	}
	if string(r.Method) != "GET" || string(r.URI) != "/api/v1/items?id=42&sort=asc" || string(r.Proto) != "HTTP/1.1" || r.Major != 1 || r.Minor != 1 {
		t.Errorf("request line %q %q %q %d.%d", r.Method, r.URI, r.Proto, r.Major, r.Minor)
	}
	if len(r.Headers) != 9 {
		t.Fatalf("%d headers, want 9", len(r.Headers))
	}
	if v, ok := r.Headers.Get("HOST"); !ok || string(v) != "www.example.com" {
		t.Errorf("Host = %q, %v", v, ok)
	}
	if v, _ := r.Headers.Get("accept-encoding"); string(v) != "gzip, deflate, br" {
		t.Errorf("Accept-Encoding = %q", v)
	}
	if r.Framing != BodyNone || !r.KeepAlive() || r.Flags&FlagHasHost == 0 || r.Upgrade() || r.ExpectContinue() {
		t.Errorf("framing %v keepalive %v flags %b", r.Framing, r.KeepAlive(), r.Flags)
	}
}

func TestParseRequestNormalises(t *testing.T) {
	tests := []struct {
		desc, raw, name, value string
	}{
		{"obs-fold joined with blanks", "GET / HTTP/1.1\r\nX: a\r\n  b\r\n\r\n", "X", "a    b"},
		{"fold of an empty value", "GET / HTTP/1.1\r\nX:\r\n b\r\n\r\n", "X", "b"},
		{"blanks trimmed", "GET / HTTP/1.1\r\nX: \t a b \t\r\n\r\n", "X", "a b"},
		{"bare LF", "GET / HTTP/1.1\nX: v\n\n", "X", "v"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := parseReq(t, tt.raw, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := r.Headers.Get(tt.name); string(v) != tt.value {
				t.Errorf("%s = %q, want %q", tt.name, v, tt.value)
			}
		})
	}
}

func TestParseRequestFraming(t *testing.T) {
	tests := []struct {
		desc    string
		raw     string
		framing Framing
		length  int64
		keep    bool
		flags   Flags
	}{
		{"no body", "GET / HTTP/1.1\r\n\r\n", BodyNone, 0, true, 0},
		{"content-length", "POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", BodyLength, 12, true, FlagContentLength},
		{"content-length 0", "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", BodyNone, 0, true, FlagContentLength},
		{"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", BodyChunked, 0, true, 0},
		{"chunked beats length and closes", "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", BodyChunked, 0, false, FlagTEAndCL},
		{"1.0 closes", "GET / HTTP/1.0\r\n\r\n", BodyNone, 0, false, 0},
		{"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", BodyNone, 0, true, FlagConnKeepAlive},
		{"1.1 close", "GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n", BodyNone, 0, false, FlagConnClose | FlagConnUpgrade},
		{"expect", "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", BodyLength, 1, true, FlagExpectContinue},
		{"websocket", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", BodyNone, 0, true, FlagWebSocket | FlagUpgrade | FlagConnUpgrade},
		{"absolute", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", BodyNone, 0, true, FlagAbsoluteURI | FlagHasHost},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := parseReq(t, tt.raw, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if r.Framing != tt.framing || r.ContentLength != tt.length || r.KeepAlive() != tt.keep || r.Flags&tt.flags != tt.flags {
				t.Errorf("got %v/%d keep=%v flags=%b; want %v/%d keep=%v flags⊇%b",
					r.Framing, r.ContentLength, r.KeepAlive(), r.Flags, tt.framing, tt.length, tt.keep, tt.flags)
			}
		})
	}
}

func TestParseRequestIncremental(t *testing.T) {
	opts := DefaultOptions()
	var r Request
	for i := 0; i < len(typicalRequest); i++ {
		if _, err := r.Parse([]byte(typicalRequest[:i]), &opts); err != ErrIncomplete {
			t.Fatalf("prefix of %d bytes: %v, want ErrIncomplete", i, err)
		}
	}
	if n, err := r.Parse([]byte(typicalRequest), &opts); err != nil || n != len(typicalRequest) {
		t.Fatalf("whole: %d, %v", n, err)
	}
}

func TestParseRequestBufferFull(t *testing.T) {
	opts := DefaultOptions()
	raw := []byte("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", opts.Limits.BufSize))
	var r Request
	_, err := r.Parse(raw, &opts)
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 {
		t.Fatalf("full buffer without a complete head: %v, want a 400", err)
	}
	if _, err := r.Parse(raw[:opts.Limits.BufSize-1], &opts); err != ErrIncomplete {
		t.Fatalf("buffer not yet full: %v, want ErrIncomplete", err)
	}
}

func TestParseRequestReuse(t *testing.T) {
	opts := DefaultOptions()
	var r Request
	if _, err := r.Parse([]byte(typicalRequest), &opts); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Parse([]byte("POST /x HTTP/1.0\r\nContent-Length: 1\r\n\r\n"), &opts); err != nil {
		t.Fatal(err)
	}
	if len(r.Headers) != 1 || r.Framing != BodyLength || r.Flags&FlagHasHost != 0 || string(r.URI) != "/x" {
		t.Errorf("state leaked from the previous request: %+v", r)
	}
}

func TestHeadersHelpers(t *testing.T) {
	r, err := parseReq(t, "GET / HTTP/1.1\r\nX-A: 1\r\nConnection: keep-alive, Upgrade\r\nx-a: 2\r\nY: z\r\n\r\n", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Headers.Count("X-a"); c != 2 {
		t.Errorf("Count = %d", c)
	}
	if i := r.Headers.Index("x-A", 1); i != 2 {
		t.Errorf("Index = %d", i)
	}
	if !r.Headers.HasToken("connection", "upgrade") || r.Headers.HasToken("connection", "close") {
		t.Error("HasToken")
	}
	r.Headers.Del("X-A")
	if len(r.Headers) != 2 || string(r.Headers[1].Name) != "Y" {
		t.Errorf("after Del: %q", r.Headers)
	}
	if _, ok := r.Headers.Get("x-a"); ok {
		t.Error("Del left a header")
	}
}

func TestAppendHeadRoundTrip(t *testing.T) {
	opts := DefaultOptions()
	var r, again Request
	raw := []byte("\r\nGET  /p?q  HTTP/1.1\nHost: a\nX:  v \r\n  w\n\n")
	if _, err := r.Parse(raw, &opts); err != nil {
		t.Fatal(err)
	}
	out := r.AppendHead(nil)
	want := "GET /p?q HTTP/1.1\r\nHost: a\r\nX: v     w\r\n\r\n"
	if string(out) != want {
		t.Errorf("AppendHead = %q, want %q", out, want)
	}
	if n, err := again.Parse(out, &opts); err != nil || n != len(out) {
		t.Errorf("reparse: %d, %v", n, err)
	}
}

func TestRequestPathQuery(t *testing.T) {
	tests := []struct{ uri, path, query string }{
		{"/a/b?x=1&y", "/a/b", "x=1&y"},
		{"/", "/", ""},
		{"/p?", "/p", ""},
		{"http://h:8080/p/q?z", "/p/q", "z"},
		{"http://h", "", ""},
		{"*", "", ""},
	}
	relaxed := DefaultOptions()
	relaxed.AcceptInvalid = true
	for _, opts := range []Options{DefaultOptions(), relaxed} {
		for _, tt := range tests {
			r, err := parseReq(t, "GET "+tt.uri+" HTTP/1.1\r\n\r\n", opts)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Path()) != tt.path || string(r.Query()) != tt.query {
				t.Errorf("%s (relaxed %v): path %q query %q", tt.uri, opts.AcceptInvalid, r.Path(), r.Query())
			}
		}
	}
}
