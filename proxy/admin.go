package proxy

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
)

// This file holds the engine's administrative methods: what the Runtime
// API (`stats socket`) and the stats page's admin form change at run time.
// Their errors carry the reference's wording so the callers print them
// as they are.

func init() {
	// A proxy's `id` numbers it in the statistics and the Runtime API.
	actedKeywords["id"] = true
}

// AdminState is a server's administrative state (`set server ... state`).
type AdminState int

// Administrative states.
const (
	AdminReady AdminState = iota // in the rotation
	AdminDrain                   // no new balanced connections; persistence still honoured
	AdminMaint                   // out of service
)

// HealthState is an operational state forced by `set server ... health`.
type HealthState int

// Forced health states.
const (
	HealthUp HealthState = iota
	HealthStopping
	HealthDown
)

// Errors of the administrative methods, worded as the reference's CLI.
var (
	ErrNoBackend      = errors.New("No such backend.")
	ErrNoServer       = errors.New("No such server.")
	ErrNoFrontend     = errors.New("No such frontend.")
	ErrNoSession      = errors.New("No such session (use 'show sess').")
	ErrNoHealthCheck  = errors.New("Health check was not configured on this server, cannot enable.")
	ErrNoAgent        = errors.New("Agent was not configured on this server, cannot enable.")
	ErrAgentOff       = errors.New("agent checks are not enabled on this server.")
	ErrStaticWeight   = errors.New("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.")
	ErrWeightRange    = errors.New("Absolute weight can only be between 0 and 256 inclusive.")
	ErrDynamicLB      = errors.New("Backend must use a dynamic load balancing to support dynamic servers.")
	ErrServerExists   = errors.New("Already exists a server with the same name in backend.")
	ErrDelNotMaint    = errors.New("Only servers in maintenance mode can be deleted.")
	ErrDelHasConns    = errors.New("Server still has connections attached to it, cannot remove it.")
	ErrUnlimitedLimit = errors.New("This limit is unlimited in the configuration; Fulcrum can only change a configured maxconn at run time.")
)

// Admin flags, as HAProxy's SRV_ADMF_* (show servers state prints them).
const (
	admForcedMaint = 0x01
	admConfMaint   = 0x04
	admForcedDrain = 0x08
	// admResolveMaint is SRV_ADMF_RMAINT: no address from DNS
	// (resolvers.go); admMaint any maintenance.
	admResolveMaint = 0x20
	admMaint        = admForcedMaint | admResolveMaint
)

// adminState is the part of a server's state the Runtime API sets. It
// lives in serverState, so it carries over reloads like health does.
type adminState struct {
	mu         sync.Mutex
	flags      int
	stopping   bool // `set server health stopping`
	checksOff  bool // `disable health`
	dynamic    bool // added by `add server`
	autoID     bool // its id was given by `add server`, not by `id`
	lastChange time.Time
	// uweight is the user weight set at run time; it lasts across
	// reloads until the configured weight (cfgWeight) changes.
	uweight, cfgWeight int
	// health is the check health counter reported while no check runs:
	// rise at start (0 for a `disabled` server), 0 on entering
	// maintenance, as `set server ... health` sets it.
	health int
}

// weightFor returns the user weight of a server configured as cfg.
func (a *adminState) weightFor(cfg *Server) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfgWeight != cfg.Weight {
		a.cfgWeight, a.uweight = cfg.Weight, cfg.Weight
	}
	return a.uweight
}

func (a *adminState) init(cfg *Server) {
	a.health = max(cfg.Rise, 1)
	if cfg.Resolve != nil && cfg.Unresolved {
		a.flags, a.health = admResolveMaint, 0
	} else if cfg.Disabled {
		a.flags = admForcedMaint | admConfMaint
		a.health = 0
	}
	a.lastChange = time.Now()
}

func (a *adminState) maint() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flags&admMaint != 0
}

func (a *adminState) drained() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flags&admForcedDrain != 0 || a.stopping
}

// applyAdminLocked pushes the admin state of s onto the balancer (with
// backend.mu held): maintenance takes it out, drain and stopping give it
// an effective weight of 0 while its user weight is kept.
func (b *backend) applyAdminLocked(s *server) {
	b.lb.SetMaint(s.lb, s.state.admin.maint())
	w := s.uweight
	if s.state.admin.drained() {
		w = 0
	}
	if s.lb.Weight != w {
		b.lb.SetWeight(s.lb, w)
	}
}

