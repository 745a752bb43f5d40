package apisock

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"fulcrum/proxy/ring"
)

func init() {
	register("show events", "show events [<sink>] [-w] [-n]          : show event sink state", (*session).showEvents)
}

// SetEvents gives the Runtime API the rings `show events` lists and
// reads (the current configuration's, from the log sinks).
func (s *Server) SetEvents(rings func() []*ring.Ring) {
	s.mu.Lock()
	s.rings = rings
	s.mu.Unlock()
}

func (s *Server) eventRings() []*ring.Ring {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rings == nil {
		return nil
	}
	return s.rings()
}

// showEvents lists the event sinks (the reference's two fd sinks, its
// built-in buf0 ring, then the configuration's rings), or prints one
// ring's lines: -n skips the lines already there, -w keeps printing new
// ones until the client sends a key.
func (s *session) showEvents(args []string, _ string) string {
	rings := s.srv.eventRings()
	name := arg(args, 2)
	if name == "" {
		var b strings.Builder
		b.WriteString("Supported events sinks are listed below. Add -w(wait), -n(new). Any key to stop\n")
		row := func(name, kind string, dropped uint64, desc string) {
			fmt.Fprintf(&b, "    %-10s : type=%s, %d dropped, %s\n", name, kind, dropped, desc)
		}
		row("stdout", "fd", 0, "standard output (fd#1)")
		row("stderr", "fd", 0, "standard output (fd#2)") // sic, as the reference
		row("buf0", "buffer", 0, "in-memory ring buffer")
		for _, r := range rings {
			desc := r.Description
			if desc == "" {
				desc = r.Name
			}
			row(r.Name, "buffer", r.Dropped(), desc)
		}
		return b.String()
	}
	if s.level < LevelOperator { // the list is for every level, the lines not
		return permissionDenied
	}
	var found *ring.Ring
	for _, r := range rings {
		if r.Name == name {
			found = r
		}
	}
	if found == nil && name != "buf0" {
		return "No such event sink" // the session's newline ends it
	}
	wait, skip := false, false
	for _, a := range args[3:] {
		switch a {
		case "-w":
			wait = true
		case "-n":
			skip = true
		default:
			return "unknown option"
		}
	}
	if found == nil {
		return "" // buf0 holds the reference's traces: none here
	}
	var seq uint64
	if skip {
		seq = found.End()
	}
	lines, next, _ := found.Since(seq)
	var b strings.Builder
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	if wait {
		s.follow = func(w *bufio.Writer, rd *bufio.Reader) { s.followRing(found, next, w, rd) }
	}
	return b.String()
}

// followRing writes the ring's new lines as they come, from sequence
// number seq. A byte from the client (or its end) stops it, as in the
// reference, only at the next line: the reference notices the key when
// a write wakes it, after printing what came.
func (s *session) followRing(r *ring.Ring, seq uint64, w *bufio.Writer, rd *bufio.Reader) {
	_ = s.conn.SetReadDeadline(time.Time{})
	key := make(chan struct{})
	go func() {
		_, _ = rd.ReadByte()
		close(key)
	}()
	stop := false
	for {
		lines, next, changed := r.Since(seq)
		seq = next
		for _, l := range lines {
			w.Write(l)
			w.WriteByte('\n')
		}
		if w.Flush() != nil || stop && len(lines) > 0 {
			return
		}
		select {
		case <-key:
			stop, key = true, nil
		case <-changed:
		}
	}
}
