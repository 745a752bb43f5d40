package http1

import "testing"

func TestBodyFramings(t *testing.T) {
	opts := DefaultOptions()
	tests := []struct {
		desc, head, rest string
		body             string // the part of rest that belongs to the body
		done             bool
	}{
		{"none", "GET / HTTP/1.1\r\n\r\n", "NEXT", "", true},
		{"length", "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n", "abcdNEXT", "abcd", true},
		{"length short", "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n", "abcd", "abcd", false},
		{"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "2\r\nab\r\n0\r\n\r\nNEXT", "2\r\nab\r\n0\r\n\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var r Request
			if _, err := r.Parse([]byte(tt.head), &opts); err != nil {
				t.Fatal(err)
			}
			var b Body
			b.StartRequest(&r, &opts)
			used := 0
			for i := 0; i < len(tt.rest) && !b.Done(); i++ { // one byte at a time
				n, err := b.Consume([]byte(tt.rest[i : i+1]))
				if err != nil {
					t.Fatal(err)
				}
				used += n
			}
			if tt.rest[:used] != tt.body || b.Done() != tt.done {
				t.Errorf("body %q done %v; want %q done %v", tt.rest[:used], b.Done(), tt.body, tt.done)
			}
		})
	}
}

func TestBodyUntilCloseAndSkip(t *testing.T) {
	opts := DefaultOptions()
	var resp Response
	if _, err := resp.Parse([]byte("HTTP/1.1 200 OK\r\n\r\n"), &opts, []byte("GET")); err != nil {
		t.Fatal(err)
	}
	var b Body
	b.StartResponse(&resp, &opts)
	if n, _ := b.Consume([]byte("everything")); n != 10 || b.Done() || b.Remaining() != -1 {
		t.Errorf("until-close: n=%d done=%v", n, b.Done())
	}
	if _, err := resp.Parse([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), &opts, []byte("GET")); err != nil {
		t.Fatal(err)
	}
	b.StartResponse(&resp, &opts)
	b.Skip(60)
	if b.Remaining() != 40 || b.Done() {
		t.Errorf("after Skip(60): remaining %d", b.Remaining())
	}
	b.Skip(40)
	if !b.Done() {
		t.Error("not done after the whole length")
	}
}
