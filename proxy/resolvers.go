package proxy

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"fulcrum/proxy/resolve"
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
	// Target is the SRV record's host the server follows now ("" =
	// a free slot); set at run time only.
	Target string
	// PreferIPv4 is `resolve-prefer ipv4` (the default prefers ipv6).
	PreferIPv4 bool
	// Nets are `resolve-net`: addresses in them are preferred.
	Nets []netip.Prefix
	// AllowDupIP is `resolve-opts allow-dup-ip`: servers of the same
	// name may share an address; IgnoreWeight keeps the weight an SRV
	// record gives.
	AllowDupIP, IgnoreWeight bool
}

// names are the fqdn and srvrecord columns of `show servers state`.
func (r *ServerResolve) names() (fqdn, srv string) {
	switch {
	case r == nil:
		return "", ""
	case r.SRV:
		return r.Target, r.FQDN
	}
	return r.FQDN, ""
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
	// missing is since when an SRV target is absent from the answers.
	missing map[string]time.Time
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
					missing: map[string]time.Time{}}
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

// Resolvers returns the statistics of the resolvers sections, by name,
// for `show resolvers` (sections no server uses have no queries).
func (e *Engine) Resolvers() []ResolverSection {
	rt := e.rt.Load()
	var out []ResolverSection
	for _, name := range slices.Sorted(maps.Keys(rt.cfg.Resolvers)) {
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
		logs = g.applySRV(ans.Services, now, rc.Hold.Obsolete)
	case ans.Status == resolve.Valid:
		logs = g.applyAddrs(ans, rc.Name)
	case now.Sub(g.lastValid) < holdFor(rc.Hold, ans.Status):
		// the last valid answer is still trusted
	case g.res.SRV:
		logs = g.applySRV(nil, now, rc.Hold.Obsolete)
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
		if a := s.cfg.Addr.Addr(); a.IsValid() {
			held[a]++
		}
	}
	var logs []string
	for i, s := range servers {
		cur := s.cfg.Addr.Addr()
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
		logs = append(logs, b.moveLocked(s, pick, s.cfg.Addr.Port(), by, "")...)
	}
	return logs
}

// pick chooses among addrs: those in resolve-net first, then the first
// in the answer's order; an address another server holds only with
// allow-dup-ip.
func (g *dnsGroup) pick(addrs []netip.Addr, taken func(netip.Addr) bool) netip.Addr {
	var best netip.Addr
	bestScore := -1
	for _, a := range addrs {
		if !g.res.AllowDupIP && taken(a) {
			continue
		}
		score := 0
		if (a.Is4() || a.Is4In6()) == g.res.PreferIPv4 {
			score += 2
		}
		for _, n := range g.res.Nets {
			if n.Contains(a) {
				score++
				break
			}
		}
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	return best
}

// moveLocked sets a server's address (and SRV target), logs the change
// as the reference does, and takes it out of resolution maintenance.
func (b *backend) moveLocked(s *server, ip netip.Addr, port uint16, by, target string) []string {
	var logs []string
	old := s.cfg.Addr
	c := *s.cfg
	c.Addr, c.Unresolved = netip.AddrPortFrom(ip, port), false
	if target != "" {
		r := *c.Resolve
		r.Target = target
		c.Resolve = &r
	}
	s.cfg = &c
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
	fqdn, _ := c.Resolve.names()
	logs = append(logs, fmt.Sprintf("Server %s ('%s') is %s/READY (resolves again).", s.id(), fqdn, health))
	if target == "" {
		logs = append(logs, fmt.Sprintf("Server %s administratively READY thanks to valid DNS answer.", s.id()))
	}
	return logs
}

// resolveMaintLocked puts a server in maintenance "(resolution)" and
// forgets its address.
func (b *backend) resolveMaintLocked(s *server, reason string) []string {
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
	c := *s.cfg
	c.Addr = netip.AddrPortFrom(netip.Addr{}, c.Addr.Port())
	if c.Resolve != nil && c.Resolve.SRV {
		r := *c.Resolve
		r.Target = ""
		c.Resolve = &r
		c.Addr = netip.AddrPort{}
	}
	s.cfg = &c
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
func (g *dnsGroup) applySRV(recs []resolve.Service, now time.Time, obsolete time.Duration) []string {
	b := g.b
	b.mu.Lock()
	defer b.mu.Unlock()
	key := func(target string, port uint16) string { return fmt.Sprintf("%s:%d", target, port) }
	listed := map[string]resolve.Service{}
	for _, r := range recs {
		if r.Addr.IsValid() {
			listed[key(r.Target, r.Port)] = r
		}
	}
	var logs []string
	servers := g.serversLocked()
	used := map[string]bool{}
	for _, s := range servers {
		r := s.cfg.Resolve
		if r == nil || r.Target == "" {
			continue
		}
		k := key(r.Target, s.cfg.Addr.Port())
		rec, ok := listed[k]
		if !ok {
			since, seen := g.missing[k]
			if !seen {
				g.missing[k], since = now, now
			}
			if now.Sub(since) >= obsolete {
				delete(g.missing, k)
				logs = append(logs, b.resolveMaintLocked(s, "entry removed from SRV record")...)
			} else {
				used[k] = true
			}
			continue
		}
		delete(g.missing, k)
		used[k] = true
		logs = append(logs, b.moveLocked(s, rec.Addr, rec.Port, "DNS additional record", rec.Target)...)
		logs = append(logs, g.srvWeightLocked(s, rec)...)
	}
	// New records, last first (the reference's order), into free slots:
	// never used ones first, then in configuration order.
	free := slices.DeleteFunc(slices.Clone(servers), func(s *server) bool { return s.cfg.Resolve.Target != "" })
	slices.SortStableFunc(free, func(x, y *server) int {
		return boolInt(x.state.admin.flagsNow()&admFQDNSet != 0) - boolInt(y.state.admin.flagsNow()&admFQDNSet != 0)
	})
	for i := len(recs) - 1; i >= 0 && len(free) > 0; i-- {
		rec := recs[i]
		k := key(rec.Target, rec.Port)
		if !rec.Addr.IsValid() || used[k] {
			continue
		}
		used[k] = true
		s := free[0]
		free = free[1:]
		logs = append(logs, b.moveLocked(s, rec.Addr, rec.Port, "DNS additional record", rec.Target)...)
		logs = append(logs, g.srvWeightLocked(s, rec)...)
	}
	return logs
}

// srvWeightLocked gives a server the weight of its SRV record, scaled
// as the reference does (weight/256 + 1), unless ignore-weight.
func (g *dnsGroup) srvWeightLocked(s *server, rec resolve.Service) []string {
	if g.res.IgnoreWeight {
		return nil
	}
	w := int(rec.Weight)/256 + 1
	if s.uweight == w {
		return nil
	}
	s.uweight = w
	a := &s.state.admin
	a.mu.Lock()
	a.uweight = w
	a.mu.Unlock()
	g.b.applyAdminLocked(s)
	return nil
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
