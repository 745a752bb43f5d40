package proxy

import (
	"os"
	"sort"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
	"fulcrum/proxy/stats"
)

// processStart is when this process started, the origin of the
// statistics' ages (lastchg of proxies that never changed, uptime).
var processStart = time.Now()

// StatsGlobal is the process-wide part of the statistics configuration.
type StatsGlobal struct {
	// ProxyIDs gives each proxy's numeric id (iid): explicit `id` lines,
	// otherwise configuration order from 1, after the Runtime API's own
	// proxy when a `stats socket` exists, as the reference numbers them.
	ProxyIDs map[string]int
	// MaxConn is the process maxconn the reference would compute (the
	// frontends' default slim).
	MaxConn int
	// Node and Description are `node` and `description` of the global
	// section (the stats page shows them with show-node/show-desc).
	Node, Description string
	// ProxyDescs are the proxies' own `description` lines, by name
	// (fromdesc.go).
	ProxyDescs map[string]string
	// Pages are the statistics pages, by proxy name.
	Pages map[string]*StatsPage
}

// checkStatusNames are the reference's short check status names
// (get_check_status_info).
var checkStatusNames = map[check.Status]string{
	check.L4OK: "L4OK", check.L4TOUT: "L4TOUT", check.L4CON: "L4CON", check.L6OK: "L6OK",
	check.L6TOUT: "L6TOUT", check.L6RSP: "L6RSP", check.L7OK: "L7OK", check.L7TOUT: "L7TOUT",
	check.L7RSP: "L7RSP", check.L7STS: "L7STS", check.SOCKERR: "SOCKERR",
	check.PROCERR: "PROCERR", check.PROCTOUT: "PROCTOUT", check.PROCOK: "PROCOK",
}

// checkDescs are the long forms (check_desc).
var checkDescs = map[check.Status]string{
	check.L4OK: "Layer4 check passed", check.L4TOUT: "Layer4 timeout", check.L4CON: "Layer4 connection problem",
	check.L6OK: "Layer6 check passed", check.L6TOUT: "Layer6 timeout", check.L6RSP: "Layer6 invalid response",
	check.L7OK: "Layer7 check passed", check.L7TOUT: "Layer7 timeout", check.L7RSP: "Layer7 invalid response",
	check.L7STS: "Layer7 wrong status", check.SOCKERR: "Socket error",
	check.PROCERR: "External check error", check.PROCTOUT: "External check timeout", check.PROCOK: "External check passed",
}

// proxyIDs returns the id of every proxy of rt.
func (rt *runtime) proxyIDs() map[string]int {
	if g := rt.cfg.Stats; g != nil && g.ProxyIDs != nil {
		return g.ProxyIDs
	}
	ids := map[string]int{}
	for i, name := range rt.order() {
		ids[name] = i + 1
	}
	return ids
}

// order lists the proxy names in configuration order.
func (rt *runtime) order() []string {
	if len(rt.cfg.Order) > 0 {
		return rt.cfg.Order
	}
	var out []string
	for _, f := range rt.cfg.Frontends {
		out = append(out, f.Name)
	}
	for _, b := range rt.cfg.Backends {
		if rt.frontends[b.Name] == nil {
			out = append(out, b.Name)
		}
	}
	return out
}

// Snapshot copies the live statistics of every proxy in HAProxy 2.6's
// field model: per proxy in configuration order its frontend, its
// servers and its backend.
func (e *Engine) Snapshot() *stats.Snapshot {
	rt := e.rt.Load()
	now := time.Now()
	ids := rt.proxyIDs()
	snap := &stats.Snapshot{}
	for _, name := range rt.order() {
		if f := rt.frontends[name]; f != nil {
			snap.Rows = append(snap.Rows, e.frontendRow(rt, f, ids[name], now))
			snap.Rows = append(snap.Rows, e.listenerRows(rt, f, ids[name], now)...) // socketstats.go
		}
		if b := rt.backends[name]; b != nil {
			snap.Rows = append(snap.Rows, b.rows(rt, ids[name], now)...)
		}
	}
	return snap
}

func modeName(m Mode) string {
	if m == ModeHTTP {
		return "http"
	}
	return "tcp"
}