// lookup finds a backend, and a server of it when serverName is not
// empty, in the current generation.
func (e *Engine) lookup(backendName, serverName string) (*backend, *server, error) {
	b := e.rt.Load().backends[backendName]
	if b == nil {
		return nil, nil, ErrNoBackend
	}
	if serverName == "" {
		return b, nil, nil
	}
	b.mu.Lock()
	s := b.byName[serverName]
	b.mu.Unlock()
	if s == nil {
		return nil, nil, ErrNoServer
	}
	return b, s, nil
}

// countUsableLocked counts the usable active and backup servers of b.
func (b *backend) countUsableLocked() (act, bck int) {
	for _, x := range b.servers {
		if x.lb.Usable() {
			if x.cfg.Backup {
				bck++
			} else {
				act++
			}
		}
	}
	return act, bck
}

// logNoServer is the reference's alert when a backend lost its last
// usable server.
func (b *backend) logNoServer() {
	// HAProxy names a listen section "proxy" here; a frontend and a
	// backend of the same name are still a backend.
	kind := "backend"
	if b.cfg.Listen {
		kind = "proxy"
	}
	b.engine.log(Alert, b.cfg.Name, fmt.Sprintf("%s '%s' has no server available!", kind, b.cfg.Name))
}

// SetServerAdmin sets a server's administrative state (ready, drain or
// maint), logging the change as the reference does.
func (e *Engine) SetServerAdmin(backendName, serverName string, st AdminState) error {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	a := &s.state.admin
	b.mu.Lock()
	a.mu.Lock()
	old := a.flags
	switch st {
	case AdminReady:
		a.flags &^= admForcedMaint | admForcedDrain
	case AdminDrain:
		a.flags = a.flags&^admForcedMaint | admForcedDrain
	case AdminMaint:
		a.flags |= admForcedMaint
	}
	changed := a.flags != old
	if changed {
		a.lastChange = time.Now()
	}
	if a.flags&admForcedMaint != 0 && old&admForcedMaint == 0 {
		a.health = 0
	}
	a.mu.Unlock()
	wasUsable := s.lb.Usable()
	b.applyAdminLocked(s)
	act, bck := b.countUsableLocked()
	var msg string
	up := s.state.up.Load()
	switch {
	case !changed:
	case st == AdminMaint && old&admForcedMaint == 0 && !up:
		msg = fmt.Sprintf("Server %s was DOWN and now enters maintenance.", s.id())
	case st == AdminMaint && old&admForcedMaint == 0:
		msg = fmt.Sprintf("Server %s is going DOWN for maintenance. %d active and %d backup servers left. %d sessions active, %d requeued, %d remaining in queue.",
			s.id(), act, bck, s.lb.Served(), 0, len(s.queue))
	case st == AdminDrain && old&admForcedDrain == 0:
		msg = fmt.Sprintf("Server %s enters drain state. %d active and %d backup servers online. %d sessions requeued, %d total in queue.",
			s.id(), act, bck, 0, len(s.queue))
	case old&admForcedMaint != 0:
		// "UP/READY", "DOWN/READY", "UP/DRAIN": the health the checks
		// (and agent) left, then the admin state.
		health, admin := "DOWN", "READY"
		if up {
			health = "UP"
		}
		if a.flags&admForcedDrain != 0 {
			admin = "DRAIN"
		}
		msg = fmt.Sprintf("Server %s is %s/%s (leaving forced maintenance).", s.id(), health, admin)
	case old&admForcedDrain != 0:
		msg = fmt.Sprintf("Server %s is UP (leaving forced drain).", s.id())
	}
	s.state.noteAdmin(old, a.flags, up)
	if !wasUsable && s.lb.Usable() {
		b.dequeueAllLocked()
	}
	b.noteBackendHealth(act+bck > 0)
	b.mu.Unlock()
	if msg != "" {
		e.log(Warning, s.be.cfg.Name, msg)
	}
	if wasUsable && act+bck == 0 {
		b.logNoServer()
	}
	return nil
}

// ServerAdmin returns a server's administrative state.
func (e *Engine) ServerAdmin(backendName, serverName string) (AdminState, error) {
	_, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return AdminReady, err
	}
	switch a := &s.state.admin; {
	case a.maint():
		return AdminMaint, nil
	case a.drained():
		return AdminDrain, nil
	}
	return AdminReady, nil
}

