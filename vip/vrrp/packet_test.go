package vrrp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "").Replace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	refSrc = netip.MustParseAddr("10.213.0.1")
	refVIP = netip.MustParseAddr("10.213.0.100")
)

// The advertisements below were captured from Keepalived 2.2.7 (see
// ../shared/REFERENCE.md, "VRRP on the wire"): VRID 51, PASS "s3cr3t",
// priority 150, and the priority-0 advert it sends when stopping.
func TestGoldenKeepalivedV2(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		ipAndMsg string
		priority uint8
	}{
		{"priority 150", "45c0 0028 0001 0000 ff70 cfbc 0ad50001 e0000012" +
			"2133 9601 0101 3277 0ad50064 7333 6372 3374 0000", 150},
		{"priority 0 on shutdown", "45c0 0028 0001 0000 ff70 cfbc 0ad50001 e0000012" +
			"2133 0001 0101 c877 0ad50064 7333 6372 3374 0000", 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			raw := unhex(t, tc.ipAndMsg)
			msg := raw[20:]
			p, err := Unmarshal(msg, refSrc, Group4)
			if err != nil {
				t.Fatal(err)
			}
			want := Packet{Version: 2, Type: 1, VRID: 51, Priority: tc.priority, Interval: time.Second,
				Checksum: p.Checksum, Addrs: []netip.Addr{refVIP}, AuthType: AuthPass, AuthData: Password("s3cr3t")}
			if !equal(p, &want) {
				t.Fatalf("decoded %+v, want %+v", p, want)
			}
			out, err := want.Marshal(refSrc, Group4)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, msg) {
				t.Fatalf("encoded\n%x, keepalived sent\n%x", out, msg)
			}
		})
	}
}

func equal(a, b *Packet) bool {
	if a.Version != b.Version || a.Type != b.Type || a.VRID != b.VRID || a.Priority != b.Priority ||
		a.Interval != b.Interval || a.Checksum != b.Checksum || a.AuthType != b.AuthType ||
		a.AuthData != b.AuthData || len(a.Addrs) != len(b.Addrs) {
		return false
	}
	for i := range a.Addrs {
		if a.Addrs[i] != b.Addrs[i] {
			return false
		}
	}
	return true
}

