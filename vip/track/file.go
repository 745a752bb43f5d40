package track

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// WatchFile reports the number held in path (vrrp_track_file) at once and
// each time it changes, checking every poll (default 100ms), until ctx
// ends. A missing file or one not starting with a number counts as 0.
func WatchFile(ctx context.Context, path string, poll time.Duration, report func(int), log func(string)) {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	last, first := 0, true
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		v, err := readNumber(path)
		if err != nil && (first || v != last) {
			log(fmt.Sprintf("track file %s: %v", path, err))
		}
		if first || v != last {
			report(v)
			last, first = v, false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// readNumber parses the leading integer of the file, as strtol would.
func readNumber(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimLeft(string(b), " \t\r\n")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	v, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0, fmt.Errorf("no number in %q", strings.TrimSpace(string(b)))
	}
	return v, nil
}