// commonRow fills the fields every object type has.
func commonRow(r *stats.Row, t stats.ObjType, proxy, name string, iid, sid int, c *Counters, now time.Time) {
	r.Type, r.ProxyID, r.ID = t, iid, sid
	r.Set(stats.Pxname, stats.Str(proxy))
	r.Set(stats.Svname, stats.Str(name))
	r.Set(stats.Scur, stats.U32(c.Cur.Load()))
	r.Set(stats.Smax, stats.U32(c.Max.Load()))
	r.Set(stats.Stot, stats.U64(c.Total.Load()))
	r.Set(stats.Bin, stats.U64(c.BytesIn.Load()))
	r.Set(stats.Bout, stats.U64(c.BytesOut.Load()))
	r.Set(stats.Dresp, stats.U64(c.DeniedResps.Load()))
	r.Set(stats.Pid, stats.U32(1))
	r.Set(stats.Iid, stats.U32(int64(iid)))
	r.Set(stats.Sid, stats.U32(int64(sid)))
	r.Set(stats.Type, stats.U32(map[stats.ObjType]int64{stats.Frontend: 0, stats.Backend: 1, stats.Server: 2}[t]))
	cur, max := c.sessRate.read(now)
	r.Set(stats.Rate, stats.U32(cur))
	r.Set(stats.RateMax, stats.U32(max))
	r.Set(stats.Wrew, stats.U64(c.FailedRewrites.Load()))
	r.Set(stats.Eint, stats.U64(0))
	for f := stats.SslSess; f <= stats.SslFailedHandshake; f++ {
		r.Set(f, stats.U64(0))
	}
}

// setHTTPStatus fills the response class counters.
func setHTTPStatus(r *stats.Row, c *Counters) {
	for i := range 6 {
		r.Set(stats.Hrsp1xx+stats.Field(i), stats.U64(c.Hrsp[i].Load()))
	}
	r.Set(stats.ReqTot, stats.U64(c.Requests.Load()))
	setCompStats(r, c) // compression.go
}

// setProxyModules fills the H2/H1 and compression fields frontends and
// backends have (the engine has no compression and no H2: zeros).
func setProxyModules(r *stats.Row) {
	for f := stats.H2HeadersRcvd; f < stats.NumFields; f++ {
		r.Set(f, stats.U64(0))
	}
	for f := stats.CompIn; f <= stats.CompRsp; f++ {
		r.Set(f, stats.U64(0))
	}
}

func (e *Engine) frontendRow(rt *runtime, f *frontend, iid int, now time.Time) stats.Row {
	var r stats.Row
	c := f.counters
	commonRow(&r, stats.Frontend, f.cfg.Name, "FRONTEND", iid, 0, c, now)
	slim := f.cfg.MaxConn
	if slim == 0 && rt.cfg.Stats != nil {
		slim = rt.cfg.Stats.MaxConn
	}
	r.Set(stats.Slim, stats.U32(int64(slim)))
	// Connections refused before the session began are no sessions:
	// they count in dcon, not in stot or dreq.
	dcon := c.DeniedConns.Load()
	r.Set(stats.Stot, stats.U64(c.Total.Load()-dcon))
	r.Set(stats.Dreq, stats.U64(c.Denied.Load()-dcon))
	r.Set(stats.Ereq, stats.U64(c.ReqErrors.Load()))
	status := "OPEN"
	e.mu.Lock()
	if e.paused || e.stopped {
		status = "STOP"
	}
	e.mu.Unlock()
	if slim > 0 && c.Cur.Load() >= int64(slim) {
		status = "FULL"
	}
	r.Set(stats.Status, stats.Str(status))
	r.Set(stats.RateLim, stats.U32(0))
	cur, max := c.sessRate.read(now)
	r.Set(stats.ConnRate, stats.U32(cur))
	r.Set(stats.ConnRateMax, stats.U32(max))
	r.Set(stats.ConnTot, stats.U64(c.Total.Load()))
	r.Set(stats.Dcon, stats.U64(dcon))
	r.Set(stats.Dses, stats.U64(0))
	qcur, qmax := c.reqRate.read(now)
	r.Set(stats.ReqRate, stats.U32(qcur))
	r.Set(stats.ReqRateMax, stats.U32(qmax))
	r.Set(stats.ReqTot, stats.U64(c.Requests.Load()))
	r.Set(stats.Mode, stats.Str(modeName(f.cfg.Mode)))
	setProxyModules(&r)
	if f.cfg.Mode == ModeHTTP {
		setHTTPStatus(&r, c)
		r.Set(stats.Intercepted, stats.U64(c.Intercepted.Load()))
		r.Set(stats.CacheLookups, stats.U64(c.CacheLookups.Load()))
		r.Set(stats.CacheHits, stats.U64(c.CacheHits.Load()))
	}
	return r
}