func TestPassword(t *testing.T) {
	for _, tc := range []struct{ desc, in, want string }{
		{"short is zero padded", "ab", "ab\x00\x00\x00\x00\x00\x00"},
		{"exactly eight", "12345678", "12345678"},
		{"long is truncated", "1234567890", "12345678"},
		{"empty", "", "\x00\x00\x00\x00\x00\x00\x00\x00"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Password(tc.in); string(got[:]) != tc.want {
				t.Fatalf("Password(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	v6src, v6vip := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("2001:db8::100")
	for _, tc := range []struct {
		desc     string
		p        Packet
		src, dst netip.Addr
	}{
		{"v2 no auth two VIPs", Packet{Version: 2, VRID: 1, Priority: 100, Interval: 3 * time.Second,
			Addrs: []netip.Addr{refVIP, netip.MustParseAddr("10.0.0.1")}}, refSrc, Group4},
		{"v2 no addresses", Packet{Version: 2, VRID: 255, Priority: 255, Interval: 255 * time.Second}, refSrc, Group4},
		{"v3 IPv4 centiseconds", Packet{Version: 3, VRID: 7, Priority: 1, Interval: 40950 * time.Millisecond,
			Addrs: []netip.Addr{refVIP}}, refSrc, Group4},
		{"v3 IPv6", Packet{Version: 3, VRID: 9, Priority: 200, Interval: 10 * time.Millisecond,
			Addrs: []netip.Addr{v6vip, v6src}}, v6src, Group6},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b, err := tc.p.Marshal(tc.src, tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(b, tc.src, tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			tc.p.Type, tc.p.Checksum = 1, got.Checksum
			if !equal(got, &tc.p) {
				t.Fatalf("round trip gave %+v, want %+v", got, tc.p)
			}
			// Version 3 binds the checksum to the addresses; version 2 not.
			other := netip.MustParseAddr("10.9.9.9")
			if tc.src.Is6() {
				other = netip.MustParseAddr("fe80::9")
			}
			_, err = Unmarshal(b, other, tc.dst)
			if tc.p.Version == 3 && !errors.Is(err, ErrChecksum) {
				t.Fatalf("v3 from another source: err %v, want ErrChecksum", err)
			}
			if tc.p.Version == 2 && err != nil {
				t.Fatalf("v2 from another source: %v", err)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good := unhex(t, "2133 9601 0101 3277 0ad50064 7333 6372 3374 0000")
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		desc string
		b    []byte
		src  netip.Addr
		want error
	}{
		{"empty", nil, refSrc, ErrTooShort},
		{"seven bytes", good[:7], refSrc, ErrTooShort},
		{"version 1", mutate(func(b []byte) []byte { b[0] = 0x11; return b }), refSrc, ErrVersion},
		{"version 4", mutate(func(b []byte) []byte { b[0] = 0x41; return b }), refSrc, ErrVersion},
		{"type 2", mutate(func(b []byte) []byte { b[0] = 0x22; return b }), refSrc, ErrType},
		{"truncated auth", good[:len(good)-1], refSrc, ErrLength},
		{"trailing byte", append(append([]byte(nil), good...), 0), refSrc, ErrLength},
		{"count too high", mutate(func(b []byte) []byte { b[3] = 2; return b }), refSrc, ErrLength},
		{"count zero", mutate(func(b []byte) []byte { b[3] = 0; return b }), refSrc, ErrLength},
		{"checksum", mutate(func(b []byte) []byte { b[7]++; return b }), refSrc, ErrChecksum},
		{"payload bit flip", mutate(func(b []byte) []byte { b[9] ^= 1; return b }), refSrc, ErrChecksum},
		{"v2 over IPv6", good, netip.MustParseAddr("fe80::1"), ErrFamily},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Unmarshal(tc.b, tc.src, Group4)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	v6 := netip.MustParseAddr("fe80::1")
	many := make([]netip.Addr, 256)
	for i := range many {
		many[i] = refVIP
	}
	for _, tc := range []struct {
		desc string
		p    Packet
		src  netip.Addr
		want error
	}{
		{"version 4", Packet{Version: 4, Interval: time.Second}, refSrc, ErrVersion},
		{"v2 zero interval", Packet{Version: 2}, refSrc, ErrInterval},
		{"v2 fractional interval", Packet{Version: 2, Interval: 1500 * time.Millisecond}, refSrc, ErrInterval},
		{"v2 interval 256s", Packet{Version: 2, Interval: 256 * time.Second}, refSrc, ErrInterval},
		{"v3 interval 41s", Packet{Version: 3, Interval: 41 * time.Second}, refSrc, ErrInterval},
		{"v3 interval 5ms", Packet{Version: 3, Interval: 5 * time.Millisecond}, refSrc, ErrInterval},
		{"v2 over IPv6", Packet{Version: 2, Interval: time.Second}, v6, ErrFamily},
		{"v3 IPv6 address from IPv4", Packet{Version: 3, Interval: time.Second, Addrs: []netip.Addr{v6}}, refSrc, ErrMixedFamilies},
		{"256 addresses", Packet{Version: 2, Interval: time.Second, Addrs: many}, refSrc, ErrTooManyAddrs},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := tc.p.Marshal(tc.src, Group4); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzUnmarshal feeds arbitrary messages to the decoder: it must never panic,
// and whatever it accepts must encode back to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	f.Add(unhex(f, "2133 9601 0101 3277 0ad50064 7333 6372 3374 0000"), false)
	f.Add(unhex(f, "2133 0001 0101 c877 0ad50064 7333 6372 3374 0000"), false)
	v3 := Packet{Version: 3, VRID: 9, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}
	b6, _ := v3.Marshal(netip.MustParseAddr("fe80::1"), Group6)
	f.Add(b6, true)
	v3.Addrs = []netip.Addr{refVIP}
	b4, _ := v3.Marshal(refSrc, Group4)
	f.Add(b4, false)
	f.Fuzz(func(t *testing.T, b []byte, ipv6 bool) {
		src, dst := refSrc, Group4
		if ipv6 {
			src, dst = netip.MustParseAddr("fe80::1"), Group6
		}
		p, err := Unmarshal(b, src, dst)
		if err != nil {
			return
		}
		out, err := p.Marshal(src, dst)
		if err != nil {
			// v3 reserves 4 bits the encoder always clears; a zero
			// interval decodes but cannot be sent.
			if p.Interval == 0 {
				return
			}
			t.Fatalf("decoded %+v but cannot encode it: %v", p, err)
		}
		if b[4]&0xf0 != 0 && p.Version == 3 {
			return
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip changed the packet:\n in %x\nout %x", b, out)
		}
	})
}
