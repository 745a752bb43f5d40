package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/check"
)

// rate counts events over the last second as HAProxy's freq_ctr does:
// the current second's count plus the previous second's, weighted by
// the part of it still inside the sliding one-second window.
type rate struct {
	mu        sync.Mutex
	sec       int64 // unix second of cur
	cur, prev int64
	max       int64 // highest rate seen
}

func (r *rate) tick(now time.Time) {
	r.mu.Lock()
	r.rotate(now.Unix())
	r.cur++
	if v := r.valueLocked(now); v > r.max {
		r.max = v
	}
	r.mu.Unlock()
}

func (r *rate) rotate(sec int64) {
	switch {
	case sec == r.sec:
	case sec == r.sec+1:
		r.prev, r.cur, r.sec = r.cur, 0, sec
	default:
		r.prev, r.cur, r.sec = 0, 0, sec
	}
}

func (r *rate) valueLocked(now time.Time) int64 {
	left := time.Second - time.Duration(now.Nanosecond())
	return r.cur + (r.prev*int64(left)+int64(time.Second)-1)/int64(time.Second)
}

// read returns the current rate and the highest seen.
func (r *rate) read(now time.Time) (cur, max int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rotate(now.Unix())
	return r.valueLocked(now), r.max
}

// timeAvg is HAProxy's sliding average over the last 1024 samples (the
// qtime/ctime/rtime/ttime fields), with the maximum seen.
type timeAvg struct {
	mu   sync.Mutex
	n    int64
	sum  [4]float64 // queue, connect, response, total (ms)
	maxs [4]int64
}

const avgWindow = 1024

// add records one successful connection's times in ms (-1 = not
// measured, left out).
func (t *timeAvg) add(v [4]int64) {
	t.mu.Lock()
	if t.n < avgWindow {
		t.n++
	}
	for i, x := range v {
		if x < 0 {
			x = 0
		}
		t.sum[i] += (float64(x) - t.sum[i]) / float64(t.n)
		t.maxs[i] = max(t.maxs[i], x)
	}
	t.mu.Unlock()
}

func (t *timeAvg) read() (avg, maxs [4]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range avg {
		avg[i] = int64(t.sum[i] + 0.5)
	}
	return avg, t.maxs
}

// statCounters are the counters the statistics need beyond the ones the
// engine itself uses; they live in Counters.
type statCounters struct {
	Requests       atomic.Int64    // req_tot
	DeniedConns    atomic.Int64    // dcon: refused by tcp-request connection/session rules (part of Denied)
	Hrsp           [6]atomic.Int64 // 1xx..5xx, other
	ReqErrors      atomic.Int64    // ereq
	RespErrors     atomic.Int64    // eresp
	DeniedResps    atomic.Int64    // dresp: responses refused (checkcache, http-response deny)
	FailedRewrites atomic.Int64    // wrew: rewrites that did not fit (strictmode.go)
	Intercepted    atomic.Int64    // requests answered by the proxy itself (stats, services, redirects)
	LBTotal        atomic.Int64    // lbtot: times chosen by load balancing
	Connects       atomic.Int64    // connect: connection attempts
	Reuses         atomic.Int64    // reuse
	CliAborts      atomic.Int64
	SrvAborts      atomic.Int64
	lastSess       atomic.Int64 // unix nanoseconds of the last session, 0 = never
	sessRate       rate
	reqRate        rate
	times          timeAvg
	lastRejected   atomic.Pointer[RejectedRequest]
	beHealth       srvStats     // a backend's availability history
	comp           compCounters // comp_in/out/rsp (compression.go)
}

// tickSession counts a new session for the rate fields.
func (c *statCounters) tickSession(now time.Time) {
	c.sessRate.tick(now)
	c.lastSess.Store(now.UnixNano())
}

// countStatus counts an HTTP response status in its class.
func (c *statCounters) countStatus(st int) {
	i := st/100 - 1
	if i < 0 || i > 4 {
		i = 5
	}
	c.Hrsp[i].Add(1)
}

