package proxy

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/resolve"
	"fulcrum/proxy/xxhash"
)

// This file is run-time DNS: servers with `resolvers NAME` follow their
// name's records (A/AAAA, or SRV for a server-template), moving to new
// addresses and in and out of maintenance "(resolution)" with the
// reference's log lines.

// ServerResolve is a server's `resolvers` settings.
type ServerResolve struct {
	// Resolvers names the section; FQDN the host name (or, with SRV,
	// the SRV record name) asked.
	Resolvers string
	FQDN      string
	SRV       bool
	// PreferIPv4 is `resolve-prefer ipv4` (the default prefers ipv6).
	PreferIPv4 bool
	// Nets are `resolve-net`: addresses in them are preferred.
	Nets []netip.Prefix
	// AllowDupIP is `resolve-opts allow-dup-ip`: servers of the same
	// name may share an address; IgnoreWeight keeps the weight an SRV
	// record gives.
	AllowDupIP, IgnoreWeight bool
}

// admFQDNSet is SRV_ADMF_HMAINT, which the reference leaves on a server
// an SRV record named once.
const admFQDNSet = 0x40

// dnsGroup are the servers of a backend resolving the same name: one
// query serves them all, as the reference's shared resolution does.
type dnsGroup struct {
	b      *backend
	names  []string // servers, in configuration order
	res    ServerResolve
	client *resolve.Client
	// lastValid is when the last valid answer came (the start at first);
	// next when to ask again.
	lastValid, next time.Time
	// listed is when each SRV record ("target:port") was last in an
	// answer; seen when each address was, by name.
	listed map[string]time.Time
	seen   map[string]map[netip.Addr]time.Time
}

// startResolvers runs one resolution loop per resolvers section used,
// until ctx ends (the generation is replaced or the engine stops).
func (e *Engine) startResolvers(ctx context.Context, rt *runtime) {
	bySection := map[string][]*dnsGroup{}
	now := time.Now()
	for _, bc := range rt.cfg.Backends {
		b := rt.backends[bc.Name]
		groups := map[string]*dnsGroup{}
		for _, s := range b.servers {
			r := s.cfg.Resolve
			rc := rt.cfg.Resolvers[r.resolversName()]
			if rc == nil {
				continue
			}
			k := fmt.Sprintf("%s %s %v %v %v %v %v", r.Resolvers, r.FQDN, r.SRV, r.PreferIPv4, r.AllowDupIP, r.IgnoreWeight, r.Nets)
			g := groups[k]
			if g == nil {
				g = &dnsGroup{b: b, res: *r, client: e.dnsClient(rc), lastValid: now, next: now,
					listed: map[string]time.Time{}, seen: map[string]map[netip.Addr]time.Time{}}
				groups[k] = g
				bySection[r.Resolvers] = append(bySection[r.Resolvers], g)
			}
			g.names = append(g.names, s.cfg.Name)
		}
	}
	for name, groups := range bySection {
		go e.resolveLoop(ctx, rt.cfg.Resolvers[name], groups)
	}
}

// dnsClient is the section's client, kept across reloads (with its
// counters) while the section's configuration stays the same.
func (e *Engine) dnsClient(rc *resolve.Config) *resolve.Client {
	if c, ok := e.dns.Load(rc.Name); ok && c.(*resolve.Client).Config() == rc {
		return c.(*resolve.Client)
	}
	c := resolve.New(rc)
	e.dns.Store(rc.Name, c)
	return c
}

// ResolverSection is a resolvers section's statistics.
type ResolverSection struct {
	Name        string
	Nameservers []ResolverNameserver
}

// ResolverNameserver is one nameserver's counters.
type ResolverNameserver struct {
	Name     string
	Counters *resolve.Counters
}

// Resolvers returns the statistics of the resolvers sections, in
// configuration order (by name when the configuration gives none), for
// `show resolvers` (sections no server uses have no queries).
func (e *Engine) Resolvers() []ResolverSection {
	rt := e.rt.Load()
	var out []ResolverSection
	order := rt.cfg.ResolversOrder
	if len(order) != len(rt.cfg.Resolvers) {
		order = slices.Sorted(maps.Keys(rt.cfg.Resolvers))
	}
	for _, name := range order {
		rc := rt.cfg.Resolvers[name]
		c := e.dnsClient(rc)
		sec := ResolverSection{Name: name}
		for i, ns := range rc.Nameservers {
			sec.Nameservers = append(sec.Nameservers, ResolverNameserver{Name: ns.Name, Counters: c.Counters(i)})
		}
		out = append(out, sec)
	}
	return out
}

