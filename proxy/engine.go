package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/check"
	"fulcrum/proxy/stick"
)

// Level is a log severity.
type Level int

// Log levels, as HAProxy labels its messages.
const (
	Alert Level = iota
	Warning
	Notice
	Info
)

func (l Level) String() string {
	return [...]string{"ALERT", "WARNING", "NOTICE", "INFO"}[l]
}

// Options are the engine's hooks into its host process.
type Options struct {
	// Log receives the engine's messages (server state changes, proxy
	// stops) with the proxy they are about ("" for none: HAProxy sends a
	// proxy's messages to that proxy's log targets only); nil discards
	// them.
	Log func(l Level, proxy, msg string)
	// AccessLog receives a Record for every finished connection (format
	// it with TCPLog for `option tcplog`); nil disables access logging.
	AccessLog func(*Record)
	// Inherit, when set, is asked first for the listening socket of each
	// socket key (see BindSockets); nil means "open it here".
	Inherit func(key string) net.Listener
	// LocalPeer names the local peer (haproxy -L); "" = the config's.
	LocalPeer string
}

// Engine runs a Config: it owns the listeners, the backends' balancing and
// queues, the health checks and every proxied connection.
type Engine struct {
	opts Options
	rt   atomic.Pointer[runtime]
	// procVars are the proc.* variables (procvars.go).
	procVars procVars

	mu        sync.Mutex // listeners, states, lifecycle
	ctx       context.Context
	cancel    context.CancelFunc
	listeners map[string]*listener
	states    map[string]*serverState // by "backend/server"
	feCount   map[string]*Counters
	beCount   map[string]*Counters
	conns     sync.WaitGroup
	live      map[*liveConn]struct{}
	active    atomic.Int64 // connections being served (actconn)
	liveMu    sync.Mutex   // live, draining, and conns.Add against Wait
	draining  bool
	stopped   bool
	paused    bool          // Pause: listeners closed until Resume
	adminMu   sync.Mutex    // serialises add/del server (admin.go)
	sessRate  rateLimit     // `set rate-limit sessions global` (admin.go)
	rates     rateLimits    // maxconnrate, maxsessrate (ratelimits.go)
	captures  atomic.Uint64 // requests captured for `show errors`
	dns       sync.Map      // resolvers section name -> *resolve.Client (resolvers.go)
	peers     peersState    // stick-table replication (peers.go)
}

// runtime is one compiled configuration generation.
type runtime struct {
	cfg       *Config
	frontends map[string]*frontend
	backends  map[string]*backend
	global    *limiter
	checks    context.CancelFunc
	tables    map[string]*stick.Table
}

// frontend is the runtime of one Frontend.
type frontend struct {
	cfg      *Frontend
	limit    *limiter
	counters *Counters
	// limitedBy is the listener that accepted the connection which
	// filled the frontend's maxconn (socketstats.go).
	limitedBy atomic.Pointer[Counters]
}

// New prepares an engine for cfg; nothing listens before Start.
func New(cfg *Config, opts Options) (*Engine, error) {
	e := &Engine{opts: opts, listeners: map[string]*listener{}, states: map[string]*serverState{},
		feCount: map[string]*Counters{}, beCount: map[string]*Counters{}, live: map[*liveConn]struct{}{}}
	rt, err := e.compile(cfg)
	if err != nil {
		return nil, err
	}
	e.rt.Store(rt)
	e.applyGlobals(cfg) // procvars.go
	return e, nil
}

func (e *Engine) log(l Level, proxy, msg string) {
	if e.opts.Log != nil {
		e.opts.Log(l, proxy, msg)
	}
}