// ServerWeight returns a server's current user weight and its weight in
// the configuration (`get weight`).
func (e *Engine) ServerWeight(backendName, serverName string) (cur, initial int, err error) {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return 0, 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return s.uweight, s.cfg.Weight, nil
}

// SetServerWeight changes a server's user weight at run time (`set
// weight`, `set server ... weight`). Static algorithms only take 0 or the
// configured weight, as in the reference. The weight lasts until the
// next reload, which applies the configuration's.
func (e *Engine) SetServerWeight(backendName, serverName string, weight int) error {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	if weight < 0 || weight > 256 {
		return ErrWeightRange
	}
	if staticAlgo(b.cfg.Balance) && weight != 0 && weight != s.cfg.Weight {
		return ErrStaticWeight
	}
	b.mu.Lock()
	s.uweight = weight
	s.state.admin.mu.Lock()
	s.state.admin.uweight = weight
	drained := s.state.admin.flags&admForcedDrain != 0
	s.state.admin.mu.Unlock()
	wasUsable := s.lb.Usable()
	b.applyAdminLocked(s)
	b.dequeueAllLocked()
	act, bck := b.countUsableLocked()
	b.noteBackendHealth(act+bck > 0)
	b.mu.Unlock()
	if drained {
		e.logStillDrained(s)
	}
	if wasUsable && act+bck == 0 {
		b.logNoServer()
	}
	return nil
}

// SetServerHealth forces a server's operational state (`set server ...
// health up|stopping|down`).
func (e *Engine) SetServerHealth(backendName, serverName string, h HealthState) error {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	a := &s.state.admin
	b.mu.Lock()
	a.mu.Lock()
	wasStopping := a.stopping
	a.stopping = h == HealthStopping
	a.lastChange = time.Now()
	a.health = 0
	if h != HealthDown {
		a.health = max(s.cfg.Rise+s.cfg.Fall-1, 0)
	}
	a.mu.Unlock()
	if wasStopping != a.stopping {
		b.applyAdminLocked(s)
	}
	rise, fall := s.cfg.Rise, s.cfg.Fall
	b.mu.Unlock()
	if h == HealthDown {
		s.state.health.Store(0)
	} else {
		s.state.health.Store(int64(max(rise+fall-1, 0)))
	}
	b.setServerUpWhy(s, h != HealthDown, "changed from CLI")
	return nil
}

// SetServerChecks enables or disables a server's health checks (`enable
// health`, `disable health`); a disabled check keeps the server's current
// state.
func (e *Engine) SetServerChecks(backendName, serverName string, on bool) error {
	_, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	if !s.cfg.Check {
		if on {
			return ErrNoHealthCheck
		}
		return nil
	}
	a := &s.state.admin
	a.mu.Lock()
	a.checksOff = !on
	a.mu.Unlock()
	return nil
}

// ChecksEnabled reports whether a server's health checks run (its
// configured check, not disabled from the CLI).
func (e *Engine) ChecksEnabled(backendName, serverName string) bool {
	_, s, err := e.lookup(backendName, serverName)
	if err != nil || !s.cfg.Check {
		return false
	}
	s.state.admin.mu.Lock()
	defer s.state.admin.mu.Unlock()
	return !s.state.admin.checksOff
}

// SetServerAgent enables or disables a server's agent check (`enable
// agent`, `disable agent`); enabling fails on a server without one.
func (e *Engine) SetServerAgent(backendName, serverName string, on bool) error {
	_, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	if s.cfg.Agent == nil {
		if on {
			return ErrNoAgent
		}
		return nil
	}
	s.state.agent.off.Store(!on)
	return nil
}