// lastSess is the lastsess field: seconds since the last session, -1
// for never.
func lastSess(c *Counters, now time.Time) stats.Value {
	t := c.lastSess.Load()
	if t == 0 {
		return stats.S32(-1)
	}
	return stats.S32(int64(now.Sub(time.Unix(0, t)) / time.Second))
}

// setTimes fills the connection counters and time averages of a server
// or backend.
func setTimes(r *stats.Row, c *Counters, now time.Time) {
	r.Set(stats.Qcur, stats.U32(0))
	r.Set(stats.Qmax, stats.U32(0))
	r.Set(stats.Econ, stats.U64(c.FailedConns.Load()))
	r.Set(stats.Eresp, stats.U64(c.RespErrors.Load()))
	r.Set(stats.Wretr, stats.U64(c.Retries.Load()))
	r.Set(stats.Wredis, stats.U64(c.Redispatches.Load()))
	r.Set(stats.Lbtot, stats.U64(c.LBTotal.Load()))
	r.Set(stats.CliAbrt, stats.U64(c.CliAborts.Load()))
	r.Set(stats.SrvAbrt, stats.U64(c.SrvAborts.Load()))
	r.Set(stats.Lastsess, lastSess(c, now))
	avg, maxs := c.times.read()
	for i, f := range []stats.Field{stats.Qtime, stats.Ctime, stats.Rtime, stats.Ttime} {
		r.Set(f, stats.U32(avg[i]))
	}
	for i, f := range []stats.Field{stats.QtimeMax, stats.CtimeMax, stats.RtimeMax, stats.TtimeMax} {
		r.Set(f, stats.U32(maxs[i]))
	}
	r.Set(stats.Connect, stats.U64(c.Connects.Load()))
	r.Set(stats.Reuse, stats.U64(c.Reuses.Load()))
}

