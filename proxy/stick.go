package proxy

import (
	"fulcrum/proxy/sample"
	"fulcrum/proxy/stick"
)

// Stick tables in the engine: the tables of a configuration generation,
// the sticky counters (HAProxy's stkctr) a session tracks, the events
// counted on them, and server persistence (stick on/match/store).

// stickCounters is the number of track-sc slots (tune.stick-counters).
const stickCounters = 3

// stickCounter is one tracked slot of a session.
type stickCounter struct {
	t *stick.Table
	e *stick.Entry
	// stream: tracked by a content or http-request rule, so it ends with
	// the request (in http mode) rather than with the connection.
	stream bool
}

// sessionStick is a session's tracked counters.
type sessionStick struct {
	sc [stickCounters]stickCounter
	// inRequest: an HTTP request is being processed (its trackers and
	// counts end with it).
	inRequest bool
	// returned: the request was answered by a `return` rule, whose 4xx
	// the reference does not count as errors; denied: by a deny or
	// tarpit rule, an error whatever its status. statusCounted: the
	// answer's error and failure are counted (countStickStatus).
	returned, denied, statusCounted bool
	// keyBuf and smp are scratch space for computing keys, kept here so
	// that a lookup allocates nothing.
	keyBuf [64]byte
	smp    sample.Sample
}

// StickKey reads a rule's key sample from a session and converts it to
// the table's key type, appending to buf; false when there is no sample.
type StickKey func(s *Session, t *stick.Table, buf []byte) ([]byte, bool)

// Track is a track-scN rule: it starts tracking the key in a table on
// the slot, if the slot is free.
type Track struct {
	Slot  int
	Table string
	Key   StickKey
	// Stream is true for tcp-request content and http-request rules.
	Stream bool
	// HTTPRequest: an http-request rule, whose tracking counts the
	// request being processed.
	HTTPRequest bool
}

// Do runs the rule on a session.
func (tr *Track) Do(s *Session) {
	if s.stk.sc[tr.Slot].e != nil {
		return // the slot is taken: the reference ignores the rule
	}
	t := s.Engine.StickTable(tr.Table)
	if t == nil {
		return
	}
	key, ok := tr.Key(s, t, s.stk.keyBuf[:0])
	if !ok {
		return
	}
	e := t.Track(key)
	if e == nil {
		return // table full of referenced entries
	}
	s.stk.sc[tr.Slot] = stickCounter{t: t, e: e, stream: tr.Stream}
	t.Count(e, stick.EvConn, 1)
	if tr.HTTPRequest {
		t.Count(e, stick.EvHTTPReq, 1)
	}
}

// GPCAction is sc-inc-gpc0/1(N) and sc-set-gpt0(N) VALUE.
type GPCAction struct {
	Slot int
	// Event is EvGPC0 or EvGPC1 for the increments; SetGPT0 sets Value.
	Event   stick.Event
	SetGPT0 bool
	Value   uint64
	// Expr, when set, computes sc-set-gpt0's value (an integer sample).
	Expr *sample.Expr
}

// Do runs the action on a session's tracked slot (nothing when untracked).
func (g *GPCAction) Do(s *Session) {
	c := s.stk.sc[g.Slot]
	if c.e == nil {
		return
	}
	if g.SetGPT0 {
		v := g.Value
		if g.Expr != nil {
			smp := &s.stk.smp
			if g.Expr.Eval(s, smp) != sample.Found || !smp.Cast(sample.Int) {
				return
			}
			v = uint64(uint32(smp.Int)) // gpt0 is a 32-bit value
		}
		c.t.Set(c.e, stick.GPT0, v)
		return
	}
	c.t.Inc(c.e, g.Event)
}

// each runs f on every tracked slot.
func (st *sessionStick) each(f func(c *stickCounter)) {
	for i := range st.sc {
		if st.sc[i].e != nil {
			f(&st.sc[i])
		}
	}
}

// stickSession counts the accepted session on the trackers of the
// connection and session rules.
func (s *Session) stickSession() {
	s.stk.each(func(c *stickCounter) { c.t.Count(c.e, stick.EvSess, 1) })
}

// stickClose ends the connection's tracking: conn_cur goes down, and in
// tcp mode the connection's bytes are counted.
func (s *Session) stickClose(bytesIn, bytesOut int64) {
	s.stk.each(func(c *stickCounter) {
		c.t.Apply(c.e, stick.Update{In: nonNeg(bytesIn), Out: nonNeg(bytesOut), End: true})
		*c = stickCounter{}
	})
}

func nonNeg(n int64) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// stickRequest counts an HTTP request on every tracked slot, once the
// frontend's tcp-request content rules have run for it (startRequest).
func (h *httpConn) stickRequest() {
	h.sess.stk.each(func(c *stickCounter) { c.t.Count(c.e, stick.EvHTTPReq, 1) })
}

