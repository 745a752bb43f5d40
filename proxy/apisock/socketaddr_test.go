package apisock

import "testing"

// Stats socket addresses map onto what net.Listen takes, with the any
// address spelled as HAProxy spells it ("*" or no host).
func TestParseSocketAddresses(t *testing.T) {
	for _, tc := range []struct{ desc, addr, network, want string }{
		{"path", "/run/haproxy/admin.sock", "unix", "/run/haproxy/admin.sock"},
		{"unix@ path", "unix@/run/a.sock", "unix", "/run/a.sock"},
		{"abstract", "abns@api", "unix", "@api"},
		{"star without prefix", "*:1999", "tcp4", "0.0.0.0:1999"},
		{"no host without prefix", ":1999", "tcp4", "0.0.0.0:1999"},
		{"literal without prefix", "127.0.0.1:1999", "tcp", "127.0.0.1:1999"},
		{"ipv4 star", "ipv4@*:1999", "tcp4", "0.0.0.0:1999"},
		{"ipv4 literal", "ipv4@127.0.0.1:1999", "tcp4", "127.0.0.1:1999"},
		{"ipv6 literal", "ipv6@::1:1999", "tcp6", "[::1]:1999"},
		{"ipv6 star", "ipv6@*:1999", "tcp6", "[::]:1999"},
		{"ipv6 no host", "ipv6@:1999", "tcp6", "[::]:1999"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := parseSocket(tc.addr, nil, func(string) {})
			if err != nil {
				t.Fatal(err)
			}
			if s.Network != tc.network || s.Addr != tc.want {
				t.Errorf("%q: got %s %q, want %s %q", tc.addr, s.Network, s.Addr, tc.network, tc.want)
			}
		})
	}
}