// SetServerAddr changes a server's address and, when port is not 0, its
// port (`set server ... addr`). It returns the previous address.
func (e *Engine) SetServerAddr(backendName, serverName string, addr netip.Addr, port uint16) (netip.AddrPort, error) {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return netip.AddrPort{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := s.addr()
	if port == 0 {
		port = old.Port()
	}
	// The configuration is shared with other generations: copy it. The
	// copy is published under backend.mu, which every connection takes
	// (acquire) before it reads the address.
	c := *s.cfg
	c.Addr = netip.AddrPortFrom(addr, port)
	s.cfg = &c
	if r := s.dnsResult(); r != nil { // until DNS answers again
		s.state.dns.last.Store(&dnsResult{fqdn: r.fqdn, addr: c.Addr, target: r.target})
	}
	s.state.admin.mu.Lock()
	s.state.admin.lastChange = time.Now()
	s.state.admin.mu.Unlock()
	return old, nil
}

// SetServerMaxConn changes a server's maxconn (`set maxconn server`).
func (e *Engine) SetServerMaxConn(backendName, serverName string, n int) error {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	b.mu.Lock()
	c := *s.cfg
	c.MaxConn = n
	s.cfg = &c
	s.lb.MaxConn = n
	b.dequeueLocked(s)
	b.mu.Unlock()
	return nil
}

// SetFrontendMaxConn changes a frontend's maxconn (`set maxconn frontend`).
func (e *Engine) SetFrontendMaxConn(name string, n int) error {
	f := e.rt.Load().frontends[name]
	if f == nil {
		return ErrNoFrontend
	}
	return f.limit.setMax(n)
}

// SetGlobalMaxConn changes the process maxconn (`set maxconn global`).
// Without a configured maxconn there is no limiter yet: one is installed
// (in a copy of the current generation, published atomically). The
// connections already accepted do not count against it.
func (e *Engine) SetGlobalMaxConn(n int) error {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	rt := e.rt.Load()
	if rt.global != nil {
		return rt.global.setMax(n)
	}
	cp := *rt
	cp.global = newLimiter(n)
	if !e.rt.CompareAndSwap(rt, &cp) {
		return errors.New("a reload happened meanwhile; try again")
	}
	return nil
}

// MaxConn returns the process maxconn (0 = unlimited).
func (e *Engine) MaxConn() int { return e.rt.Load().global.cap() }

// setMax changes a limiter's capacity and wakes the listeners waiting
// on it. A nil (unlimited) limiter cannot be changed: the listeners took
// no slots from it.
func (l *limiter) setMax(n int) error {
	if l == nil {
		return ErrUnlimitedLimit
	}
	l.mu.Lock()
	l.max = n
	l.wakeLocked()
	l.mu.Unlock()
	return nil
}

// ShutdownServerSessions closes every established connection of a
// server (`shutdown sessions server`).
func (e *Engine) ShutdownServerSessions(backendName, serverName string) error {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	b.mu.Lock()
	shutdownLocked(s)
	b.mu.Unlock()
	return nil
}

// SessionInfo describes one connection in flight (`show sess`).
type SessionInfo struct {
	ID       string // stable while the connection lives ("0x..." like the reference's pointers)
	Src      string
	Frontend string
	Backend  string // "<NONE>" before a backend is chosen
	Server   string // "<none>" before a server is connected
	Age      time.Duration
}

func sessionID(lc *liveConn) string { return fmt.Sprintf("%p", lc) }

// Sessions lists the connections in flight.
func (e *Engine) Sessions() []SessionInfo {
	onServer := map[*liveConn]*server{}
	for _, b := range e.rt.Load().backends {
		b.mu.Lock()
		for _, s := range b.servers {
			for c := range s.conns {
				onServer[c] = s
			}
		}
		b.mu.Unlock()
	}
	e.liveMu.Lock()
	defer e.liveMu.Unlock()
	out := make([]SessionInfo, 0, len(e.live))
	for lc := range e.live {
		si := SessionInfo{ID: sessionID(lc), Src: lc.cli.RemoteAddr().String(), Frontend: lc.fe,
			Backend: "<NONE>", Server: "<none>", Age: time.Since(lc.start)}
		if s := onServer[lc]; s != nil {
			si.Backend, si.Server = s.be.cfg.Name, s.cfg.Name
		}
		out = append(out, si)
	}
	return out
}

// ShutdownSession closes the connection with the given ID (`shutdown
// session`).
func (e *Engine) ShutdownSession(id string) error {
	e.liveMu.Lock()
	var found *liveConn
	for lc := range e.live {
		if sessionID(lc) == id {
			found = lc
		}
	}
	e.liveMu.Unlock()
	if found == nil {
		return ErrNoSession
	}
	found.abort()
	return nil
}

// AddServer adds a server to a backend at run time (`add server`). As in
// the reference it starts in maintenance and its checks start disabled;
// the backend must use a dynamic algorithm. The server lasts until the
// next reload, which applies the configuration.
func (e *Engine) AddServer(backendName string, sc *Server) error {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	rt := e.rt.Load()
	b := rt.backends[backendName]
	if b == nil {
		return ErrNoBackend
	}
	if staticAlgo(b.cfg.Balance) {
		return ErrDynamicLB
	}
	if b.byName[sc.Name] != nil {
		return ErrServerExists
	}
	autoID := sc.ID == 0
	if autoID {
		used := map[int]bool{}
		b.mu.Lock()
		for _, x := range b.servers {
			used[x.lb.ID] = true
		}
		b.mu.Unlock()
		for sc.ID = 1; used[sc.ID]; sc.ID++ {
		}
	}
	st := &serverState{}
	st.up.Store(true)
	st.health.Store(-1)
	st.admin.lastChange = time.Now()
	st.admin.flags = admForcedMaint
	st.admin.dynamic = true
	st.admin.autoID = autoID
	st.admin.cfgWeight, st.admin.uweight = sc.Weight, sc.Weight
	st.admin.checksOff = true
	e.mu.Lock()
	e.states[backendName+"/"+sc.Name] = st
	e.mu.Unlock()
	bc := *b.cfg
	bc.Servers = append(b.serverConfigs(""), sc)
	return e.reloadBackend(rt, &bc)
}

// DelServer removes a server added by AddServer (`del server`); it must be
// in maintenance with no connection left. Fulcrum refuses to delete a
// configured server: a reload would bring it back.
func (e *Engine) DelServer(backendName, serverName string) error {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	rt := e.rt.Load()
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	if !s.state.admin.maint() {
		return ErrDelNotMaint
	}
	b.mu.Lock()
	busy := len(s.conns) > 0 || len(s.queue) > 0 || s.lb.Served() > 0
	b.mu.Unlock()
	if busy || s.state.counters.Cur.Load() > 0 {
		return ErrDelHasConns
	}
	bc := *b.cfg
	bc.Servers = b.serverConfigs(serverName)
	if err := e.reloadBackend(rt, &bc); err != nil {
		return err
	}
	e.mu.Lock()
	delete(e.states, backendName+"/"+serverName)
	e.mu.Unlock()
	return nil
}

// serverConfigs lists the servers' configurations as changed at run
// time (address, maxconn), but the one named skip.
func (b *backend) serverConfigs(skip string) []*Server {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*Server
	for _, s := range b.servers {
		if s.cfg.Name != skip {
			out = append(out, s.cfg)
		}
	}
	return out
}

// reloadBackend reloads the engine with one backend replaced: servers
// keep their state and counters by name, as in any reload.
func (e *Engine) reloadBackend(rt *runtime, bc *Backend) error {
	cfg := *rt.cfg
	cfg.Backends = make([]*Backend, len(rt.cfg.Backends))
	for i, x := range rt.cfg.Backends {
		if x.Name == bc.Name {
			x = bc
		}
		cfg.Backends[i] = x
	}
	return e.Reload(&cfg)
}

// ClearCounters resets the maximum values (all=false, `clear counters`)
// or every counter (`clear counters all`) of frontends, backends and
// servers.
func (e *Engine) ClearCounters(all bool) {
	rt := e.rt.Load()
	var list []*Counters
	for _, f := range rt.frontends {
		list = append(list, f.counters)
	}
	for _, b := range rt.backends {
		list = append(list, b.counters)
		for _, s := range b.servers {
			list = append(list, &s.state.counters)
		}
	}
	list = append(list, e.listenerCounters()...) // socketstats.go
	for _, c := range list {
		c.Max.Store(0)
		c.clearStats(all)
		if all {
			c.Total.Store(0)
			c.BytesIn.Store(0)
			c.BytesOut.Store(0)
			c.FailedConns.Store(0)
			c.Retries.Store(0)
			c.Redispatches.Store(0)
			c.Denied.Store(0)
			c.QueueTimeouts.Store(0)
		}
	}
}

// ServerStatus is one line of `show servers state`.
type ServerStatus struct {
	Backend, Name string
	ServerID      int
	Addr          netip.AddrPort
	// OpState is SRV_ST_*: 0 stopped, 1 starting, 2 running, 3 stopping.
	OpState int
	// AdminFlags is SRV_ADMF_*.
	AdminFlags       int
	UWeight, IWeight int
	LastChange       time.Time
	// Check health counter, and the check's state flags (CHK_ST_*).
	CheckHealth int
	CheckState  int
	Check       bool // the server has a configured health check
	ForcedID    bool
	// CheckPort and CheckAddr are the server's `port` and `addr`.
	CheckPort uint16
	CheckAddr netip.Addr
	// AgentState are the agent check's CHK_ST_* flags; AgentAddr and
	// AgentPort its `agent-addr` and `agent-port`.
	AgentState int
	AgentAddr  netip.Addr
	AgentPort  uint16
	// CheckStatus and CheckResult are the last check's HCHK_STATUS_* and
	// CHK_RES_* codes (1 and 0 before any check).
	CheckStatus, CheckResult int
	// FQDN is the name the server is resolved from at run time, and
	// SRVRecord the SRV record of a server-template ("" = none).
	FQDN, SRVRecord string
}

// hchkStatus are the reference's HCHK_STATUS_* codes.
var hchkStatus = map[check.Status]int{check.SOCKERR: 5, check.L4OK: 6, check.L4TOUT: 7, check.L4CON: 8,
	check.L6OK: 9, check.L6TOUT: 10, check.L6RSP: 11, check.L7TOUT: 12, check.L7RSP: 13, check.L7OK: 15, check.L7STS: 17,
	check.PROCERR: 18, check.PROCTOUT: 19, check.PROCOK: 20}

// ServersState reports every server of a backend, or of every backend
// when name is empty, in configuration order.
func (e *Engine) ServersState(name string) ([]ServerStatus, error) {
	rt := e.rt.Load()
	var out []ServerStatus
	found := name == ""
	for _, bc := range rt.cfg.Backends {
		if name != "" && bc.Name != name {
			continue
		}
		found = true
		b := rt.backends[bc.Name]
		b.mu.Lock()
		for _, s := range b.servers {
			out = append(out, b.statusLocked(s))
		}
		b.mu.Unlock()
	}
	if !found {
		return nil, ErrNoBackend
	}
	return out, nil
}

func (b *backend) statusLocked(s *server) ServerStatus {
	a := &s.state.admin
	a.mu.Lock()
	defer a.mu.Unlock()
	up := s.state.up.Load()
	st := ServerStatus{Backend: b.cfg.Name, Name: s.cfg.Name, ServerID: s.lb.ID, Addr: s.addr(),
		AdminFlags: a.flags, UWeight: s.uweight, IWeight: s.cfg.Weight, LastChange: a.lastChange,
		Check: s.cfg.Check, ForcedID: s.cfg.ID != 0 && !a.autoID, CheckPort: s.cfg.CheckPort, CheckAddr: s.cfg.CheckAddr}
	st.FQDN, st.SRVRecord = s.dnsNames()
	if st.FQDN == "" && st.SRVRecord == "" {
		st.FQDN = s.cfg.Hostname
	}
	switch {
	case a.flags&admMaint != 0 || !up:
		st.OpState = 0
	case a.stopping:
		st.OpState = 3
	default:
		st.OpState = 2
	}
	st.CheckHealth = a.health
	if h := s.state.health.Load(); h >= 0 && s.cfg.Check && a.flags&admMaint == 0 {
		st.CheckHealth = int(h)
	}
	// CHK_ST_CONFIGURED 0x02, CHK_ST_ENABLED 0x04, CHK_ST_PAUSED 0x08
	// (the check of a server `disabled` in the configuration).
	if s.cfg.Check {
		st.CheckState = 0x02
		if !a.checksOff {
			st.CheckState |= 0x04
		}
	}
	if a.flags&admConfMaint != 0 {
		st.CheckState |= 0x08
	}
	st.CheckStatus, st.CheckResult = 1, 0
	s.state.srvStats.mu.Lock()
	if s.state.srvStats.hasResult && s.cfg.Check {
		last := s.state.srvStats.last
		st.CheckStatus, st.CheckResult = hchkStatus[last.Status], 2 // CHK_RES_FAILED
		if last.Status.Passed() {
			st.CheckResult = 3 // CHK_RES_PASSED
		}
	}
	s.state.srvStats.mu.Unlock()
	if ac := s.cfg.Agent; ac != nil {
		// CHK_ST_AGENT 0x10 with CONFIGURED, and ENABLED unless disabled.
		st.AgentState = 0x10 | 0x02
		if !s.state.agent.off.Load() {
			st.AgentState |= 0x04
		}
		st.AgentAddr, st.AgentPort = ac.Addr, ac.Port
	}
	// A server's `addr` and `port` apply to its agent as well, unless
	// agent-addr / agent-port say otherwise.
	if !st.AgentAddr.IsValid() {
		st.AgentAddr = s.cfg.CheckAddr
	}
	if st.AgentPort == 0 {
		st.AgentPort = s.cfg.CheckPort
	}
	return st
}

// checksPaused reports whether check results must be ignored: checks
// disabled from the CLI, or the server in maintenance.
func (a *adminState) checksPaused() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.checksOff || a.flags&admMaint != 0
}