func (r *ServerResolve) resolversName() string {
	if r == nil {
		return ""
	}
	return r.Resolvers
}

// resolveLoop asks, every `timeout resolve`, the names whose answer is
// older than `hold valid` (or failed), all at once.
func (e *Engine) resolveLoop(ctx context.Context, rc *resolve.Config, groups []*dnsGroup) {
	tick := rc.TimeoutResolve
	if tick <= 0 {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		now := time.Now()
		for _, g := range groups {
			if now.Before(g.next) {
				continue
			}
			wg.Go(func() { e.resolveGroup(ctx, rc, g) })
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// resolveGroup queries one name and applies the outcome.
func (e *Engine) resolveGroup(ctx context.Context, rc *resolve.Config, g *dnsGroup) {
	var ans resolve.Answer
	if g.res.SRV {
		ans = g.client.Query(ctx, g.res.FQDN, resolve.SRV)
	} else {
		ans = queryAddrs(ctx, g.client, g.res.FQDN, g.res.PreferIPv4)
	}
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	if ans.Status == resolve.Valid {
		g.lastValid, g.next = now, now.Add(rc.Hold.Valid)
	} else {
		g.next = now // retried at the next tick
	}
	var logs []string
	switch {
	case g.res.SRV && ans.Status == resolve.Valid:
		var hosts []string
		logs, hosts = g.applySRV(ans.Services, now, rc.Hold.Obsolete)
		logs = append(logs, e.resolveTargets(ctx, rc, g, hosts)...)
	case ans.Status == resolve.Valid:
		ans.Addrs = g.recent(g.res.FQDN, ans.Addrs, now, rc.Hold.Obsolete)
		logs = g.applyAddrs(ans, rc.Name)
	case now.Sub(g.lastValid) < holdFor(rc.Hold, ans.Status):
		// the last valid answer is still trusted
	case g.res.SRV:
		// The records age: servers leave as theirs become obsolete.
		logs, _ = g.applySRV(nil, now, rc.Hold.Obsolete)
	default:
		logs = g.failAll(failReason[ans.Status])
	}
	for _, l := range logs {
		e.log(Warning, g.b.cfg.Name, l)
	}
	if len(logs) > 0 && ans.Status == resolve.Valid {
		g.client.NoteUpdate(ans.By)
	}
	if len(logs) > 0 {
		g.b.mu.Lock()
		act, bck := g.b.countUsableLocked()
		g.b.noteBackendHealth(act+bck > 0)
		g.b.mu.Unlock()
		if act+bck == 0 && slices.ContainsFunc(logs, isGoingDown) {
			g.b.logNoServer()
		}
	}
}

func isGoingDown(l string) bool { return strings.HasSuffix(l, "remaining in queue.") }

// queryAddrs asks for the preferred family's records, then, when that
// gives no address (and the server answered), the other family's.
func queryAddrs(ctx context.Context, c *resolve.Client, name string, preferIPv4 bool) resolve.Answer {
	first, second := resolve.AAAA, resolve.A
	if preferIPv4 {
		first, second = second, first
	}
	ans := c.Query(ctx, name, first)
	if len(ans.Addrs) > 0 || ans.Status == resolve.Timeout || ctx.Err() != nil {
		return ans
	}
	if other := c.Query(ctx, name, second); other.Status == resolve.Valid {
		return other
	}
	return ans
}

// failReason is the maintenance cause the reference logs per status.
var failReason = map[resolve.Status]string{resolve.NX: "DNS NX status", resolve.Timeout: "DNS timeout status",
	resolve.Refused: "DNS refused status", resolve.Other: "unspecified DNS error"}

func holdFor(h resolve.Hold, st resolve.Status) time.Duration {
	switch st {
	case resolve.NX:
		return h.NX
	case resolve.Timeout:
		return h.Timeout
	case resolve.Refused:
		return h.Refused
	}
	return h.Other
}

// servers returns the group's servers still in the backend (with
// backend.mu held).
func (g *dnsGroup) serversLocked() []*server {
	var out []*server
	for _, n := range g.names {
		if s := g.b.byName[n]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

// applyAddrs gives each server of the group an address of the answer:
// it keeps its own while listed, else takes the best one no other
// server of the group holds (unless allow-dup-ip); with none left it
// goes to maintenance.
func (g *dnsGroup) applyAddrs(ans resolve.Answer, section string) []string {
	b := g.b
	b.mu.Lock()
	defer b.mu.Unlock()
	servers := g.serversLocked()
	held := map[netip.Addr]int{}
	for _, s := range servers {
		if a := s.addr().Addr(); a.IsValid() {
			held[a]++
		}
	}
	var logs []string
	for i, s := range servers {
		cur := s.addr().Addr()
		if cur.IsValid() && slices.Contains(ans.Addrs, cur) {
			continue
		}
		pick := g.pick(ans.Addrs, func(a netip.Addr) bool { return held[a] > 0 })
		if !pick.IsValid() {
			if cur.IsValid() {
				held[cur]--
			}
			logs = append(logs, b.resolveMaintLocked(s, "No IP for server ")...)
			continue
		}
		if cur.IsValid() {
			held[cur]--
		}
		held[pick]++
		by := section + "/" + ans.By
		if i > 0 {
			by = "DNS cache"
		}
		logs = append(logs, b.moveLocked(s, pick, s.addr().Port(), by, "", true)...)
	}
	return logs
}

// pick chooses among addrs as the reference scores them: 8 for the
// preferred family, 4 in a resolve-net, 2 when no other server of the
// group holds it (else skipped, unless allow-dup-ip); the first best in
// the reference's record order wins.
func (g *dnsGroup) pick(addrs []netip.Addr, taken func(netip.Addr) bool) netip.Addr {
	var best netip.Addr
	bestScore := -1
	for _, a := range recordOrder(addrs) {
		score := 0
		if a.Is4() == g.res.PreferIPv4 {
			score += 8
		}
		for _, n := range g.res.Nets {
			if n.Contains(a) {
				score += 4
				break
			}
		}
		switch {
		case !taken(a):
			score += 2
		case !g.res.AllowDupIP:
			continue
		}
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	return best
}

// recordOrder sorts addresses as the reference keeps answer records: by
// XXH32 of the address bytes seeded with the record type.
func recordOrder(addrs []netip.Addr) []netip.Addr {
	key := func(a netip.Addr) uint32 {
		if a.Is4() {
			b := a.As4()
			return xxhash.Sum32(b[:], uint32(resolve.A))
		}
		b := a.As16()
		return xxhash.Sum32(b[:], uint32(resolve.AAAA))
	}
	out := slices.Clone(addrs)
	slices.SortStableFunc(out, func(x, y netip.Addr) int { return cmp.Compare(key(x), key(y)) })
	return out
}

// srvOrder sorts SRV records as the reference keeps them: by XXH32 of
// the target name seeded with the SRV type.
func srvOrder(recs []resolve.Service) []resolve.Service {
	key := func(r resolve.Service) uint32 {
		return xxhash.Sum32([]byte(strings.ToLower(r.Target)), uint32(resolve.SRV))
	}
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(x, y resolve.Service) int { return cmp.Compare(key(x), key(y)) })
	return out
}

// moveLocked sets a server's address (and SRV target), logs the change
// as the reference does, and takes it out of resolution maintenance
// (adminLine: with the line of an address from an A/AAAA answer).
func (b *backend) moveLocked(s *server, ip netip.Addr, port uint16, by, target string, adminLine bool) []string {
	var logs []string
	old := s.addr()
	s.state.dns.last.Store(&dnsResult{fqdn: s.cfg.Resolve.FQDN, addr: netip.AddrPortFrom(ip, port), target: target})
	if old.Addr() != ip {
		from := "(none)"
		if old.Addr().IsValid() {
			from = old.Addr().String()
		}
		logs = append(logs, fmt.Sprintf("%s changed its IP from %s to %s by %s.", s.id(), from, ip, by))
	}
	a := &s.state.admin
	a.mu.Lock()
	was := a.flags
	if target != "" {
		a.flags |= admFQDNSet
	}
	if was&admResolveMaint == 0 {
		a.mu.Unlock()
		return logs
	}
	a.flags &^= admResolveMaint
	a.lastChange = time.Now() // the check health stays 0, as the reference leaves it
	flags := a.flags
	a.mu.Unlock()
	if s.cfg.Check && !s.state.admin.checksPaused() {
		// The checks start over from up, as the reference's do.
		rise := max(s.cfg.Rise, 1)
		s.state.dns.restart.Store(int64(rise))
		s.state.health.Store(int64(rise))
		if !s.state.up.Load() {
			s.state.up.Store(true)
			b.lb.SetUp(s.lb, true)
		}
	}
	up := s.state.up.Load()
	wasUsable := s.lb.Usable()
	b.applyAdminLocked(s)
	s.state.noteAdmin(was, flags, up)
	if !wasUsable && s.lb.Usable() {
		b.dequeueAllLocked()
	}
	health := "DOWN"
	if up {
		health = "UP"
	}
	fqdn, _ := s.dnsNames()
	logs = append(logs, fmt.Sprintf("Server %s ('%s') is %s/READY (resolves again).", s.id(), fqdn, health))
	if adminLine {
		logs = append(logs, fmt.Sprintf("Server %s administratively READY thanks to valid DNS answer.", s.id()))
	}
	return logs
}

// resolveMaintLocked puts a server in maintenance "(resolution)" and
// forgets its address (an SRV slot its record too).
func (b *backend) resolveMaintLocked(s *server, reason string) []string {
	none := &dnsResult{fqdn: s.cfg.Resolve.FQDN, addr: netip.AddrPortFrom(netip.Addr{}, s.addr().Port())}
	if s.cfg.Resolve.SRV {
		none.addr = netip.AddrPort{}
	}
	s.state.dns.last.Store(none)
	a := &s.state.admin
	a.mu.Lock()
	was := a.flags
	if was&admResolveMaint != 0 {
		a.mu.Unlock()
		return nil
	}
	a.flags |= admResolveMaint
	a.health, a.lastChange = 0, time.Now()
	flags := a.flags
	a.mu.Unlock()
	up := s.state.up.Load()
	b.applyAdminLocked(s)
	s.state.noteAdmin(was, flags, up)
	if was&admForcedMaint != 0 {
		return nil
	}
	act, bck := b.countUsableLocked()
	if !up {
		return []string{fmt.Sprintf("Server %s was DOWN and now enters maintenance (%s).", s.id(), reason)}
	}
	return []string{fmt.Sprintf("Server %s is going DOWN for maintenance (%s). %d active and %d backup servers left. %d sessions active, %d requeued, %d remaining in queue.",
		s.id(), reason, act, bck, s.lb.Served(), 0, len(s.queue))}
}

// failAll puts every server of the group in maintenance after a failed
// resolution outlived its hold.
func (g *dnsGroup) failAll(reason string) []string {
	g.b.mu.Lock()
	defer g.b.mu.Unlock()
	var logs []string
	for _, s := range g.serversLocked() {
		logs = append(logs, g.b.resolveMaintLocked(s, reason)...)
	}
	return logs
}

// applySRV fills the slots of a server-template from SRV records: a
// server keeps its record while it is listed (address, port and weight
// follow it), a record absent for `hold obsolete` frees its slot, and
// new records take free slots, those never used first.
//
// Records the additional section gives no address for are followed by
// their servers resolving the target (hosts lists those servers).
func (g *dnsGroup) applySRV(recs []resolve.Service, now time.Time, obsolete time.Duration) (logs, hosts []string) {
	b := g.b
	b.mu.Lock()
	defer b.mu.Unlock()
	key := func(target string, port uint16) string { return fmt.Sprintf("%s:%d", target, port) }
	listed := map[string]resolve.Service{}
	for _, r := range recs {
		listed[key(r.Target, r.Port)] = r
		g.listed[key(r.Target, r.Port)] = now
	}
	follow := func(s *server, rec resolve.Service) {
		if rec.Addr.IsValid() {
			logs = append(logs, b.moveLocked(s, rec.Addr, rec.Port, "DNS additional record", rec.Target, false)...)
		} else {
			b.assignLocked(s, rec)
			hosts = append(hosts, s.cfg.Name)
		}
		g.srvWeightLocked(s, rec)
	}
	servers := g.serversLocked()
	used := map[string]bool{}
	for _, s := range servers {
		target, _ := s.dnsNames()
		if target == "" {
			continue
		}
		k := key(target, s.addr().Port())
		rec, ok := listed[k]
		if !ok {
			// Absent: kept while its last listing is within `hold
			// obsolete`.
			if now.Sub(g.listed[k]) > obsolete {
				delete(g.listed, k)
				logs = append(logs, b.resolveMaintLocked(s, "entry removed from SRV record")...)
			} else {
				used[k] = true
			}
			continue
		}
		used[k] = true
		follow(s, rec)
	}
	// New records, in the reference's record order, into free slots:
	// never used ones first, then in configuration order.
	free := slices.DeleteFunc(slices.Clone(servers), func(s *server) bool { target, _ := s.dnsNames(); return target != "" })
	slices.SortStableFunc(free, func(x, y *server) int {
		return boolInt(x.state.admin.flagsNow()&admFQDNSet != 0) - boolInt(y.state.admin.flagsNow()&admFQDNSet != 0)
	})
	for _, rec := range srvOrder(recs) {
		if len(free) == 0 {
			break
		}
		k := key(rec.Target, rec.Port)
		if used[k] {
			continue
		}
		used[k] = true
		s := free[0]
		free = free[1:]
		follow(s, rec)
	}
	return logs, hosts
}

// assignLocked gives a free slot an SRV record whose address is not
// known yet: it stays in maintenance until its target resolves. A
// server already at an address keeps it meanwhile.
func (b *backend) assignLocked(s *server, rec resolve.Service) {
	cur := s.addr()
	if target, _ := s.dnsNames(); target == rec.Target && cur.Port() == rec.Port {
		return
	}
	s.state.dns.last.Store(&dnsResult{fqdn: s.cfg.Resolve.FQDN, addr: netip.AddrPortFrom(netip.Addr{}, rec.Port), target: rec.Target})
	s.state.admin.mu.Lock()
	s.state.admin.flags |= admFQDNSet
	s.state.admin.mu.Unlock()
}

// resolveTargets resolves the targets of SRV records that came without
// an address, for the servers following them.
func (e *Engine) resolveTargets(ctx context.Context, rc *resolve.Config, g *dnsGroup, names []string) []string {
	var logs []string
	for _, name := range names {
		g.b.mu.Lock()
		s := g.b.byName[name]
		var target string
		if s != nil {
			target, _ = s.dnsNames()
		}
		g.b.mu.Unlock()
		if target == "" {
			continue
		}
		ans := queryAddrs(ctx, g.client, target, g.res.PreferIPv4)
		if ans.Status != resolve.Valid || len(ans.Addrs) == 0 {
			continue // kept as it is until the target answers
		}
		ans.Addrs = g.recent(target, ans.Addrs, time.Now(), rc.Hold.Obsolete)
		g.b.mu.Lock()
		if t, _ := s.dnsNames(); t == target {
			cur := s.addr()
			ip := cur.Addr()
			if !slices.Contains(ans.Addrs, ip) {
				ip = g.pick(ans.Addrs, func(netip.Addr) bool { return false })
			}
			logs = append(logs, g.b.moveLocked(s, ip, cur.Port(), rc.Name+"/"+ans.By, target, true)...)
		}
		g.b.mu.Unlock()
	}
	return logs
}

// srvWeightLocked gives a server the weight of its SRV record, scaled
// as the reference does (weight/256 + 1), unless ignore-weight.
func (g *dnsGroup) srvWeightLocked(s *server, rec resolve.Service) {
	if g.res.IgnoreWeight {
		return
	}
	w := int(rec.Weight)/256 + 1
	if s.uweight == w {
		return
	}
	s.uweight = w
	a := &s.state.admin
	a.mu.Lock()
	a.uweight = w
	a.mu.Unlock()
	g.b.applyAdminLocked(s)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *adminState) flagsNow() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flags
}

// checkAddrOf is where a server configured as cfg, now at addr, is
// checked: its address, or its `addr`, on its `port` when given.
func checkAddrOf(cfg *Server, addr netip.AddrPort) netip.AddrPort {
	if cfg.CheckAddr.IsValid() {
		addr = netip.AddrPortFrom(cfg.CheckAddr, addr.Port())
	}
	if cfg.CheckPort != 0 {
		addr = netip.AddrPortFrom(addr.Addr(), cfg.CheckPort)
	}
	return addr
}

// currentCheckAddr follows the server's address as DNS changes it, for
// its health checks.
func (b *backend) currentCheckAddr(s *server) func() netip.AddrPort {
	return func() netip.AddrPort { return checkAddrOf(s.cfg, s.addr()) }
}

// dnsResult is what DNS last gave a server.
type dnsResult struct {
	fqdn   string         // the name it was resolved from
	addr   netip.AddrPort // invalid address: none (resolution maintenance)
	target string         // SRV: the record's host
}

// dnsMemo holds a server's dnsResult in its state, so that connections
// read it without a lock and a reload keeps it.
type dnsMemo struct {
	last atomic.Pointer[dnsResult] // nil: DNS has not answered
	// restart is the check health to start again from once the server
	// left resolution maintenance (-1 or 0 when none: see restartHealth).
	restart atomic.Int64
}

// restartHealth hands the checker, once, the health a server leaving
// resolution maintenance starts from: up (rise), as the reference.
func (m *dnsMemo) restartHealth() int {
	if h := m.restart.Swap(0); h > 0 {
		return int(h)
	}
	return -1
}

// dnsResult returns what DNS gave s, nil when it has not spoken for the
// name s is configured with.
func (s *server) dnsResult() *dnsResult {
	if s.cfg.Resolve == nil {
		return nil
	}
	if r := s.state.dns.last.Load(); r != nil && r.fqdn == s.cfg.Resolve.FQDN {
		return r
	}
	return nil
}

// addr is where the server is now: DNS's answer, or its configuration.
func (s *server) addr() netip.AddrPort {
	if r := s.dnsResult(); r != nil {
		return r.addr
	}
	return s.cfg.Addr
}

// dnsNames are the fqdn and srvrecord columns of `show servers state`.
func (s *server) dnsNames() (fqdn, srv string) {
	r := s.cfg.Resolve
	switch {
	case r == nil:
		return "", ""
	case !r.SRV:
		return r.FQDN, ""
	}
	if d := s.dnsResult(); d != nil {
		return d.target, r.FQDN
	}
	return "", r.FQDN
}

// restoreResolved sets the resolution maintenance of a server entering
// a new generation: kept with DNS's last answer when it resolves the
// same name, else as its configuration starts it.
func (st *serverState) restoreResolved(sc *Server) {
	a := &st.admin
	a.mu.Lock()
	defer a.mu.Unlock()
	last := st.dns.last.Load()
	switch {
	case sc.Resolve == nil:
		st.dns.last.Store(nil)
		a.flags &^= admResolveMaint
	case last != nil && last.fqdn == sc.Resolve.FQDN:
	case sc.Unresolved:
		st.dns.last.Store(nil)
		a.flags |= admResolveMaint
	default:
		st.dns.last.Store(nil)
		a.flags &^= admResolveMaint
	}
}

// recent returns addrs, then the addresses earlier answers for name gave
// within `hold obsolete`: the reference still counts those as records,
// so a server keeps such an address.
func (g *dnsGroup) recent(name string, addrs []netip.Addr, now time.Time, obsolete time.Duration) []netip.Addr {
	m := g.seen[name]
	if m == nil {
		m = map[netip.Addr]time.Time{}
		g.seen[name] = m
	}
	for _, a := range addrs {
		m[a] = now
	}
	out := slices.Clone(addrs)
	for _, a := range slices.SortedFunc(maps.Keys(m), func(x, y netip.Addr) int { return x.Compare(y) }) {
		switch {
		case now.Sub(m[a]) > obsolete:
			delete(m, a)
		case !slices.Contains(out, a):
			out = append(out, a)
		}
	}
	return out
}
