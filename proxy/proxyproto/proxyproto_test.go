package proxyproto

import (
	"errors"
	"net/netip"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		desc     string
		src, dst string
		v2       bool
	}{
		{"v1 ipv4", "192.0.2.1:5555", "198.51.100.2:80", false},
		{"v1 ipv6", "[2001:db8::1]:5555", "[2001:db8::2]:443", false},
		{"v2 ipv4", "192.0.2.1:5555", "198.51.100.2:80", true},
		{"v2 ipv6", "[2001:db8::1]:1", "[2001:db8::2]:65535", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			src, dst := netip.MustParseAddrPort(tt.src), netip.MustParseAddrPort(tt.dst)
			var b []byte
			if tt.v2 {
				b = AppendV2(nil, src, dst)
			} else {
				b = AppendV1(nil, src, dst)
			}
			b = append(b, "payload"...)
			h, n, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.Src != src || h.Dst != dst || string(b[n:]) != "payload" {
				t.Fatalf("got %+v rest %q", h, b[n:])
			}
			// Every strict prefix asks for more.
			for i := 1; i < n; i++ {
				if _, _, err := Parse(b[:i]); !errors.Is(err, ErrNeedMore) {
					t.Fatalf("prefix %d: %v", i, err)
				}
			}
		})
	}
}

func TestV1Text(t *testing.T) {
	got := string(AppendV1(nil, netip.MustParseAddrPort("127.0.0.1:1234"), netip.MustParseAddrPort("127.0.0.2:80")))
	if want := "PROXY TCP4 127.0.0.1 127.0.0.2 1234 80\r\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(AppendV2(nil, netip.MustParseAddrPort("[::1]:1"), netip.MustParseAddrPort("[::2]:2")))
	f.Add(AppendV2(nil, netip.AddrPort{}, netip.AddrPort{}))
	f.Add(AppendTLV(AppendV2(nil, netip.MustParseAddrPort("1.2.3.4:1"), netip.MustParseAddrPort("5.6.7.8:2")), TypeAuthority, []byte("example.com")))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := Parse(b)
		if err != nil {
			return
		}
		if n > len(b) || n <= 0 {
			t.Fatalf("bad length %d of %d", n, len(b))
		}
		if !h.Local && (!h.Src.IsValid() || !h.Dst.IsValid()) {
			t.Fatalf("addresses missing: %+v", h)
		}
		for _, v := range h.TLVs {
			if len(v.Value) > n {
				t.Fatalf("a TLV longer than its header: %d of %d", len(v.Value), n)
			}
		}
	})
}

// TestTLVs: a v2 header's TLVs are read in order; one that overruns the
// header is an error.
func TestTLVs(t *testing.T) {
	hdr := AppendV2(nil, netip.MustParseAddrPort("1.2.3.4:1"), netip.MustParseAddrPort("5.6.7.8:2"))
	hdr = AppendTLV(AppendTLV(hdr, TypeAuthority, []byte("a.example")), TypeUniqueID, []byte{1, 2, 3})
	h, n, err := Parse(append(hdr, "GET"...))
	if err != nil || n != len(hdr) {
		t.Fatalf("Parse: %v, %d of %d", err, n, len(hdr))
	}
	if v, ok := h.Value(TypeAuthority); !ok || string(v) != "a.example" {
		t.Errorf("authority %q %v", v, ok)
	}
	if v, ok := h.Value(TypeUniqueID); !ok || string(v) != "\x01\x02\x03" {
		t.Errorf("unique id %q %v", v, ok)
	}
	if _, ok := h.Value(TypeALPN); ok {
		t.Error("an ALPN that was not sent")
	}
	hdr[len(hdr)-4] = 9 // the last TLV's length: more than is left
	if _, _, err := Parse(hdr); err == nil {
		t.Error("an overrunning TLV was accepted")
	}
}
