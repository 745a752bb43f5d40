package balance

// mapLB is HAProxy's lb_map: a table of tot_weight slots filled so that
// each server appears as often as its weight, spread evenly. static-rr walks
// it in order; map-based hashing indexes it with hash % tot_weight. Weights
// are static: a change rebuilds the whole table.
type mapLB struct {
	b     *Balancer
	slots []*Server
	rrIdx int
}

func (m *mapLB) init() {
	b := m.b
	// Effective weight = user weight divided by the weights' GCD, so the
	// table is as short as possible.
	gcd := 1
	i := 0
	for i < len(b.servers) && b.servers[i].Weight == 0 {
		i++
	}
	if i < len(b.servers) {
		gcd = b.servers[i].Weight
		for _, s := range b.servers[i+1:] {
			if gcd <= 1 {
				break
			}
			w := s.Weight
			for w != 0 {
				gcd, w = w, gcd%w
			}
		}
	}
	b.wmult = gcd
	b.setEweights()
	for _, s := range b.servers {
		s.lb.srv = s
	}
	b.recount()
	b.updateWeight()
	m.recalc()
}

// recalc is HAProxy's recalc_server_map.
func (m *mapLB) recalc() {
	b := m.b
	if b.totUsed == 0 {
		return
	}
	tot := b.totWeight
	backup := b.srvAct == 0
	m.slots = make([]*Server, tot)
	for _, s := range b.servers {
		s.wscore = 0
	}
	for o := 0; o < tot; o++ {
		var best *Server
		maxv := 0
		for _, s := range b.servers {
			if s.Backup != backup || !s.willBeUsable() {
				continue
			}
			if tot == 1 {
				best = s
				break
			}
			s.wscore += s.nextEweight
			v := (s.wscore + tot) / tot // between 0 and 3
			if best == nil || v > maxv {
				maxv, best = v, s
			}
		}
		m.slots[o] = best
		if best != nil {
			best.wscore -= tot
		}
	}
}

func (m *mapLB) rebuild() {
	m.b.recount()
	m.b.updateWeight()
	m.recalc()
}

func (m *mapLB) up(*Server)          { m.rebuild() }
func (m *mapLB) down(*Server)        { m.rebuild() }
func (m *mapLB) reweight(*Server)    { m.rebuild() }
func (m *mapLB) loadChanged(*Server) {}

// pick walks the table from the last position, skipping saturated servers
// and, if it can, the one to avoid.
func (m *mapLB) pick(_ *Request, avoid *Server) (*Server, error) {
	b := m.b
	if b.totWeight == 0 {
		return nil, ErrNoServer
	}
	if m.rrIdx < 0 || m.rrIdx >= b.totWeight {
		m.rrIdx = 0
	}
	idx := m.rrIdx
	var avoided *Server
	avoidIdx := 0
	for {
		s := m.slots[idx]
		idx++
		if s != nil && b.hasRoom(s) {
			avoided, avoidIdx = s, idx
			if s != avoid {
				m.rrIdx = idx
				return s, nil
			}
		}
		if idx == b.totWeight {
			idx = 0
		}
		if idx == m.rrIdx {
			break
		}
	}
	if avoided != nil {
		m.rrIdx = avoidIdx
		return avoided, nil
	}
	return nil, ErrFull
}

// byHash is map_get_server_hash.
func (m *mapLB) byHash(h uint32, _ *Server) *Server {
	if m.b.totWeight == 0 {
		return nil
	}
	return m.slots[h%uint32(m.b.totWeight)]
}