// rows returns the server rows and the backend row of b.
func (b *backend) rows(rt *runtime, iid int, now time.Time) []stats.Row {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []stats.Row
	act, bck, wact, wbck, uwact, uwbck := 0, 0, 0, 0, 0, 0
	for _, s := range b.servers {
		v := s.statsView(b.lb.View(s.lb))
		out = append(out, b.serverRow(rt, s, v, iid, now))
		if !s.lb.Usable() {
			continue
		}
		if s.cfg.Backup {
			bck++
			wbck += v.Weight
			uwbck += v.UserWeight
		} else {
			act++
			wact += v.Weight
			uwact += v.UserWeight
		}
	}
	var r stats.Row
	c := b.counters
	commonRow(&r, stats.Backend, b.cfg.Name, "BACKEND", iid, 0, c, now)
	setTimes(&r, c, now)
	r.Set(stats.Qcur, stats.U32(int64(len(b.queue))))
	r.Set(stats.Slim, stats.U32(int64(b.fullConn(rt))))
	r.Set(stats.Dreq, stats.U64(c.Denied.Load()))
	weight, uweight := wact, uwact
	if act == 0 {
		// The reference shows the backup servers' weight then (the
		// first one's only without allbackups).
		weight, uweight = wbck, uwbck
		if !b.cfg.Balance.AllBackups && bck > 0 {
			for _, s := range b.servers {
				if s.cfg.Backup && s.lb.Usable() {
					v := b.lb.View(s.lb)
					weight, uweight = v.Weight, v.UserWeight
					break
				}
			}
		}
	}
	status := "DOWN"
	if weight > 0 || len(b.servers) == 0 {
		status = "UP"
	}
	r.Set(stats.Status, stats.Str(status))
	r.Set(stats.Weight, stats.U32(int64(weight)))
	r.Set(stats.Uweight, stats.U32(int64(uweight)))
	r.Set(stats.Act, stats.U32(int64(act)))
	r.Set(stats.Bck, stats.U32(int64(bck)))
	b.counters.beHealth.mu.Lock()
	r.Set(stats.Chkdown, stats.U64(b.counters.beHealth.chkDown))
	b.counters.beHealth.mu.Unlock()
	lc, down := c.beHealth.ages(now)
	// A server's state change is the backend's last change too.
	for _, sr := range out {
		lc = min(lc, sr.Values[stats.Lastchg].Num)
	}
	r.Set(stats.Lastchg, stats.U32(lc))
	r.Set(stats.Downtime, stats.U32(down))
	r.Set(stats.Mode, stats.Str(modeName(b.cfg.Mode)))
	r.Set(stats.Algo, stats.Str(algoName(b.cfg.Balance.Algo)))
	if ck := b.cfg.HTTP.Actions.Cookie; ck != nil && b.cfg.Mode == ModeHTTP {
		r.Set(stats.Cookie, stats.Str(ck.Name))
	}
	setProxyModules(&r)
	if b.cfg.Mode == ModeHTTP {
		setHTTPStatus(&r, c)
		r.Set(stats.CacheLookups, stats.U64(c.CacheLookups.Load()))
		r.Set(stats.CacheHits, stats.U64(c.CacheHits.Load()))
	}
	for _, f := range []stats.Field{stats.AggServerStatus, stats.AggServerCheckStatus, stats.AggCheckStatus} {
		r.Set(f, stats.U32(0))
	}
	return append(out, r)
}

// fullConn is the backend's slim: `fullconn`, or a tenth of the maxconn
// of the frontends that can use it (rounded up, at least 1).
func (b *backend) fullConn(rt *runtime) int {
	if b.cfg.Balance.FullConn > 0 {
		return b.cfg.Balance.FullConn
	}
	sum := 0
	for _, f := range rt.cfg.Frontends {
		if f.DefaultBackend != b.cfg.Name && !usesBackend(f, b.cfg.Name) {
			continue
		}
		mc := f.MaxConn
		if mc == 0 && rt.cfg.Stats != nil {
			mc = rt.cfg.Stats.MaxConn
		}
		sum += mc
	}
	return max(1, (sum+9)/10)
}

func algoName(a balance.Algo) string {
	if a == "" {
		return string(balance.RoundRobin)
	}
	return string(a)
}

func usesBackend(f *Frontend, name string) bool {
	for _, u := range f.UseBackend {
		if u.Backend == name {
			return true
		}
	}
	return false
}

// serverStatus is the status field of a server as the reference words
// it: the health (with the rise/fall progress while changing), then the
// administrative states over it.
func serverStatus(s *server, v balance.View) string {
	a := &s.state.admin
	a.mu.Lock()
	maint, drain, stopping, checksOff := a.flags&admMaint != 0, a.flags&admForcedDrain != 0, a.stopping, a.checksOff
	resolution := a.flags&admResolveMaint != 0
	a.mu.Unlock()
	up := s.state.up.Load()
	switch {
	case (maint || v.Maint) && (s.cfg.Unresolved && s.cfg.Resolve == nil || resolution):
		return "MAINT (resolution)"
	case maint || v.Maint:
		return "MAINT"
	case !up && (!s.cfg.Check || checksOff):
		return "DOWN"
	case drain:
		return "DRAIN"
	case stopping:
		return "NOLB"
	case !s.cfg.Check || checksOff:
		return "no check"
	}
	h := int(s.state.health.Load())
	rise, fall := s.cfg.Rise, s.cfg.Fall
	if rise <= 0 {
		rise = 2
	}
	if fall <= 0 {
		fall = 3
	}
	if h < 0 {
		h = rise
	}
	switch {
	case up && h < rise+fall-1 && h >= rise:
		return "UP " + itoa(h-rise+1) + "/" + itoa(fall) // going down
	case up:
		return "UP"
	case h > 0:
		return "DOWN " + itoa(h) + "/" + itoa(rise) // going up
	}
	return "DOWN"
}

