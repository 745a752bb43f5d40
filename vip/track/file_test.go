package track

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestReadNumber(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		desc, content string
		want          int
		wantErr       bool
	}{
		{"plain", "42\n", 42, false},
		{"negative with spaces", "  -7 \n", -7, false},
		{"trailing text", "12abc", 12, false},
		{"not a number", "abc", 0, true},
		{"empty", "", 0, true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p := filepath.Join(dir, "f")
			os.WriteFile(p, []byte(tc.content), 0o644)
			got, err := readNumber(p)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Fatalf("got %d, %v; want %d (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if _, err := readNumber(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file read")
	}
}

func TestWatchFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "prio")
	os.WriteFile(p, []byte("0\n"), 0o644)
	var mu sync.Mutex
	var got []int
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go WatchFile(ctx, p, 10*time.Millisecond, func(v int) { mu.Lock(); got = append(got, v); mu.Unlock() }, func(string) {})
	seen := func(want ...int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return slices.Equal(got, want) }
	}
	waitFor(t, "the first value", seen(0))
	os.WriteFile(p, []byte("5\n"), 0o644)
	waitFor(t, "the change", seen(0, 5))
	os.Remove(p)
	waitFor(t, "the removal as 0", seen(0, 5, 0))
}