// compile builds a runtime generation, reusing server states and counters
// by name.
func (e *Engine) compile(cfg *Config) (*runtime, error) {
	rt := &runtime{cfg: cfg, frontends: map[string]*frontend{}, backends: map[string]*backend{}, global: newLimiter(cfg.MaxConn)}
	rt.tables = newTables(cfg)
	e.carryTables(rt)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, bc := range cfg.Backends {
		if _, dup := rt.backends[bc.Name]; dup {
			return nil, fmt.Errorf("duplicate backend '%s'", bc.Name)
		}
		c := e.beCount[bc.Name]
		if c == nil {
			c = &Counters{}
		}
		b, err := newBackend(e, bc, e.states, c)
		if err != nil {
			return nil, err
		}
		rt.backends[bc.Name] = b
	}
	for _, fc := range cfg.Frontends {
		if _, dup := rt.frontends[fc.Name]; dup {
			return nil, fmt.Errorf("duplicate frontend '%s'", fc.Name)
		}
		if fc.DefaultBackend != "" && rt.backends[fc.DefaultBackend] == nil {
			return nil, fmt.Errorf("frontend '%s': unable to find required default_backend: '%s'", fc.Name, fc.DefaultBackend)
		}
		for _, u := range fc.UseBackend {
			if u.Name == nil && rt.backends[u.Backend] == nil {
				return nil, fmt.Errorf("frontend '%s': unable to find required use_backend: '%s'", fc.Name, u.Backend)
			}
		}
		c := e.feCount[fc.Name]
		if c == nil {
			c = &Counters{}
		}
		rt.frontends[fc.Name] = &frontend{cfg: fc, limit: newLimiter(fc.MaxConn), counters: c}
	}
	return rt, nil
}

// commit records the runtime's states and counters for the next reload.
func (e *Engine) commitLocked(rt *runtime) {
	for name, b := range rt.backends {
		e.beCount[name] = b.counters
		for _, s := range b.servers {
			e.states[s.id()] = s.state
		}
	}
	for name, f := range rt.frontends {
		e.feCount[name] = f.counters
	}
}

// Start opens the listeners and starts the health checks. It returns once
// every socket is bound; serving goes on until Stop or ctx ends.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.ctx != nil {
		e.mu.Unlock()
		return errors.New("engine already started")
	}
	e.ctx, e.cancel = context.WithCancel(ctx)
	rt := e.rt.Load()
	e.commitLocked(rt)
	e.mu.Unlock()
	if err := e.syncListeners(rt); err != nil {
		e.cancel()
		e.closeListeners()
		return err
	}
	e.startChecks(rt)
	if err := e.startPeers(e.ctx, rt); err != nil {
		e.cancel()
		e.closeListeners()
		return err
	}
	go func() {
		<-e.ctx.Done()
		e.closeListeners()
	}()
	return nil
}

// Reload switches to cfg: listeners with the same address are kept (new
// ones opened, removed ones closed), server health and counters carry over
// by backend/server name, and connections in flight finish on the old
// generation.
func (e *Engine) Reload(cfg *Config) error {
	rt, err := e.compile(cfg)
	if err != nil {
		return err
	}
	if err := e.syncListeners(rt); err != nil {
		return err
	}
	old := e.rt.Swap(rt)
	e.mu.Lock()
	e.commitLocked(rt)
	e.mu.Unlock()
	if old != nil && old.checks != nil {
		old.checks()
	}
	if old != nil {
		old.closeIdle()
	}
	e.startChecks(rt)
	e.applyGlobals(cfg) // procvars.go
	return e.restartPeers(rt)
}

// Stop closes the listeners (logging HAProxy's "Proxy X stopped" lines, as
// a soft stop does), lets connections in flight finish for up to grace,
// then closes those left. It returns when every connection is gone.
func (e *Engine) Stop(grace time.Duration) { e.stop(grace, true) }

// Close is a hard stop (SIGTERM): listeners and connections are closed
// at once, without the soft-stop lines.
func (e *Engine) Close() { e.stop(0, false) }

func (e *Engine) stop(grace time.Duration, logLines bool) {
	e.mu.Lock()
	e.stopped = true
	cancel := e.cancel
	e.mu.Unlock()
	e.closeListeners()
	e.stopPeers(logLines)
	if rt := e.rt.Load(); rt != nil && rt.checks != nil {
		rt.checks()
	}
	if rt := e.rt.Load(); rt != nil && logLines {
		e.logStopped(rt)
	}
	e.liveMu.Lock()
	e.draining = true
	e.liveMu.Unlock()
	done := make(chan struct{})
	go func() { e.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		e.liveMu.Lock()
		for c := range e.live {
			c.abort()
		}
		e.liveMu.Unlock()
		<-done
	}
	if rt := e.rt.Load(); rt != nil {
		rt.closeIdle()
	}
	if cancel != nil {
		cancel()
	}
}

