package http1

import (
	"errors"
	"testing"
)

const typicalResponse = "HTTP/1.1 200 OK\r\n" +
	"Date: Tue, 24 Nov 2026 16:00:00 GMT\r\n" +
	"Server: nginx\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Length: 1234\r\n" +
	"Cache-Control: no-cache\r\n" +
	"Set-Cookie: session=0123456789abcdef; Path=/; HttpOnly\r\n" +
	"\r\n"

func TestParseResponse(t *testing.T) {
	tests := []struct {
		desc    string
		raw     string
		method  string
		status  int
		reason  string
		framing Framing
		length  int64
		keep    bool
	}{
		{"typical", typicalResponse, "GET", 200, "OK", BodyLength, 1234, true},
		{"HEAD has no body", typicalResponse, "HEAD", 200, "OK", BodyNone, 0, true},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", "GET", 204, "No Content", BodyNone, 0, true},
		{"304 with length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "GET", 304, "Not Modified", BodyNone, 0, true},
		{"100", "HTTP/1.1 100 Continue\r\n\r\n", "POST", 100, "Continue", BodyNone, 0, true},
		{"CONNECT 200 is a tunnel", "HTTP/1.1 200 OK\r\n\r\n", "CONNECT", 200, "OK", BodyNone, 0, true},
		{"until close", "HTTP/1.1 200 OK\r\n\r\n", "GET", 200, "OK", BodyUntilClose, 0, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", 200, "OK", BodyChunked, 0, true},
		{"chunked beats length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", 200, "OK", BodyChunked, 0, true},
		{"empty TE ignored", "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", "GET", 200, "OK", BodyUntilClose, 0, false},
		{"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", "GET", 20, "OK", BodyNone, 0, true},
		{"four-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "GET", 2000, "OK", BodyNone, 0, true},
		{"blank runs", "HTTP/1.1 \t200\t OK \r\nContent-Length: 0\r\n\r\n", "GET", 200, "OK ", BodyNone, 0, true},
		{"no reason", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", "GET", 404, "", BodyNone, 0, true},
		{"1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", 200, "OK", BodyNone, 0, false},
		{"1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", "GET", 200, "OK", BodyNone, 0, true},
	}
	opts := DefaultOptions()
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var r Response
			n, err := r.Parse([]byte(tt.raw), &opts, []byte(tt.method))
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tt.raw) || r.Status != tt.status || string(r.Reason) != tt.reason ||
				r.Framing != tt.framing || r.ContentLength != tt.length || r.KeepAlive() != tt.keep {
				t.Errorf("n=%d status=%d reason=%q framing=%v length=%d keep=%v", n, r.Status, r.Reason, r.Framing, r.ContentLength, r.KeepAlive())
			}
		})
	}
}

func TestParseResponseRejects(t *testing.T) {
	for _, raw := range []string{
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1\r\n\r\n",
		"HTTP/1.1 1234567890 OK\r\n\r\n",
		"HTTP/11 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
	} {
		var r Response
		opts := DefaultOptions()
		_, err := r.Parse([]byte(raw), &opts, []byte("GET"))
		var e *Error
		if !errors.As(err, &e) || e.Status != 502 {
			t.Errorf("%q: %v, want a 502", raw, err)
		}
	}
}