// BackendNames lists the backends (and listen sections) in configuration
// order.
func (e *Engine) BackendNames() []string {
	var out []string
	for _, b := range e.rt.Load().cfg.Backends {
		out = append(out, b.Name)
	}
	return out
}

// HasFrontend reports whether a frontend (or listen section) exists.
func (e *Engine) HasFrontend(name string) bool { return e.rt.Load().frontends[name] != nil }

// rateLimit bounds accepted connections per second (`set rate-limit
// sessions global`, maxconnrate); 0 means no limit. It counts as the
// reference's frequency counters do: the current one-second period
// (starting with the event that opened it) plus the previous period's
// count weighted by what is left of the current one, so that after a
// burst the next connections come at an even pace.
type rateLimit struct {
	mu         sync.Mutex
	limit      int
	start      time.Time // the current period's start
	curr, prev int       // events in the current and the previous period
}

// rotate moves the period on to now.
func (r *rateLimit) rotate(now time.Time) {
	if r.start.IsZero() || now.Sub(r.start) >= 2*time.Second {
		r.start, r.curr, r.prev = now, 0, 0
		return
	}
	if now.Sub(r.start) >= time.Second {
		r.start, r.prev, r.curr = r.start.Add(time.Second), r.curr, 0
	}
}

// wait returns once a connection may be accepted (the rate is below the
// limit); false when done closed first. The accepted connection counts
// with take, as the reference counts at accept.
func (r *rateLimit) wait(done <-chan struct{}) bool {
	for {
		r.mu.Lock()
		if r.limit <= 0 {
			r.mu.Unlock()
			return true
		}
		now := time.Now()
		r.rotate(now)
		left := time.Second - now.Sub(r.start)
		if r.curr+int(int64(r.prev)*int64(left)/int64(time.Second)) < r.limit {
			r.mu.Unlock()
			return true
		}
		// Until the period ends, or until the previous period's share
		// has shrunk enough.
		delay := left
		if r.curr < r.limit && r.prev > 0 {
			delay = left - time.Duration(int64(r.limit-r.curr)*int64(time.Second)/int64(r.prev))
		}
		delay = max(delay, time.Millisecond)
		r.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-done:
			return false
		}
	}
}