// logStopped prints HAProxy's soft-stop line for every proxy, in
// configuration order, then for the internal HTTP client proxy every
// HAProxy 2.6 process has.
func (e *Engine) logStopped(rt *runtime) {
	order := rt.cfg.Order
	if len(order) == 0 {
		for _, f := range rt.cfg.Frontends {
			order = append(order, f.Name)
		}
		for _, b := range rt.cfg.Backends {
			if rt.frontends[b.Name] == nil {
				order = append(order, b.Name)
			}
		}
	}
	for _, name := range append(order, "<HTTPCLIENT>") {
		var fe, be int64
		if f := rt.frontends[name]; f != nil {
			fe = f.counters.Total.Load()
		}
		if b := rt.backends[name]; b != nil {
			be = b.counters.Total.Load()
		}
		e.log(Warning, name, fmt.Sprintf("Proxy %s stopped (cumulated conns: FE: %d, BE: %d).", name, fe, be))
	}
}

// startChecks runs a checker for every `check` server of rt.
func (e *Engine) startChecks(rt *runtime) {
	ctx, cancel := context.WithCancel(e.ctx)
	rt.checks = cancel
	e.startAgents(ctx, rt)
	// HAProxy starts the n-th of N checks after minInter*n/N, minInter
	// being the smallest first interval (fastinter, as a server starts
	// between down and fully up).
	type job struct {
		b *backend
		s *server
	}
	var jobs []job
	minInter := time.Duration(0)
	for _, bc := range rt.cfg.Backends {
		b := rt.backends[bc.Name]
		for _, s := range b.servers {
			if !s.cfg.Check {
				continue
			}
			jobs = append(jobs, job{b, s})
			t := b.checkTarget(s)
			inter := t.FastInter
			if inter <= 0 {
				inter = t.Inter
			}
			if inter <= 0 {
				inter = 2 * time.Second
			}
			if minInter == 0 || inter < minInter {
				minInter = inter
			}
		}
	}
	minInter = rt.cfg.SpreadChecks.firstWithin(minInter)
	for i, j := range jobs {
		b, s := j.b, j.s
		first := minInter * time.Duration(i) / time.Duration(len(jobs))
		c := check.New(&b.cfg.Check, rt.cfg.SpreadChecks.target(b.checkTarget(s)), func(t check.Transition) {
			r := t.Result
			if s.state.admin.checksPaused() {
				return
			}
			if b.cfg.LogHealthChecks {
				// The health check line said why: the change says no more.
				b.checkChanged(s, t.Up, nil)
				return
			}
			b.checkChanged(s, t.Up, &r)
		})
		if b.cfg.LogHealthChecks {
			c.Observed = func(r check.Result, newStatus bool, before, after int) {
				if line := healthCheckLine(s, c, r, newStatus, before, after); line != "" {
					b.engine.log(Warning, b.cfg.Name, line)
				}
			}
		}
		if h := s.state.health.Load(); h >= 0 {
			c.SetHealth(int(h))
		}
		c.Paused = s.state.admin.checksPaused
		c.Restart = s.state.dns.restartHealth
		go func() {
			c.RunFrom(ctx, first, func() {
				s.state.noteCheck(c.Last(), healthBefore(s))
				s.state.health.Store(int64(c.Health()))
			})
		}()
	}
	e.startResolvers(ctx, rt) // last: it changes server configurations
}

// FrontendCounters returns a frontend's live counters.
func (e *Engine) FrontendCounters(name string) *Counters {
	if f := e.rt.Load().frontends[name]; f != nil {
		return f.counters
	}
	return nil
}

// BackendCounters returns a backend's live counters.
func (e *Engine) BackendCounters(name string) *Counters {
	if b := e.rt.Load().backends[name]; b != nil {
		return b.counters
	}
	return nil
}

// ServerCounters returns a server's live counters.
func (e *Engine) ServerCounters(backendName, serverName string) *Counters {
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.states[backendName+"/"+serverName]; st != nil {
		return &st.counters
	}
	return nil
}

// UsableServers counts a backend's usable servers (the nbsrv fetch).
func (e *Engine) UsableServers(backendName string) int {
	b := e.rt.Load().backends[backendName]
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, s := range b.servers {
		if s.lb.Usable() {
			n++
		}
	}
	return n
}

