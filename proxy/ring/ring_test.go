package ring

import (
	"fmt"
	"strings"
	"testing"
)

func TestRingWrite(t *testing.T) {
	tests := []struct {
		desc   string
		maxLen int
		size   int
		lines  []string
		want   []string
		drops  uint64
	}{
		{desc: "kept in order", lines: []string{"a", "b"}, want: []string{"a", "b"}},
		{desc: "cut at maxlen", maxLen: 3, lines: []string{"abcdef", "ab"}, want: []string{"abc", "ab"}},
		// Each line of 8 bytes costs 10: 30 bytes hold three.
		{desc: "oldest leave", size: 30, lines: []string{"line-001", "line-002", "line-003", "line-004"}, want: []string{"line-002", "line-003", "line-004"}},
		{desc: "too large for the buffer", size: 5, lines: []string{"abcd", "ab"}, want: []string{"ab"}, drops: 1},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := New("r", "", "", tc.maxLen, 0)
			if tc.size > 0 {
				r.Size = tc.size
			}
			for _, l := range tc.lines {
				r.Write([]byte(l))
			}
			lines, next, _ := r.Since(0)
			var got []string
			for _, l := range lines {
				got = append(got, string(l))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
			if next != uint64(len(tc.lines))-tc.drops {
				t.Errorf("next %d, want %d", next, uint64(len(tc.lines))-tc.drops)
			}
			if r.Dropped() != tc.drops {
				t.Errorf("dropped %d, want %d", r.Dropped(), tc.drops)
			}
		})
	}
}

// TestRingSince reads only what came after a sequence number, and is
// woken by the next write.
func TestRingSince(t *testing.T) {
	r := New("r", "", "", 0, 0)
	r.Write([]byte("old"))
	end := r.End()
	lines, _, changed := r.Since(end)
	if len(lines) != 0 {
		t.Fatalf("lines after End: %q", lines)
	}
	r.Write([]byte("new"))
	select {
	case <-changed:
	default:
		t.Fatal("a write did not wake the reader")
	}
	lines, _, _ = r.Since(end)
	if len(lines) != 1 || string(lines[0]) != "new" {
		t.Fatalf("lines %q, want [new]", lines)
	}
	// Lines over 239 bytes take a longer length prefix.
	if cost(239) != 241 || cost(240) != 243 || !strings.HasPrefix(r.Format, "raw") {
		t.Errorf("cost(239)=%d cost(240)=%d format %q", cost(239), cost(240), r.Format)
	}
}
