package check

import (
	"math/rand/v2"
	"time"
)

// Spread is spread-checks: the delay before the next check, inter, moved
// by a random amount within ±pct percent of it, as the reference does
// (whole milliseconds, the spread truncated, the draw uniform), so that
// servers checked at the same interval drift apart.
func Spread(inter time.Duration, pct int) time.Duration {
	if pct <= 0 {
		return inter
	}
	rv := inter.Milliseconds() * int64(pct) / 100
	rv -= int64(2 * float64(rv) * (float64(rand.Uint32()) / 4294967295.0))
	return inter + time.Duration(rv)*time.Millisecond
}
