package http1

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// decodeAll runs a decoder over p in pieces of at most step bytes and
// returns the payload, the bytes of p that belong to the body, and the
// error if any.
func decodeAll(p []byte, step int) (payload []byte, used int, err error) {
	var d ChunkedDecoder
	for used < len(p) && !d.Done() {
		end := min(used+step, len(p))
		n, data, err := d.Decode(p[used:end])
		payload = append(payload, data...)
		used += n
		if err != nil {
			return payload, used, err
		}
		if n == 0 {
			break
		}
	}
	if !d.Done() {
		return payload, used, ErrIncomplete
	}
	return payload, used, nil
}

func TestChunkedDecoder(t *testing.T) {
	tests := []struct {
		desc, body, payload string
		rest                string
		status              int // 0: decodes; else the error's status
	}{
		{"simple", "3\r\nabc\r\n0\r\n\r\n", "abc", "", 0},
		{"two chunks and next message", "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\nGET", "abc0123456789", "GET", 0},
		{"extensions and blanks", "3 ;x=\"y\"\r\nabc\r\n0;z\r\n\r\n", "abc", "", 0},
		{"trailers", "1\r\nZ\r\n0\r\nA: 1\r\nB: 2\r\n\r\n", "Z", "", 0},
		{"bare LF", "1\nZ\n0\n\n", "Z", "", 0},
		{"empty size", "\r\nabc\r\n0\r\n\r\n", "", "", 400},
		{"bad digit", "g\r\n", "", "", 400},
		{"data too long", "1\r\nab\r\n", "a", "", 400},
		{"overflow", "1000000000000000\r\n", "", "", 400},
		{"bad trailer", "0\r\nA B: 1\r\n\r\n", "", "", 400},
		{"CR without LF", "1\rZ", "", "", 400},
	}
	for _, tt := range tests {
		for _, step := range []int{1, 2, 7, 1 << 20} {
			payload, used, err := decodeAll([]byte(tt.body), step)
			if tt.status != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Status != tt.status {
					t.Errorf("%s/step %d: %v, want status %d", tt.desc, step, err, tt.status)
				}
				continue
			}
			if err != nil || string(payload) != tt.payload || tt.body[used:] != tt.rest {
				t.Errorf("%s/step %d: payload %q rest %q err %v", tt.desc, step, payload, tt.body[used:], err)
			}
		}
	}
}

func TestChunkedScanForwardsVerbatim(t *testing.T) {
	body := []byte("5\r\nhello\r\n6\r\n world\r\n0\r\nX: y\r\n\r\nNEXT")
	var d ChunkedDecoder
	var fwd []byte
	for i := 0; i < len(body) && !d.Done(); i += 3 {
		piece := body[i:min(i+3, len(body))]
		n, err := d.Scan(piece)
		if err != nil {
			t.Fatal(err)
		}
		fwd = append(fwd, piece[:n]...)
	}
	if !bytes.Equal(fwd, body[:len(body)-4]) || d.Payload != 11 {
		t.Errorf("forwarded %q payload %d", fwd, d.Payload)
	}
}

func TestAppendChunkHeader(t *testing.T) {
	var b []byte
	b = AppendChunkHeader(b, 255)
	b = append(b, "x"...)
	if string(b) != "ff\r\nx" {
		t.Errorf("%q", b)
	}
}

func TestRechunk(t *testing.T) {
	for _, tc := range []struct {
		desc, in, want string
		split          int // feed the input in two parts at this offset (0 = whole)
	}{
		{"one chunk", "3\r\nabc\r\n0\r\n\r\n", "3\r\nabc\r\n0\r\n\r\n", 0},
		{"leading zeros and upper case", "000A\r\n0123456789\r\n0\r\n\r\n", "a\r\n0123456789\r\n0\r\n\r\n", 0},
		{"extensions dropped", "3;a=b\r\nabc\r\n0;last\r\n\r\n", "3\r\nabc\r\n0\r\n\r\n", 0},
		{"trailers kept", "1\r\nx\r\n0\r\nX-T: 1\r\n\r\n", "1\r\nx\r\n0\r\nX-T: 1\r\n\r\n", 0},
		{"data split across reads", "5\r\nhello\r\n0\r\n\r\n", "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n", 5},
		{"split inside the size line", "10\r\n0123456789abcdef\r\n0\r\n\r\n", "10\r\n0123456789abcdef\r\n0\r\n\r\n", 1},
		{"next message left alone", "0\r\n\r\nGET / HTTP/1.1\r\n", "0\r\n\r\n", 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var d ChunkedDecoder
			parts := []string{tc.in}
			if tc.split > 0 {
				parts = []string{tc.in[:tc.split], tc.in[tc.split:]}
			}
			var out []byte
			used := 0
			for _, p := range parts {
				var n int
				var err error
				out, n, err = d.Rechunk(out, []byte(p))
				if err != nil {
					t.Fatal(err)
				}
				used += n
			}
			if string(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
			if !d.Done() {
				t.Error("not done at the end of the body")
			}
			if rest := tc.in[used:]; strings.Contains(tc.desc, "next message") && rest != "GET / HTTP/1.1\r\n" {
				t.Errorf("left %q for the next message", rest)
			}
		})
	}
}