// Addrs returns the bound address of every open listener, by frontend.
func (e *Engine) Addrs() map[string][]net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string][]net.Addr{}
	for _, l := range e.listeners {
		fe := l.fe.Load()
		out[fe.cfg.Name] = append(out[fe.cfg.Name], l.ln.Addr())
	}
	return out
}

// limiter bounds concurrent connections; nil means unlimited. Listeners
// wait for room before accepting (connections stay in the kernel backlog
// meanwhile) and take their slot after: a listener blocked in Accept must
// not hold a slot another listener could use.
type limiter struct {
	mu  sync.Mutex
	cur int
	max int
	// changed is closed when a slot frees or the limit changes; made
	// by the first waiter (most releases find none waiting, and a channel
	// per connection was garbage to collect), nil while none waits.
	changed chan struct{}
}

// wakeLocked wakes the waiters, if any. Guarded by mu.
func (l *limiter) wakeLocked() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

func newLimiter(n int) *limiter {
	if n <= 0 {
		return nil
	}
	return &limiter{max: n}
}

// wait blocks until a slot is free (take=false) or takes one (take=true);
// false when done closed first.
func (l *limiter) wait(done <-chan struct{}, take bool) bool {
	if l == nil {
		return true
	}
	for {
		l.mu.Lock()
		if l.cur < l.max {
			if take {
				l.cur++
			}
			l.mu.Unlock()
			return true
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

// acquire takes a slot, waiting for one.
func (l *limiter) acquire(done <-chan struct{}) bool { return l.wait(done, true) }

// available waits until a slot is free without taking it.
func (l *limiter) available(done <-chan struct{}) bool { return l.wait(done, false) }

func (l *limiter) release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.cur--
	l.wakeLocked()
	l.mu.Unlock()
}

// StateDump is one proxy's part of the SIGHUP dump.
type StateDump struct {
	Proxy string
	Lines []string // one per server, then the proxy summary
}

// DumpStates gives HAProxy's SIGHUP server state dump for every proxy
// with servers, in configuration order, then for the internal HTTP client
// proxy every HAProxy 2.6 process has.
func (e *Engine) DumpStates() []StateDump {
	rt := e.rt.Load()
	var out []StateDump
	for _, bc := range rt.cfg.Backends {
		b := rt.backends[bc.Name]
		var feCur, feTot int64
		if f := rt.frontends[bc.Name]; f != nil {
			feCur, feTot = f.counters.Cur.Load(), f.counters.Total.Load()
		}
		b.mu.Lock()
		lines := []string{}
		act, bck, pend := 0, 0, len(b.queue)
		for _, s := range b.servers {
			st := "DOWN"
			if s.lb.Usable() {
				st = "UP"
				if s.cfg.Backup {
					bck++
				} else {
					act++
				}
			}
			if s.state.admin.maint() {
				st = "MAINT"
			}
			pend += len(s.queue)
			lines = append(lines, fmt.Sprintf("SIGHUP: Server %s is %s. Conn: %d act, %d pend, %d tot.",
				s.id(), st, s.state.counters.Cur.Load(), len(s.queue), s.state.counters.Total.Load()))
		}
		conns := fmt.Sprintf("Conn: act(FE+BE): %d+%d, %d pend (%d unass), tot(FE+BE): %d+%d.",
			feCur, b.counters.Cur.Load(), pend, len(b.queue), feTot, b.counters.Total.Load())
		b.mu.Unlock()
		if act+bck == 0 {
			lines = append(lines, fmt.Sprintf("SIGHUP: Proxy %s has no server available ! %s", bc.Name, conns))
		} else {
			lines = append(lines, fmt.Sprintf("SIGHUP: Proxy %s has %d active servers and %d backup servers available. %s", bc.Name, act, bck, conns))
		}
		out = append(out, StateDump{Proxy: bc.Name, Lines: lines})
	}
	return append(out, StateDump{Proxy: "<HTTPCLIENT>", Lines: []string{
		"SIGHUP: Server <HTTPCLIENT>/<HTTPCLIENT> is UP. Conn: 0 act, 0 pend, 0 tot.",
		"SIGHUP: Server <HTTPCLIENT>/<HTTPSCLIENT> is UP. Conn: 0 act, 0 pend, 0 tot.",
		"SIGHUP: Proxy <HTTPCLIENT> has no server available ! Conn: act(FE+BE): 0+0, 0 pend (0 unass), tot(FE+BE): 0+0.",
	}})
}
