package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// contStatsEvery is how often a tunnel's bytes reach the statistics
// under option contstats. The reference updates a stream's byte counters
// each time the stream is processed, and while data is only forwarded
// (a tcp tunnel, an upgraded connection) its task still wakes every 5
// seconds for that (measured against the reference: the counters of a
// transfer move in 5-second steps).
const contStatsEvery = 5 * time.Second

// contStats counts one stream's bytes in its counters while they flow
// (option contstats), so a long transfer shows in the statistics before
// it ends. Without the option a stream's bytes are counted once, at its
// end (addBytes).
type contStats struct {
	counters []*Counters
	every    time.Duration // how often watch counts
	added    [2]int64      // bytes in and out counted so far
}

// newContStats returns the along-the-way counter of a stream of a
// frontend with option contstats, nil for one without.
func newContStats(fe *Frontend, cs ...*Counters) *contStats {
	if !fe.ContStats {
		return nil
	}
	// A copy: the caller's slice stays on its stack when the option is off.
	return &contStats{counters: append([]*Counters(nil), cs...), every: contStatsEvery}
}

// progress counts what a transfer moved since the last call, given its
// totals so far (in: client to server, out: server to client).
func (c *contStats) progress(in, out int64) {
	in, out = in-c.added[0], out-c.added[1]
	if in <= 0 && out <= 0 {
		return
	}
	for _, k := range c.counters {
		if k != nil {
			k.BytesIn.Add(in)
			k.BytesOut.Add(out)
		}
	}
	c.added[0] += in
	c.added[1] += out
}

// watch calls progress with moved's totals every c.every until
// the returned stop is called; stop returns once the watcher is gone, so
// the stream's final count (addBytes) sees every progress. A nil c
// watches nothing.
func (c *contStats) watch(moved func() (in, out int64)) (stop func()) {
	if c == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(c.every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				c.progress(moved())
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}

// addBytes counts a finished stream's bytes in cs (nil entries are
// skipped), less what option contstats (cont, may be nil) counted along
// the way.
func addBytes(cs []*Counters, in, out int64, cont *contStats) {
	if cont != nil {
		in -= cont.added[0]
		out -= cont.added[1]
	}
	for _, c := range cs {
		if c != nil {
			c.BytesIn.Add(in)
			c.BytesOut.Add(out)
		}
	}
}

// contStats is the along-the-way counter of the stream lc carries (nil
// without option contstats).
func (c *liveConn) contStats() *contStats {
	if c == nil {
		return nil
	}
	return c.cont
}

// countingWriter counts the bytes written through it, for a pump's
// progress under option contstats.
type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n.Add(int64(n))
	return n, err
}
