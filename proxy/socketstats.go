package proxy

import (
	"net/netip"
	"strconv"
	"time"

	"fulcrum/proxy/stats"
)

// Option socket-stats: the statistics get one row per listening socket
// of the frontend, right after its FRONTEND row (type 3, svname the
// bind's name or "sock-<id>"), with the counters of the connections that
// socket accepted. Every listener keeps these counters (Bind.counters,
// set by syncListeners); the option only shows them.

// socketStat is one listening socket of a frontend as the statistics
// name it.
type socketStat struct {
	key  string // the socket's key in Engine.listeners
	bind Bind
	id   int // the listener id: the bind's `id`, else the next free one
	port uint16
}

// socketStats lists fc's sockets in configuration order with their ids:
// the reference numbers its listeners from 1, skipping the ids binds set
// explicitly (only the first socket of a bind line takes its `id`).
func socketStats(cfg *Config, fc *Frontend) []socketStat {
	var out []socketStat
	used := map[int]bool{}
	firstOf := map[int]bool{} // binds whose first socket was seen
	port := map[int]uint16{}  // next port of a range, by bind index
	for i, b := range fc.Binds {
		port[i] = b.Addr.PortLow
	}
	eachSocket(cfg, func(key string, f *Frontend, b Bind) {
		if f != fc {
			return
		}
		i := bindIndex(fc, b)
		s := socketStat{key: key, bind: b, port: port[i]}
		port[i]++
		if b.ID > 0 && !firstOf[i] {
			s.id = b.ID
			used[b.ID] = true
		}
		firstOf[i] = true
		out = append(out, s)
	})
	next := 1
	for i := range out {
		if out[i].id != 0 {
			continue
		}
		for used[next] {
			next++
		}
		out[i].id = next
		used[next] = true
	}
	return out
}

// bindIndex finds b among fc's binds (eachSocket passes copies).
func bindIndex(fc *Frontend, b Bind) int {
	for i := range fc.Binds {
		if fc.Binds[i].Where == b.Where && fc.Binds[i].Addr == b.Addr {
			return i
		}
	}
	return -1
}

// listenerRows returns the rows of f's listeners under option
// socket-stats, none without it.
func (e *Engine) listenerRows(rt *runtime, f *frontend, iid int, now time.Time) []stats.Row {
	if !f.cfg.SocketStats {
		return nil
	}
	var out []stats.Row
	for _, s := range socketStats(rt.cfg, f.cfg) {
		c := &Counters{} // a socket not open (yet) counted nothing
		e.mu.Lock()
		if l := e.listeners[s.key]; l != nil {
			c = &l.counters
		}
		e.mu.Unlock()
		name := s.bind.Name
		if name == "" {
			name = "sock-" + strconv.Itoa(s.id)
		}
		out = append(out, listenerRow(f, s, name, iid, c, now))
	}
	return out
}

func listenerRow(f *frontend, s socketStat, name string, iid int, c *Counters, now time.Time) stats.Row {
	var r stats.Row
	commonRow(&r, stats.Frontend, f.cfg.Name, name, iid, s.id, c, now)
	r.Type = stats.Listener
	r.Set(stats.Type, stats.U32(3))
	r.Set(stats.Rate, stats.Value{})
	r.Set(stats.RateMax, stats.Value{})
	r.Set(stats.Slim, stats.U32(int64(s.bind.MaxConn)))
	// Unlike the frontend's, a listener's stot counts the connections
	// tcp-request connection rules refused too.
	dcon := c.DeniedConns.Load()
	r.Set(stats.Dreq, stats.U64(c.Denied.Load()-dcon))
	r.Set(stats.Ereq, stats.U64(c.ReqErrors.Load()))
	r.Set(stats.Dcon, stats.U64(dcon))
	r.Set(stats.Dses, stats.U64(0))
	status := "OPEN"
	switch {
	case s.bind.MaxConn > 0 && c.Cur.Load() >= int64(s.bind.MaxConn):
		status = "FULL"
	case f.cfg.MaxConn > 0 && f.counters.Cur.Load() >= int64(f.cfg.MaxConn) && f.limitedBy.Load() == c:
		status = "WAITING" // held back by the frontend's limit (noteLimited)
	}
	r.Set(stats.Status, stats.Str(status))
	if a := listenerAddr(s.bind.Addr, s.port); a != "" {
		r.Set(stats.Addr, stats.Str(a))
	}
	r.Set(stats.Mode, stats.Str(modeName(f.cfg.Mode)))
	return r
}

// listenerAddr is a listener's addr field as the reference prints it:
// address:port, IPv6 addresses in brackets, "unix" for unix sockets.
func listenerAddr(a ListenAddr, port uint16) string {
	switch a.Family {
	case FamilyAny, FamilyIPv4, FamilyIPv6:
	case FamilyUnix, FamilyABNS:
		return "unix"
	default:
		return ""
	}
	host := a.Host
	if !host.IsValid() {
		host = netip.IPv4Unspecified()
		if a.Family == FamilyIPv6 {
			host = netip.IPv6Unspecified()
		}
	}
	return netip.AddrPortFrom(host, port).String()
}

// listenerCounters is the counters of the listener that accepted the
// connection (nil when unknown), which count along with its frontend's.
func (c *liveConn) listenerCounters() *Counters {
	if c == nil {
		return nil
	}
	return c.li
}

// countListener applies count to the connection's listener counters,
// when known.
func (c *liveConn) countListener(count func(*Counters)) {
	if c != nil && c.li != nil {
		count(c.li)
	}
}

// openListener counts a connection li accepted for fe: scur, smax and
// stot (a listener row has no rates, so no clock is read). When the
// connection filled the frontend's maxconn, li is the listener it holds
// back: the reference marks that one limited (WAITING) as it accepts,
// the others only once they try to accept.
func openListener(fe *frontend, li *Counters) {
	n := li.Cur.Add(1)
	li.Total.Add(1)
	for m := li.Max.Load(); n > m && !li.Max.CompareAndSwap(m, n); m = li.Max.Load() {
	}
	if m := fe.cfg.MaxConn; m > 0 && fe.counters.Cur.Load() >= int64(m) {
		fe.limitedBy.Store(li)
	}
}

// listenerCounters are the counters of every open listener (for `clear
// counters`).
func (e *Engine) listenerCounters() []*Counters {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Counters, 0, len(e.listeners))
	for _, l := range e.listeners {
		out = append(out, &l.counters)
	}
	return out
}
