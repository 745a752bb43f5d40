package http1

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestDifferentialErrorPages compares, byte for byte, what the reference
// writes when it refuses a request with what ErrorResponse holds for the
// status our codec gives, and checks that the reference then closes.
func TestDifferentialErrorPages(t *testing.T) {
	ref := startReference(t, "", "")
	opts := DefaultOptions()
	for _, raw := range []string{
		"G(T / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n",
		"GET / HTTP/1.0\r\nContent-Length: 1\r\n\r\na",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	} {
		v := Verdicts([]byte(raw), &opts)
		if len(v) != 1 || v[0] == 0 {
			t.Fatalf("%q: our verdicts %v, want one refusal", raw, v)
		}
		want := ErrorResponse(v[0])
		if want == nil {
			t.Fatalf("no error response for %d", v[0])
		}
		c, err := net.Dial("tcp", ref.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second)) // a safety net, not a threshold
		c.Write([]byte(raw))
		got, err := io.ReadAll(c) // to EOF: the reference closes
		c.Close()
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%q:\nreference %q\nours      %q", raw, got, want)
		}
	}
}
