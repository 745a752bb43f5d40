package balance

// random is HAProxy's "random(draws)": draw points on the consistent ring
// and keep the least loaded of the drawn servers (power of two choices by
// default).
type random struct {
	ring
	state uint32
}

func (r *random) init() {
	r.ring.init()
	r.state = r.b.cfg.Seed
	if r.state == 0 {
		r.state = 2463534242
	}
}

// next is the xorshift32 generator HAProxy's statistical_prng uses.
func (r *random) next() uint32 {
	x := r.state
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	r.state = x
	return x
}

func (r *random) pick(_ *Request, avoid *Server) (*Server, error) {
	draws := r.b.cfg.Draws
	if draws <= 0 {
		draws = 2
	}
	var curr *Server
	for ; draws > 0; draws-- {
		prev := curr
		curr = r.byHash(r.next(), avoid)
		if curr == nil {
			break
		}
		if prev != nil && prev != curr && curr.served*prev.eweight > prev.served*curr.eweight {
			curr = prev
		}
	}
	if curr != nil && (curr.queued > 0 || (curr.MaxConn > 0 && curr.served >= r.b.dynMaxConn(curr))) {
		return nil, ErrFull
	}
	if curr == nil {
		return nil, ErrNoServer
	}
	return curr, nil
}