func itoa(n int) string { return stats.U32(int64(n)).String() }

func (b *backend) serverRow(rt *runtime, s *server, v balance.View, iid int, now time.Time) stats.Row {
	var r stats.Row
	c := &s.state.counters
	commonRow(&r, stats.Server, b.cfg.Name, s.cfg.Name, iid, s.lb.ID, c, now)
	setTimes(&r, c, now)
	r.Set(stats.Qcur, stats.U32(int64(len(s.queue))))
	if s.cfg.MaxConn > 0 {
		r.Set(stats.Slim, stats.U32(int64(s.cfg.MaxConn)))
	}
	if s.cfg.MaxQueue > 0 {
		r.Set(stats.Qlimit, stats.U32(int64(s.cfg.MaxQueue)))
	}
	status := serverStatus(s, v)
	r.Set(stats.Status, stats.Str(status))
	r.Maint = v.Maint
	r.Down = !s.state.up.Load()
	weight := v.Weight
	if s.state.admin.drained() {
		// Draining keeps the weight shown; only the balancer sees 0.
		weight = s.uweight
	}
	r.Set(stats.Weight, stats.U32(int64(weight)))
	r.Set(stats.Uweight, stats.U32(int64(s.uweight)))
	r.Maint = r.Maint || s.state.admin.maint()
	if s.cfg.Backup {
		r.Set(stats.Act, stats.U32(0))
		r.Set(stats.Bck, stats.U32(1))
	} else {
		r.Set(stats.Act, stats.U32(1))
		r.Set(stats.Bck, stats.U32(0))
	}
	if v.Throttle >= 0 {
		r.Set(stats.Throttle, stats.U32(int64(v.Throttle)))
	}
	h := &s.state.srvStats
	h.mu.Lock()
	lastChange, downSince, downtime := h.lastChange, h.downSince, h.downtime
	chkFail, chkDown, last, hasResult := h.chkFail, h.chkDown, h.last, h.hasResult
	h.mu.Unlock()
	if lastChange.IsZero() {
		lastChange = processStart
	}
	r.Set(stats.Lastchg, stats.U32(int64(now.Sub(lastChange)/time.Second)))
	s.state.admin.mu.Lock()
	checksOff := s.state.admin.checksOff
	s.state.admin.mu.Unlock()
	if s.cfg.Check && !checksOff {
		// A check disabled from the CLI shows no check counters.
		if !downSince.IsZero() {
			downtime += now.Sub(downSince)
		}
		r.Set(stats.Chkfail, stats.U64(chkFail))
		r.Set(stats.Chkdown, stats.U64(chkDown))
		r.Set(stats.Downtime, stats.U32(int64(downtime/time.Second)))
	}
	if s.cfg.Check && checksRunning(s, v) {
		rise, fall := s.cfg.Rise, s.cfg.Fall
		if rise <= 0 {
			rise = 2
		}
		if fall <= 0 {
			fall = 3
		}
		r.Set(stats.CheckRise, stats.U32(int64(rise)))
		r.Set(stats.CheckFall, stats.U32(int64(fall)))
		hl := s.state.health.Load()
		if hl < 0 {
			hl = int64(rise)
		}
		r.Set(stats.CheckHealth, stats.U32(hl))
		if !hasResult {
			// No result since the start or the end of a maintenance.
			r.Set(stats.CheckStatus, stats.Str("INI"))
			r.Set(stats.CheckDesc, stats.Str("Initializing"))
		} else {
			r.Set(stats.CheckStatus, stats.Str(checkStatusNames[last.Status]))
			if last.Status.HasCode() {
				// An unsigned field: a killed external check's -1 wraps.
				r.Set(stats.CheckCode, stats.U32(int64(uint32(last.Code))))
			}
			r.Set(stats.CheckDuration, stats.U64(last.Duration.Milliseconds()))
			r.Set(stats.CheckDesc, stats.Str(checkDescs[last.Status]))
			if !last.Status.Passed() {
				r.Set(stats.LastChk, stats.Str(last.Info))
			}
		}
	}
	if s.cfg.Agent != nil && !s.state.agent.off.Load() {
		agentStats(&r, &s.state.agent)
	}
	if addr := s.addr(); addr.IsValid() {
		r.Set(stats.Addr, stats.Str(addr.String()))
	}
	if s.cfg.Cookie != "" {
		r.Set(stats.Cookie, stats.Str(s.cfg.Cookie))
	}
	r.Set(stats.Mode, stats.Str(modeName(b.cfg.Mode)))
	if b.cfg.Mode == ModeHTTP {
		setHTTPStatus(&r, c)
	}
	idle := s.idle.size()
	r.Set(stats.SrvIcur, stats.U32(int64(idle)))
	r.Set(stats.IdleConnCur, stats.U32(0))
	r.Set(stats.SafeConnCur, stats.U32(int64(idle)))
	r.Set(stats.UsedConnCur, stats.U32(int64(len(s.conns))))
	need := int64(1)
	if s.cfg.Backup {
		need = 0
	}
	r.Set(stats.NeedConnEst, stats.U32(need))
	return r
}

