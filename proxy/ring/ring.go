// Package ring is HAProxy's `ring` section: an in-memory buffer of log
// lines of bounded size (the oldest lines leave to make room), each line
// cut at the ring's maxlen, that readers list (`show events NAME`) and
// follow (`-w`) and that forwarders send on to syslog servers.
package ring

import (
	"sync"
)

// Ring is one ring buffer. Its settings are fixed at creation.
type Ring struct {
	Name        string
	Description string // "" prints the name, as the reference
	Format      string // header the ring puts before each message
	MaxLen      int    // a stored line is cut to this many bytes (0: none)
	Size        int    // bytes of the buffer

	mu      sync.Mutex
	lines   [][]byte // oldest first
	first   uint64   // sequence number of lines[0]
	used    int      // bytes the stored lines take, with their overhead
	dropped uint64   // lines that could not be stored at all
	changed chan struct{}

	stop       chan struct{} // closed by Close: the forwarders end
	forwarders sync.WaitGroup
}

// DefaultSize is the buffer of a ring with no `size` line.
const DefaultSize = 16384

// New makes an empty ring.
func New(name, description, format string, maxLen, size int) *Ring {
	if size <= 0 {
		size = DefaultSize
	}
	if format == "" {
		format = "raw"
	}
	return &Ring{Name: name, Description: description, Format: format, MaxLen: maxLen, Size: size, changed: make(chan struct{})}
}

// cost is what a line of n bytes takes in the reference's buffer: a
// length varint, a readers' count byte and the bytes.
func cost(n int) int {
	switch {
	case n < 240:
		return n + 2
	case n < 240+(1<<11):
		return n + 3
	}
	return n + 4
}

// Write stores one line (without its LF), cut at MaxLen. The oldest lines
// leave while the buffer has no room; a line larger than the whole
// buffer is dropped and counted.
func (r *Ring) Write(line []byte) {
	if r.MaxLen > 0 && len(line) > r.MaxLen {
		line = line[:r.MaxLen]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := cost(len(line))
	if c > r.Size {
		r.dropped++
		return
	}
	for r.used+c > r.Size && len(r.lines) > 0 {
		r.used -= cost(len(r.lines[0]))
		r.lines[0] = nil
		r.lines = r.lines[1:]
		r.first++
	}
	r.lines = append(r.lines, append([]byte(nil), line...))
	r.used += c
	close(r.changed)
	r.changed = make(chan struct{})
}

// Dropped counts the lines that could not be stored.
func (r *Ring) Dropped() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// Since returns the stored lines from sequence number seq on (older
// ones having left are skipped), the number to ask for next time, and a
// channel closed at the next write.
func (r *Ring) Since(seq uint64) (lines [][]byte, next uint64, changed <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.first + uint64(len(r.lines))
	if seq < r.first {
		seq = r.first
	}
	if seq < end {
		lines = append(lines, r.lines[seq-r.first:]...)
	}
	return lines, end, r.changed
}

// End is the sequence number the next line will have: reading from it
// skips the lines already stored (`show events -n`).
func (r *Ring) End() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first + uint64(len(r.lines))
}
