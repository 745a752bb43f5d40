package proxy

import (
	"testing"

	"fulcrum/proxy/internal/difftest"
)

func TestReqRDPCookie(t *testing.T) {
	hdr := "\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00"
	tests := []struct {
		desc, payload, name string
		complete            bool
		want                string
		verdict             Verdict
	}{
		{"named", difftest.RDPRequest("bob"), "mstshash", false, "bob", True},
		{"any name", difftest.RDPRequest("bob"), "", false, "bob", True},
		{"case-insensitive", hdr + "cookie: MSTSHASH=x\r\n", "mstshash", false, "x", True},
		{"spaces after colon", hdr + "Cookie:   mstshash=y\r\n", "mstshash", false, "y", True},
		{"other name", difftest.RDPRequest("bob"), "msts", false, "", False},
		{"incomplete", hdr + "Cookie: mstshash=bo", "mstshash", false, "", Unknown},
		{"incomplete at end", hdr + "Cookie: mstshash=bo", "mstshash", true, "", False},
		{"no cookie", hdr + "GET / HTTP/1.0\r\n", "mstshash", false, "", False},
		{"bare CR", hdr + "Cookie: mstshash=a\rb\r\n", "mstshash", false, "", False},
		{"short", "\x03\x00", "mstshash", false, "", Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := &Session{Payload: []byte(tt.payload), Complete: tt.complete}
			v, verdict := s.ReqRDPCookie(tt.name)
			if string(v) != tt.want || verdict != tt.verdict {
				t.Fatalf("got %q %v, want %q %v", v, verdict, tt.want, tt.verdict)
			}
		})
	}
}
