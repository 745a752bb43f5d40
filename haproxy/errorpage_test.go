package haproxy

import (
	"strings"
	"testing"
)

// TestErrorPageProblem: what the reference refuses in an errorfile (its
// messages, with the offsets, are compared live by the cases in testdata).
func TestErrorPageProblem(t *testing.T) {
	for _, tc := range []struct{ desc, raw, want string }{
		{"usable", "HTTP/1.0 503 Busy\r\nContent-Type: text/plain\r\n\r\nbusy\n", ""},
		{"bare LF lines", "HTTP/1.0 503 Busy\nA: b\n\nbody", ""},
		{"empty file", "", ""},
		{"no version", "garbage\r\n\r\n", "unable to parse headers (error offset: 0)"},
		{"bad status", "HTTP/1.0 5x3 Busy\r\n\r\n", "unable to parse headers (error offset: 10)"},
		{"header without colon", "HTTP/1.0 503 Busy\r\nfoo\r\n\r\n", "unable to parse headers (error offset: 22)"},
		{"headers not ended", "HTTP/1.0 503 Busy\r\nA: b\r\n", "unable to parse headers (error offset: -2)"},
		{"interim status", "HTTP/1.1 100 Continue\r\n\r\n", "invalid http status code"},
		{"chunked", "HTTP/1.1 503 x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "chunk-encoded"},
		{"body on 204", "HTTP/1.1 204 x\r\n\r\nhi", "message payload not expected"},
		{"length mismatch", "HTTP/1.1 503 x\r\nContent-Length: 3\r\n\r\nhello", "payload size does not match the announced content-length (5 != 3)"},
	} {
		got := errorPageProblem([]byte(tc.raw))
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: errorPageProblem(%q) = %q, want %q", tc.desc, tc.raw, got, tc.want)
		}
	}
}

func FuzzErrorPageProblem(f *testing.F) {
	for _, s := range []string{"HTTP/1.0 503 Busy\r\nA: b\r\n\r\nx", "HTTP/1.0", "HTTP/1.0 ", "\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		errorPageProblem(raw) // must not panic
	})
}
