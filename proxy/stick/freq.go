package stick

// freq is HAProxy's period frequency counter: events in the current
// period plus those of the previous one, so a reader can estimate the
// rate over a sliding window of one period. Times are milliseconds.
type freq struct {
	tick int64 // start of the current period
	curr uint64
	prev uint64
}

// add counts n events at now.
func (f *freq) add(now, period int64, n uint64) {
	if elapsed := now - f.tick; elapsed >= period || elapsed < 0 {
		if elapsed < 2*period && elapsed >= 0 {
			f.prev = f.curr
		} else {
			f.prev = 0
		}
		f.curr = 0
		if elapsed < 0 || elapsed >= 2*period {
			f.tick = now
		} else {
			f.tick += period
		}
	}
	f.curr += n
}

// read is the rate over the last period at now: the current period's
// events plus the previous period's weighted by the part of it still
// inside the window.
func (f *freq) read(now, period int64) uint64 {
	curr, past := f.curr, f.prev
	remain := f.tick + period - now
	if remain < 0 {
		// The current period is over: it becomes the past one.
		remain += period
		past, curr = curr, 0
		if remain < 0 {
			return 0
		}
	}
	if remain > period {
		remain = period
	}
	return curr + past*uint64(remain)/uint64(period)
}
