package track

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"
)

// Process is one vrrp_track_process: the process is running while at
// least Quorum (default 1) processes have the name.
type Process struct {
	Name   string // process name as in /proc/PID/comm, or the full argv[0] path
	Quorum int
}

// WatchProcess reports whether p runs, at once and on each change,
// checking /proc every poll (default 100ms) until ctx ends.
func WatchProcess(ctx context.Context, p Process, poll time.Duration, report func(ok bool)) {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	quorum := max(p.Quorum, 1)
	last, first := false, true
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		ok := countProcesses(p.Name) >= quorum
		if first || ok != last {
			report(ok)
			last, first = ok, false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// countProcesses counts processes whose comm (or argv[0] when name is a
// path) is name.
func countProcesses(name string) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	byPath := filepath.IsAbs(name)
	n := 0
	for _, d := range dirs {
		var got []byte
		if byPath {
			cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
			got, _, _ = bytes.Cut(cmdline, []byte{0})
		} else {
			comm, _ := os.ReadFile(filepath.Join(d, "comm"))
			got = bytes.TrimSuffix(comm, []byte("\n"))
		}
		if string(got) == name {
			n++
		}
	}
	return n
}