// take counts one accepted connection.
func (r *rateLimit) take() {
	r.mu.Lock()
	now := time.Now()
	r.rotate(now)
	if r.curr == 0 && r.prev == 0 {
		r.start = now // an idle counter's period starts with this event
	}
	r.curr++
	r.mu.Unlock()
}

// SetSessionRateLimit sets the process-wide limit of new connections per
// second (0 = none).
func (e *Engine) SetSessionRateLimit(n int) error {
	e.setRateLimits(nil, &n) // ratelimits.go
	return nil
}

// ProxyIDs returns every proxy's numeric id, as the statistics number
// them.
func (e *Engine) ProxyIDs() map[string]int { return e.rt.Load().proxyIDs() }

// statsView corrects a server's balancer view for the statistics: a
// drained or stopping server keeps its user weight (the balancer gives
// it none so that it takes no new connection).
func (s *server) statsView(v balance.View) balance.View {
	v.UserWeight = s.uweight
	if s.state.admin.drained() {
		v.Weight = s.uweight
	}
	return v
}

// staticAlgo reports the algorithms whose weights cannot change at run
// time (the reference's non-dynamic LB: static-rr and the map-based
// hashes).
func staticAlgo(c balance.Config) bool {
	switch c.Algo {
	case balance.StaticRR:
		return true
	case balance.Source, balance.URI, balance.URLParam, balance.Hdr, balance.RDPCookie, balance.Sample:
		return !c.Consistent
	}
	return false
}

// Captures returns how many refused requests were captured since start
// (the total of `show errors`).
func (e *Engine) Captures() uint64 { return e.captures.Load() }

// FrontendNames lists the frontends (and listen sections) in
// configuration order.
func (e *Engine) FrontendNames() []string {
	var out []string
	for _, f := range e.rt.Load().cfg.Frontends {
		out = append(out, f.Name)
	}
	return out
}
