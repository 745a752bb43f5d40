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
	// MaxPipes is the global maxpipes (0 derives it from Splice).
	MaxPipes int
	// Splice are the proxies that splice (option splice-*): each takes
	// pipes for its connections.
	Splice []Splicer
}

// Splicer is a proxy with option splice-auto, -request or -response.
type Splicer struct {
	// Frontend and Backend are the sides it has (both for a listen).
	Frontend, Backend bool
	// MaxConn is its own maxconn, FullConn its fullconn (0: not set).
	MaxConn, FullConn int
}

// idealPipes is the reference's pipe count for the splicing proxies
// under a global maxconn (0: not known yet): a quarter of the
// connections they may hold, -1 when that is unbounded.
func (b Budget) idealPipes(globalMaxConn int) int {
	fe, be, unlimited := 0, 0, false
	for _, s := range b.Splice {
		if s.Frontend {
			fe += s.MaxConn
			if s.MaxConn == 0 {
				unlimited = true
				break
			}
		}
		if s.Backend {
			m := s.FullConn
			if m == 0 {
				m = globalMaxConn
			}
			be += m
			if m == 0 {
				unlimited = true
				break
			}
		}
	}
	pipes := max(fe, be)
	switch {
	case globalMaxConn > 0 && (pipes > globalMaxConn || unlimited):
		pipes = globalMaxConn
	case globalMaxConn == 0 && unlimited:
		pipes = -1
	}
	if pipes >= 4 {
		return pipes / 4
	}
	return pipes
}

// Limits are the numbers `show info` reports (Maxconn and Hard_maxconn
// are both MaxConn).
type Limits struct {
	MaxConn  int
	MaxSock  int
	UlimitN  int
	NbThread int
	MaxPipes int
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
		remain -= held
		// Two descriptors per connection, and two per pipe: a known
		// number of pipes is set aside (when there is room), an
		// unbounded one counts half a pipe per connection.
		pipes := b.idealPipes(0)
		if pipes >= 0 && pipes*2 < remain {
			remain -= pipes * 2
		}
		if pipes < 0 {
			maxconn = 2 * remain / 5
		} else {
			maxconn = remain / 2
		}
		maxconn = max(maxconn, defaultMaxConn)
	}
	pipes := b.MaxPipes
	if pipes == 0 {
		pipes = b.idealPipes(maxconn)
	}
	l := Limits{MaxConn: maxconn, MaxSock: held + 2*maxconn + 2*pipes, UlimitN: b.UlimitN, NbThread: threads, MaxPipes: pipes}
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

// Raise raises RLIMIT_NOFILE to l.UlimitN as the reference does at
// startup. Without strict-limits a limit it cannot raise is taken as it
// is (l.UlimitN follows it); with it, fatal is true. prog names the
// program in the messages (argv[0]).
func Raise(sys Sys, l *Limits, hardLimit int, strict bool, prog string) (msgs []Message, fatal bool) {
	n := l.UlimitN
	// The hard limit is still the one the process started with.
	start, _ := sys.Get()
	want := Rlimit{Cur: uint64(n), Max: max(start.Max, uint64(n))}
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
	return msgs, false
}

// CheckLow is the reference's last check, once the listeners are bound
// and the privileges dropped: a limit below l.MaxSock is an alert, and
// fatal with strict-limits.
func CheckLow(sys Sys, l Limits, strict bool, prog string) (msg *Message, fatal bool) {
	cur, err := sys.Get()
	if err != nil || cur.Cur >= uint64(l.MaxSock) {
		return nil, false
	}
	return &Message{"ALERT", fmt.Sprintf("[%s.main()] FD limit (%d) too low for maxconn=%d/maxsock=%d. Please raise 'ulimit-n' to %d or more to avoid any trouble.",
		prog, cInt(cur.Cur), l.MaxConn, l.MaxSock, l.MaxSock)}, strict
}
