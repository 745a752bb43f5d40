package balance

// ring is HAProxy's consistent hashing (lb_chash.c): each server owns
// weight*16 points on a 32-bit ring at full_hash(id*4096 + i); a key goes to
// the nearest point (the previous one on a tie). Changing one server moves
// only the keys next to its points.
type ring struct {
	groups
	last *node // where chash_get_next_server resumes
}

func (r *ring) init() {
	b := r.b
	b.initDynamic()
	for _, s := range b.servers {
		s.ringOwner = r.tree(s)
		s.ring = make([]node, s.Weight*weightScale)
		for i := range s.ring {
			s.ring[i] = node{key: FullHash(uint32(s.ID*ewghtRange + i)), srv: s, serial: i}
		}
		s.ringNow = 0
		if s.currentlyUsable() {
			r.requeue(s)
		}
	}
}

// skip moves r.last off a node about to leave the ring.
func (r *ring) skip(t *tree, n *node) {
	if r.last != n {
		return
	}
	next := t.next(n)
	if next == nil {
		next = t.first()
	}
	if next == n {
		next = nil
	}
	r.last = next
}

// dequeueAll takes every point of s off the ring.
func (r *ring) dequeueAll(s *Server) {
	for s.ringNow > 0 {
		s.ringNow--
		n := &s.ring[s.ringNow]
		r.skip(s.ringOwner, n)
		s.ringOwner.remove(n)
	}
}

// requeue sets the number of points of s on the ring to its weight.
func (r *ring) requeue(s *Server) {
	for s.ringNow > s.nextEweight {
		s.ringNow--
		n := &s.ring[s.ringNow]
		r.skip(s.ringOwner, n)
		s.ringOwner.remove(n)
	}
	if len(s.ring) < s.nextEweight {
		r.dequeueAll(s)
		for i := len(s.ring); i < s.nextEweight; i++ {
			s.ring = append(s.ring, node{key: FullHash(uint32(s.ID*ewghtRange + i)), srv: s, serial: i})
		}
		// The slice may have moved: rebuild pointers by requeueing below.
	}
	for s.ringNow < s.nextEweight && s.ringNow < len(s.ring) {
		n := &s.ring[s.ringNow]
		r.skip(s.ringOwner, n)
		s.ringOwner.insert(n)
		s.ringNow++
	}
}

func (r *ring) down(s *Server) {
	if s.currentlyUsable() {
		r.b.countDown(s)
		r.dequeueAll(s)
	}
	r.b.updateWeight()
}

func (r *ring) up(s *Server) {
	if !s.currentlyUsable() {
		r.b.countUp(s)
		r.requeue(s)
	}
	r.b.updateWeight()
}

func (r *ring) reweight(s *Server) {
	r.requeue(s)
	r.reweightTotals(s)
	r.b.updateWeight()
}

func (r *ring) loadChanged(*Server) {}

// eligible is chash_server_is_eligible: bounded load with
// hash-balance-factor.
func (r *ring) eligible(s *Server) bool {
	b := r.b
	tot := uint((b.served+1)*b.cfg.HashBalanceFactor+99) / 100
	tw := uint(b.totWeight)
	per := tot / tw
	rem := tot % tw
	slots := uint(s.eweight) * per
	cw, ew := uint(s.cumWeight), uint(s.eweight)
	slots += ((cw+ew)*rem)/tw - (cw*rem)/tw
	if slots == 0 {
		slots = 1
	}
	return uint(s.served) < slots
}

// byHash is chash_get_server_hash.
func (r *ring) byHash(h uint32, avoid *Server) *Server {
	t, single := r.root()
	if t == nil {
		return single
	}
	next := t.lookupGE(h)
	if next == nil {
		next = t.first()
	}
	if next == nil {
		return nil
	}
	prev := t.prev(next)
	if prev == nil {
		prev = t.last()
	}
	dp := h - prev.key
	dn := next.key - h
	if dp <= dn {
		next = prev
	}
	srv := next.srv
	loops := 0
	for srv == avoid || (r.b.cfg.HashBalanceFactor > 0 && !r.eligible(srv)) {
		next = t.next(next)
		if next == nil {
			next = t.first()
			loops++
			if loops > 1 {
				break
			}
		}
		srv = next.srv
	}
	return srv
}

// pick is chash_get_next_server: walk the ring from the last point, used
// when a hash key is missing.
func (r *ring) pick(_ *Request, avoid *Server) (*Server, error) {
	t, single := r.root()
	if t == nil {
		if single == nil {
			return nil, ErrNoServer
		}
		return single, nil
	}
	n := r.last
	stop := n
	var avoided *Server
	var avoidedNode *node
	for {
		if n != nil {
			n = t.next(n)
		}
		if n == nil {
			n = t.first()
		}
		r.last = n
		if n == nil {
			return nil, ErrNoServer
		}
		if stop == nil {
			stop = n
		}
		s := n.srv
		if r.b.hasRoom(s) {
			if s != avoid {
				return s, nil
			}
			avoided, avoidedNode = s, n
		}
		if n == stop {
			break
		}
	}
	if avoided != nil {
		r.last = avoidedNode
		return avoided, nil
	}
	return nil, ErrFull
}
