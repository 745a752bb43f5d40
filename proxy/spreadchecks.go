package proxy

import (
	"strconv"
	"time"

	"fulcrum/proxy/check"
)

// SpreadChecks are the global spread-checks and max-spread-checks.
type SpreadChecks struct {
	// Percent moves each delay between two checks of a server randomly
	// within ±Percent of its interval (0..50).
	Percent int
	// MaxFirst bounds the window over which the first checks of the
	// servers are spread at start (0: their smallest interval).
	MaxFirst time.Duration
}

// target gives t the spread of health checks.
func (s SpreadChecks) target(t check.Target) check.Target {
	t.Spread = s.Percent
	return t
}

// firstWithin is the window over which the first checks start: the
// smallest interval, bounded by max-spread-checks.
func (s SpreadChecks) firstWithin(minInter time.Duration) time.Duration {
	if s.MaxFirst > 0 && minInter > s.MaxFirst {
		return s.MaxFirst
	}
	return minInter
}

// spreadChecks reads the global spread-checks (a number the reference
// reads with atol: anything else is 0) and max-spread-checks (a delay,
// milliseconds by default); the model checked their ranges.
func (a *adapter) spreadChecks() SpreadChecks {
	var s SpreadChecks
	v := a.hc.Global.Arg("spread-checks")
	digits := 0
	for digits < len(v) && v[digits] >= '0' && v[digits] <= '9' {
		digits++
	}
	s.Percent, _ = strconv.Atoi(v[:digits])
	if v = a.hc.Global.Arg("max-spread-checks"); v != "" {
		s.MaxFirst, _ = parseTime(v)
	}
	return s
}