// stickRequestDone ends an HTTP request on the trackers: 4xx answers
// count as errors (except the `return` action's, as in the reference),
// the bytes are counted, and the request's own trackers end.
func (h *httpConn) stickRequestDone() {
	s := h.sess
	if !s.stk.inRequest {
		return
	}
	// Counted here when the answer went out without the after-response
	// stage (a server's response with no response rules to run).
	h.countStickStatus(h.hrec.Status)
	s.stk.inRequest = false
	if h.be != nil && h.r.Server != "" && h.be.byName[h.r.Server] != nil {
		h.be.stickStore(s, h.be.byName[h.r.Server], true)
	}
	s.stk.returned, s.stk.denied, s.stk.statusCounted = false, false, false
	s.stk.each(func(c *stickCounter) {
		// %U counts the request as the reference does (its internal
		// form of the head, htxRequestSize), and so do its counters.
		c.t.Apply(c.e, stick.Update{In: nonNeg(h.r.BytesIn), Out: nonNeg(h.r.BytesOut), End: c.stream})
		if c.stream {
			*c = stickCounter{}
		}
	})
}

// countStickStatus counts the request's answer on its trackers, once:
// an error (http_err_cnt: a 4xx other than a return rule's, or a deny or
// tarpit whatever its status) and a server's failure (http_fail_cnt). As
// in the reference, this happens once the answer's status is known: a
// server's before the http-response rules, the proxy's own before the
// http-after-response rules, whose fetches see the counts.
func (h *httpConn) countStickStatus(status int) {
	s := h.sess
	if !s.stk.inRequest || s.stk.statusCounted {
		return
	}
	s.stk.statusCounted = true
	isErr := s.stk.denied || status >= 400 && status < 500 && !s.stk.returned
	isFail := h.serverFailed()
	if isErr || isFail {
		s.stk.each(func(c *stickCounter) { c.t.Apply(c.e, stick.Update{Err: isErr, Fail: isFail}) })
	}
}

// serverFailed reports whether the request failed on the server's side,
// as the reference counts http_fail_cnt: the server answered 5xx (but 501
// and 505: the request's fault), or it closed or timed out before its
// answer's head. A server refusing the connection, no server at all and
// the proxy's own answers are not counted.
func (h *httpConn) serverFailed() bool {
	if st := h.resp.Status; st != 0 {
		return st >= 500 && st != 501 && st != 505
	}
	who, when := h.r.Term[0], h.r.Term[1]
	return (who == termServerAbort || who == termServerTimeout) && when == 'H'
}

// StickTable returns the table of the current configuration called name
// (the Runtime API's show/clear table use it), or nil.
func (e *Engine) StickTable(name string) *stick.Table {
	rt := e.rt.Load()
	if rt == nil {
		return nil
	}
	return rt.tables[name]
}

// StickTables lists the current configuration's tables in their
// configuration order.
func (e *Engine) StickTables() []*stick.Table {
	rt := e.rt.Load()
	if rt == nil {
		return nil
	}
	out := make([]*stick.Table, 0, len(rt.cfg.Tables))
	for _, sp := range rt.cfg.Tables {
		out = append(out, rt.tables[sp.Name])
	}
	return out
}

// newTables creates a generation's tables. As in the reference without
// peers, a reload starts them empty.
func newTables(cfg *Config) map[string]*stick.Table {
	if len(cfg.Tables) == 0 {
		return nil
	}
	m := make(map[string]*stick.Table, len(cfg.Tables))
	for _, sp := range cfg.Tables {
		m[sp.Name] = stick.New(sp, nil)
	}
	return m
}

// StickRule is a backend's `stick on|match|store-request|store-response`.
type StickRule struct {
	Match, Store bool
	// Response: store-response, run once the response is in (http
	// mode); store-request rules run when the server is connected.
	Response bool
	Table    string
	Key      StickKey
	Cond     Cond // nil = always
}

// applies evaluates the rule on a session: its table and the session's
// key in it, ok false when the condition fails or there is no key.
func (r *StickRule) applies(sess *Session, e *Engine, buf []byte) (*stick.Table, []byte, bool) {
	if r.Cond != nil && r.Cond(sess) != True {
		return nil, nil, false
	}
	t := e.StickTable(r.Table)
	if t == nil {
		return nil, nil, false
	}
	key, ok := r.Key(sess, t, buf)
	return t, key, ok
}

// stickMatch finds the server a `stick match`/`stick on` rule stored for
// the session, or nil.
func (b *backend) stickMatch(sess *Session) *server {
	for i := range b.cfg.Stick {
		r := &b.cfg.Stick[i]
		if !r.Match {
			continue
		}
		t, key, ok := r.applies(sess, b.engine, sess.stk.keyBuf[:0])
		if !ok {
			continue
		}
		e := t.Lookup(key)
		if e == nil {
			continue
		}
		id, name := t.Server(e)
		for _, s := range b.servers {
			if id != 0 && serverID(s) == id || id == 0 && name != "" && s.cfg.Name == name {
				return s
			}
		}
	}
	return nil
}

// stickStore records the server a connection went to for the
// store-request rules (response false) or the store-response ones.
// A non-stick server is never recorded.
func (b *backend) stickStore(sess *Session, s *server, response bool) {
	if s.cfg.NonStick {
		return
	}
	for i := range b.cfg.Stick {
		r := &b.cfg.Stick[i]
		if !r.Store || r.Response != response {
			continue
		}
		if t, key, ok := r.applies(sess, b.engine, sess.stk.keyBuf[:0]); ok {
			if e := t.Get(key); e != nil {
				t.SetServer(e, serverID(s), s.cfg.Name)
			}
		}
	}
}

// serverID is the server's `id`, by default its position in the backend.
func serverID(s *server) int {
	if s.cfg.ID != 0 {
		return s.cfg.ID
	}
	for i, x := range s.be.servers {
		if x == s {
			return i + 1
		}
	}
	return 0
}
