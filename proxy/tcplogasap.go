package proxy

import "time"

// Option logasap in tcp mode. The reference logs a tcp stream as soon as
// its server connection is established, before any byte moves: the total
// time is the time so far, no byte is counted in either direction, the
// termination state is "--", and the backend and server counts include
// the connection. Such a line replaces the final one; when the frontend's
// options leave it out (dontlog-normal), the final line is decided as
// usual. Because the reference stops waiting for the byte counts, every
// line of such a frontend (the final ones of failed connections too)
// marks %Tt and %B with '+'; dontlognull does not apply to the early line.

// logConnected writes rec's early line once the server connection of a
// tcp stream is up, for option logasap.
func (e *Engine) logConnected(rec *Record, fe *frontend, be *backend, srv *server) {
	l := fe.cfg.Log
	if l == nil || !l.ASAP || e.opts.AccessLog == nil {
		return
	}
	early := *rec
	early.TTotal = time.Since(rec.Accept)
	early.BytesIn, early.BytesOut = 0, 0
	early.Term = [2]byte{termNone, stateNone}
	early.ActConn, early.FeConn = e.active.Load(), fe.counters.Cur.Load()
	early.BeConn, early.SrvConn = be.counters.Cur.Load(), srv.state.counters.Cur.Load()
	early.early = true
	if _, skip := early.Level(); skip {
		return
	}
	e.opts.AccessLog(&early)
	rec.reqCount = early.reqCount
	rec.loggedEarly = true
}
