package xxhash

import (
	"strings"
	"testing"
)

// The vectors: the empty input's published value; the others computed by
// HAProxy 2.6 (its xxh64 converter, and the dynamic cookie it set for a
// server at 127.0.0.1:49310 with dynamic-cookie-key mysecret).
func TestSum64(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		seed uint64
		want uint64
	}{
		{"empty", "", 0, 0xef46db3751d8e999},
		{"stripes", strings.Repeat("x", 100), 0, 0x92f0de5a88a3c094},
		{"seeded", "Nobody inspects the spammish repetition", 7, 0x26f1aeb39b9b1f5f},
		{"dynamic cookie", "mysecret\x7f\x00\x00\x01\x00\x00\xc0\x9e", 0, 0xafc550146162322b},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Sum64([]byte(tc.in), tc.seed); got != tc.want {
				t.Errorf("Sum64 = %016x, want %016x", got, tc.want)
			}
		})
	}
	// Long inputs take the 32-byte stripe path; they must differ per byte.
	a, b := strings.Repeat("x", 100), strings.Repeat("x", 99)+"y"
	if Sum64([]byte(a), 0) == Sum64([]byte(b), 0) {
		t.Error("stripes ignore their last byte")
	}
}

func FuzzSum64(f *testing.F) {
	f.Add([]byte("abc"), uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		if Sum64(b, seed) != Sum64(append([]byte(nil), b...), seed) {
			t.Error("not deterministic")
		}
	})
}
