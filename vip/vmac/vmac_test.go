package vmac

import "testing"

func TestMACAndName(t *testing.T) {
	for _, tc := range []struct {
		desc string
		vrid uint8
		ipv6 bool
		mac  string
		name string
	}{
		{"IPv4 VRID 51", 51, false, "00:00:5e:00:01:33", "vrrp.51"},
		{"IPv6 VRID 255", 255, true, "00:00:5e:00:02:ff", "vrrp.255"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := MAC(tc.vrid, tc.ipv6).String(); got != tc.mac {
				t.Errorf("MAC %s, want %s", got, tc.mac)
			}
			if got := DefaultName(tc.vrid); got != tc.name {
				t.Errorf("name %s, want %s", got, tc.name)
			}
		})
	}
}
