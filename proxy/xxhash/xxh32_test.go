package xxhash

import "testing"

func TestSum32(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		seed uint32
		want uint32
	}{
		{"empty", "", 0, 0x02cc5d05},
		{"one byte", "a", 0, 0x550d7456},
		{"three bytes", "abc", 0, 0x32d153ff},
		{"over 16 bytes: the striped path", "Nobody inspects the spammish repetition", 0, 0xe2293b2f},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Sum32([]byte(tc.in), tc.seed); got != tc.want {
				t.Errorf("Sum32(%q, %d) = %08x, want %08x", tc.in, tc.seed, got, tc.want)
			}
		})
	}
}
