package proxy

import (
	"io"
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
	// base is what the stream moved before its tunnel started: the
	// tunnel reports its own totals (progress).
	base [2]int64
	req  int // the http request counted (httpConn.nreq)
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

// startTunnel counts at once what the stream moved before its tunnel
// (a tcp-mode request's first bytes, an http upgrade's exchange), to
// which the tunnel's own totals add. A nil c counts nothing.
func (c *contStats) startTunnel(in, out int64) {
	if c == nil {
		return
	}
	c.base = [2]int64{in, out}
	c.sync(in, out)
}

// progress counts what a tunnel moved since the last call, given its
// totals so far (in: client to server, out: server to client).
func (c *contStats) progress(in, out int64) { c.sync(c.base[0]+in, c.base[1]+out) }

// sync counts what the stream moved since the last count, given its
// totals so far.
func (c *contStats) sync(in, out int64) {
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

// byteCounters are the counters an http request's bytes go to: its
// frontend's, its backend's and server's once chosen, and its listener's.
func (h *httpConn) byteCounters() [4]*Counters {
	cs := [4]*Counters{h.fe.counters, nil, nil, h.lc.listenerCounters()}
	if h.be != nil {
		cs[1] = h.be.counters
		if s := h.be.byName[h.r.Server]; s != nil {
			cs[2] = &s.state.counters
		}
	}
	return cs
}

// countRequestBytes counts a forwarded request's bytes once it is over,
// less what option contstats counted along the way.
func (h *httpConn) countRequestBytes() {
	cs := h.byteCounters()
	var cont *contStats
	if c := h.lc.contStats(); c != nil && c.req == h.nreq {
		cont = c
	}
	addBytes(cs[:], h.r.BytesIn, h.r.BytesOut, cont)
	if h.lc != nil {
		h.lc.cont = nil
	}
}

// contCounter is the current request's along-the-way counter under
// option contstats, made on first use (bodies and tunnels move once a
// server is chosen); nil without the option.
func (h *httpConn) contCounter() *contStats {
	if h.lc == nil || h.fe == nil || !h.fe.cfg.ContStats || h.be == nil {
		return nil
	}
	if c := h.lc.cont; c != nil && c.req == h.nreq {
		return c
	}
	cs := h.byteCounters()
	h.lc.cont = newContStats(h.fe.cfg, cs[:]...)
	h.lc.cont.req = h.nreq
	return h.lc.cont
}

// contBody counts, under option contstats, the request so far while a
// body moves: done bytes of it in the direction fromClient tells. The
// reference counts an http stream's bytes each time it handles some,
// which a body's every piece is.
func (h *httpConn) contBody(fromClient bool, done int64) {
	c := h.contCounter()
	if c == nil {
		return
	}
	in, out := h.r.BytesIn, h.r.BytesOut
	if fromClient {
		in += done
	} else {
		out += done
	}
	c.sync(in, out)
}

// bodyWriter is dst, or under option contstats a writer that counts each
// piece of a body as it is written (contBody), before bytes of it.
func (h *httpConn) bodyWriter(dst io.Writer, fromClient bool, before int64) io.Writer {
	if h.contCounter() == nil {
		return dst
	}
	return &contBodyWriter{h: h, w: dst, fromClient: fromClient, done: before}
}

type contBodyWriter struct {
	h          *httpConn
	w          io.Writer
	fromClient bool
	done       int64
}

func (w *contBodyWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.done += int64(n)
	w.h.contBody(w.fromClient, w.done)
	return n, err
}
