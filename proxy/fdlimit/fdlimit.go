// Package fdlimit is HAProxy 2.6's descriptor budget: the maxconn it
// derives from RLIMIT_NOFILE when none is set, the descriptors (maxsock)
// a maxconn needs, and how it raises the process's limit to them, with
// its alerts and warnings when it cannot (strict-limits).
package fdlimit

import (
	"fmt"
	"math"
)

const (
	// reserved are the descriptors the reference sets aside before
	// counting what the configuration holds.
	reserved = 10
	// defaultMaxConn is the least maxconn the reference derives.
	defaultMaxConn = 100
	// perThread: an epoll descriptor and a wake-up pipe per thread.
	perThread = 3
)

// Infinity is RLIM_INFINITY.
const Infinity = math.MaxUint64

// Rlimit is a soft (Cur) and hard (Max) RLIMIT_NOFILE.
type Rlimit struct{ Cur, Max uint64 }

// Budget is what the descriptor count depends on.
type Budget struct {
	// Held are the descriptors the configuration holds besides the
	// connections: one per listener, per health and agent check, per
	// `port`/`agent-port` server option, the stats sockets' connections.
	Held     int
	NbThread int
	// MaxConn is the global maxconn (or -n); 0 derives it.
	MaxConn int
	// UlimitN is the global ulimit-n; 0 = the descriptors maxconn needs.
	UlimitN int
	// HardLimit is fd-hard-limit (0 = none).
	HardLimit int
}

// Limits are the numbers `show info` reports (Maxconn and Hard_maxconn
// are both MaxConn).
type Limits struct {
	MaxConn  int
	MaxSock  int
	UlimitN  int
	NbThread int
}

// cInt is a limit as the reference's int variables hold it (RLIM_INFINITY
// reads -1).
func cInt(v uint64) int { return int(int32(uint32(v))) }

// Compute derives the limits from the budget and the RLIMIT_NOFILE the
// process started with.
func (b Budget) Compute(boot Rlimit) Limits {
	threads := max(b.NbThread, 1)
	held := reserved + b.Held + perThread*threads
	maxconn := b.MaxConn
	if maxconn == 0 {
		remain := cInt(max(boot.Cur, boot.Max))
		if b.HardLimit > 0 && remain > b.HardLimit {
			remain = b.HardLimit
		}
		// Two descriptors per connection (no pipes: splicing is the
		// kernel's business here).
		maxconn = max((remain-held)/2, defaultMaxConn)
	}
	l := Limits{MaxConn: maxconn, MaxSock: held + 2*maxconn, UlimitN: b.UlimitN, NbThread: threads}
	if l.UlimitN == 0 {
		l.UlimitN = l.MaxSock
	}
	return l
}

// Sys reads and sets the process's RLIMIT_NOFILE.
type Sys interface {
	Get() (Rlimit, error)
	Set(Rlimit) error
}

// Message is one line the reference prints while applying the limits.
type Message struct {
	Level string // "ALERT" or "WARNING"
	Text  string
}

// raise sets want unless the limits are already that high (the
// reference never lowers them); it returns the limits found before.
func raise(sys Sys, want Rlimit) (Rlimit, error) {
	cur, err := sys.Get()
	if err == nil && (cur.Max < want.Max || cur.Cur < want.Cur) {
		err = sys.Set(want)
	}
	return cur, err
}

// Apply raises RLIMIT_NOFILE to l.UlimitN as the reference does at
// startup, then checks it against l.MaxSock. Without strict-limits a
// limit it cannot raise is taken as it is (l.UlimitN follows it); with
// it, fatal is true. prog names the program in the messages (argv[0]).
func Apply(sys Sys, l *Limits, hardLimit int, strict bool, prog string) (msgs []Message, fatal bool) {
	n := l.UlimitN
	boot, _ := sys.Get()
	want := Rlimit{Cur: uint64(n), Max: max(boot.Max, uint64(n))}
	failed := hardLimit > 0 && n > hardLimit
	if !failed {
		_, err := raise(sys, want)
		failed = err != nil
	}
	if failed {
		cur, _ := sys.Get()
		if hardLimit > 0 && cInt(cur.Cur) > hardLimit {
			cur.Cur = uint64(hardLimit)
		}
		if strict {
			return []Message{{"ALERT", fmt.Sprintf("[%s.main()] Cannot raise FD limit to %d, limit is %d.", prog, n, cInt(cur.Cur))}}, true
		}
		// At least as high as it may go.
		cur.Cur = cur.Max
		if hardLimit > 0 && cInt(cur.Cur) > hardLimit {
			cur.Cur = uint64(hardLimit)
		}
		if before, err := raise(sys, cur); err == nil {
			cur, _ = sys.Get()
		} else {
			cur = before
		}
		msgs = append(msgs, Message{"WARNING", fmt.Sprintf("[%s.main()] Cannot raise FD limit to %d, limit is %d.", prog, n, cInt(cur.Cur))})
		l.UlimitN = cInt(cur.Cur)
	}
	if cur, err := sys.Get(); err == nil && cur.Cur < uint64(l.MaxSock) {
		msgs = append(msgs, Message{"ALERT", fmt.Sprintf("[%s.main()] FD limit (%d) too low for maxconn=%d/maxsock=%d. Please raise 'ulimit-n' to %d or more to avoid any trouble.",
			prog, cInt(cur.Cur), l.MaxConn, l.MaxSock, l.MaxSock)})
		return msgs, strict
	}
	return msgs, false
}