// RejectedRequest is the capture of the last request a proxy refused as
// malformed (for the Runtime API's `show errors`).
type RejectedRequest struct {
	When     time.Time
	Frontend string
	Backend  string
	Client   string
	Status   int
	Request  []byte // the bytes received, up to a buffer
	// ErrorAt is where parsing stopped in Request; Event numbers the
	// captures of the process (both for `show errors`).
	ErrorAt int
	Event   uint64
}

// LastRejected returns the last request a frontend refused as
// malformed, nil if none.
func (e *Engine) LastRejected(frontend string) *RejectedRequest {
	if c := e.FrontendCounters(frontend); c != nil {
		return c.lastRejected.Load()
	}
	return nil
}

// srvStats is what the statistics keep of a server's health history; it
// lives in serverState and so survives reloads.
type srvStats struct {
	mu         sync.Mutex
	lastChange time.Time     // lastchg
	downSince  time.Time     // zero while up
	downtime   time.Duration // total, closed periods
	chkFail    int64
	chkDown    int64
	last       check.Result
	hasResult  bool
}

// noteChange records a server state change (up or down).
func (s *srvStats) noteChange(up bool) {
	now := time.Now()
	s.mu.Lock()
	s.lastChange = now
	if up && !s.downSince.IsZero() {
		s.downtime += now.Sub(s.downSince)
		s.downSince = time.Time{}
	}
	if !up {
		s.chkDown++
		s.downSince = now
	}
	s.mu.Unlock()
}

// noteAdmin records an administrative change of a server as the
// reference counts it: entering or leaving maintenance is a transition
// (chkdown, downtime) for a server its checks hold up, leaving it or
// changing the drain state restarts lastchg, and the checks start over
// (INI) after a maintenance. A down server entering maintenance does not
// change.
func (s *srvStats) noteAdmin(oldFlags, newFlags int, up bool) {
	was, is := oldFlags&admMaint != 0, newFlags&admMaint != 0
	switch {
	case was != is && up:
		s.noteChange(was)
	case was && !is, (oldFlags^newFlags)&admForcedDrain != 0:
		s.mu.Lock()
		s.lastChange = time.Now()
		s.mu.Unlock()
	}
	if was && !is {
		s.mu.Lock()
		s.hasResult = false
		s.mu.Unlock()
	}
}

// noteCheck records one check result; healthBefore is the check's health
// counter before the result was applied.
func (s *srvStats) noteCheck(r check.Result, healthBefore int) {
	s.mu.Lock()
	s.last, s.hasResult = r, true
	if !r.Status.Passed() && healthBefore > 0 {
		s.chkFail++
	}
	s.mu.Unlock()
}

// account updates the statistics of one finished HTTP request.
func (h *httpConn) account() {
	st := h.hrec.Status
	badReq := string(h.hrec.Request) == "<BADREQ>" && st >= 400
	if !badReq {
		// Every request's bytes count, answered by the proxy or
		// forwarded; the reference refuses a malformed one before it
		// has a stream to count in (contstats.go).
		h.countRequestBytes()
	}
	if badReq {
		h.fe.counters.ReqErrors.Add(1)
		h.lc.countListener(func(c *Counters) { c.ReqErrors.Add(1) })
		h.fe.counters.lastRejected.Store(&RejectedRequest{When: time.Now(), Frontend: h.fe.cfg.Name,
			Client: h.r.Client.String(), Status: st, Request: append([]byte(nil), h.in.b[:h.in.w]...),
			ErrorAt: h.badAt, Event: h.e.captures.Add(1) - 1})
	}
	h.fe.counters.Requests.Add(1)
	h.fe.counters.reqRate.tick(h.hrec.Start.Add(h.hrec.TActive)) // the end of the request, without another clock read
	if st > 0 {
		h.fe.counters.countStatus(st)
	}
	if h.be == nil {
		return
	}
	h.be.counters.Requests.Add(1)
	if st > 0 {
		h.be.counters.countStatus(st)
	}
	if s := h.be.byName[h.r.Server]; s != nil {
		countAborts(h.r.Term, st, h.be.counters, &s.state.counters)
		s.state.counters.Requests.Add(1)
		if st > 0 {
			s.state.counters.countStatus(st)
		}
		if h.r.TConnect < 0 {
			return
		}
		t := [4]int64{ms(h.r.TQueue), ms(h.r.TConnect), ms(h.hrec.TResp), ms(h.r.TTotal)}
		s.state.counters.times.add(t)
		h.be.counters.times.add(t)
	}
}