// checksRunning tells whether the health check of s is enabled: the
// reference shows no check fields for a server in maintenance or whose
// checks were disabled.
func checksRunning(s *server, v balance.View) bool {
	a := &s.state.admin
	a.mu.Lock()
	defer a.mu.Unlock()
	return !v.Maint && a.flags&admMaint == 0 && !a.checksOff
}

// ages returns a backend's lastchg and downtime in seconds.
func (s *srvStats) ages(now time.Time) (lastChange, downtime int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lc := s.lastChange
	if lc.IsZero() {
		lc = processStart
	}
	d := s.downtime
	if !s.downSince.IsZero() {
		d += now.Sub(s.downSince)
	}
	return int64(now.Sub(lc) / time.Second), int64(d / time.Second)
}

// size is the number of idle connections kept.
func (p *idlePool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// noteBackendHealth records a backend becoming available or not.
func (b *backend) noteBackendHealth(available bool) {
	h := &b.counters.beHealth
	h.mu.Lock()
	wasDown := !h.downSince.IsZero()
	h.mu.Unlock()
	if wasDown == !available {
		return
	}
	h.noteChange(available)
}

// Info returns the process-wide `show info` fields.
func (e *Engine) Info(version, releaseDate string) *stats.Info {
	rt := e.rt.Load()
	p := stats.Process{Version: version, ReleaseDate: releaseDate, Pid: os.Getpid(), Start: processStart,
		Now: time.Now(), Nbthread: 1, CurrConns: e.active.Load()}
	if g := rt.cfg.Stats; g != nil {
		p.MaxConn, p.Node, p.Description = g.MaxConn, g.Node, g.Description
	}
	if rt.cfg.MaxConn > 0 {
		p.MaxConn = rt.cfg.MaxConn
	}
	p.UlimitN = 2*p.MaxConn + 26
	p.MaxSock = p.UlimitN
	if l := rt.cfg.Limits; l.MaxConn > 0 {
		p.MaxConn, p.MaxSock, p.UlimitN, p.Nbthread, p.MaxPipes = l.MaxConn, l.MaxSock, l.UlimitN, l.NbThread, l.MaxPipes
	}
	var listeners int
	e.mu.Lock()
	listeners = len(e.listeners)
	p.Stopping = e.stopped
	e.mu.Unlock()
	p.Listeners, p.Jobs = listeners, listeners+int(p.CurrConns)
	p.ConnRateLimit, p.SessRateLimit = e.RateLimits() // ratelimits.go
	names := make([]string, 0, len(rt.frontends))
	for name := range rt.frontends {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := rt.frontends[name].counters
		p.CumConns += c.Total.Load()
		p.CumReq += c.Requests.Load()
		p.TotalBytesOut += c.BytesOut.Load()
		cur, mx := c.sessRate.read(p.Now)
		p.ConnRate += cur
		p.SessRate += cur
		p.MaxConnRate = max(p.MaxConnRate, mx)
		p.MaxSessRate = max(p.MaxSessRate, mx)
	}
	return stats.NewInfo(p)
}