// accountTCP updates the timing statistics of one finished tcp-mode
// connection.
func (e *Engine) accountTCP(rt *runtime, rec *Record) {
	b := rt.backends[rec.Backend]
	if b == nil {
		return
	}
	if s := b.byName[rec.Server]; s != nil {
		countAborts(rec.Term, 0, b.counters, &s.state.counters)
	}
	if s := b.byName[rec.Server]; s != nil && rec.TConnect >= 0 {
		t := [4]int64{ms(rec.TQueue), ms(rec.TConnect), -1, ms(rec.TTotal)}
		s.state.counters.times.add(t)
		b.counters.times.add(t)
	}
}

// countLB counts a load-balancing decision for s (lbtot).
func countLB(b *backend, s *server) {
	b.counters.LBTotal.Add(1)
	s.state.counters.LBTotal.Add(1)
}

// countConnect counts a connection attempt to s (connect), or the reuse
// of an idle connection instead (reuse).
func countConnect(b *backend, s *server, reused bool) {
	if reused {
		b.counters.Reuses.Add(1)
		s.state.counters.Reuses.Add(1)
		return
	}
	b.counters.Connects.Add(1)
	s.state.counters.Connects.Add(1)
}

// healthBefore is the check health of s before its latest result was
// applied (a server never checked starts at rise, as its checker).
func healthBefore(s *server) int {
	if h := s.state.health.Load(); h >= 0 {
		return int(h)
	}
	if s.cfg.Rise > 0 {
		return s.cfg.Rise
	}
	return 2
}

// clearStats resets the statistics' own counters as `clear counters`
// does: the maximums, and with all every counter.
func (c *Counters) clearStats(all bool) {
	for _, r := range []*rate{&c.sessRate, &c.reqRate} {
		r.mu.Lock()
		r.max = 0
		r.mu.Unlock()
	}
	c.times.mu.Lock()
	c.times.maxs = [4]int64{}
	if all {
		c.times.n, c.times.sum = 0, [4]float64{}
	}
	c.times.mu.Unlock()
	if !all {
		return
	}
	for _, a := range []*atomic.Int64{&c.Requests, &c.DeniedConns, &c.ReqErrors, &c.RespErrors, &c.Intercepted, &c.LBTotal,
		&c.Connects, &c.Reuses, &c.CliAborts, &c.SrvAborts, &c.DeniedResps, &c.FailedRewrites} {
		a.Store(0)
	}
	for i := range c.Hrsp {
		c.Hrsp[i].Store(0)
	}
	c.comp.clear()
}

// ms is a timer in milliseconds, -1 for one that never started.
func ms(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

// countAborts counts a connection the client or the server cut while
// data flowed (cli_abrt, srv_abrt), and a server's invalid response
// (eresp: the 502 the proxy answered in its place).
func countAborts(term [2]byte, status int, cs ...*Counters) {
	for _, c := range cs {
		switch {
		case term[0] == termClientAbort && term[1] == stateData:
			c.CliAborts.Add(1)
		case term[0] == termServerAbort && term[1] == stateData:
			c.SrvAborts.Add(1)
		case status == 502 && term[0] == termServerAbort:
			c.RespErrors.Add(1)
		}
	}
}

// countDenied counts a request refused by an http-request deny or tarpit
// rule (dreq) on the proxy whose rules refused it: the frontend while no
// backend is chosen.
func (h *httpConn) countDenied(r *HTTPRule) {
	if r.Action != HTTPDeny && r.Action != HTTPTarpit {
		return
	}
	if h.be != nil {
		h.be.counters.Denied.Add(1)
		return
	}
	h.fe.counters.Denied.Add(1)
	h.lc.countListener(func(c *Counters) { c.Denied.Add(1) })
}

// countStream counts (count) in the request's frontend and, when it is
// another proxy, in its backend.
func (h *httpConn) countStream(count func(*Counters)) {
	count(h.fe.counters)
	if h.be != nil && h.be.cfg.Name != h.fe.cfg.Name {
		count(h.be.counters)
	}
}
