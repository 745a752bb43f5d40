package balance

// fwrr is HAProxy's fast weighted round robin (lb_fwrr.c): servers move
// through a "current" tree ordered by their next position in the weight
// window, and wait in "init"/"next" trees (ordered by inverted weight) for
// the next window. Weights are dynamic: a server's weight may change and it
// finds a new place without a full recomputation.
type fwrr struct {
	b        *Balancer
	act, bck fwrrGroup
}

type fwrrGroup struct {
	curr       tree
	t0, t1     tree
	init, next *tree
	currPos    int
	currWeight int
	nextWeight int
}

func (f *fwrr) group(s *Server) *fwrrGroup {
	if s.Backup {
		return &f.bck
	}
	return &f.act
}

func (f *fwrr) init() {
	b := f.b
	b.wdiv = weightScale
	b.setEweights()
	b.recount()
	b.updateWeight()
	for _, g := range []*fwrrGroup{&f.act, &f.bck} {
		g.init, g.next = &g.t0, &g.t1
	}
	f.act.currPos, f.act.currWeight, f.act.nextWeight = b.totWact, b.totWact, b.totWact
	f.bck.currPos, f.bck.currWeight, f.bck.nextWeight = b.totWbck, b.totWbck, b.totWbck
	for _, s := range b.servers {
		s.lb.srv = s
		if s.currentlyUsable() {
			f.queueByWeight(f.group(s).init, s)
		}
	}
}

// queueByWeight puts s in an init/next tree, heaviest first.
func (f *fwrr) queueByWeight(t *tree, s *Server) {
	s.lb.key = uint32(ewghtMax - s.nextEweight)
	t.insert(&s.lb)
	s.lbTree = t
}

func (f *fwrr) dequeue(s *Server) {
	if s.lb.in != nil {
		s.lb.in.remove(&s.lb)
	}
}

func (f *fwrr) down(s *Server) {
	b := f.b
	if s.currentlyUsable() {
		g := f.group(s)
		g.nextWeight -= s.eweight
		b.countDown(s)
		if s.Backup {
			b.totWbck = g.nextWeight
		} else {
			b.totWact = g.nextWeight
		}
		f.dequeue(s)
		s.lbTree = nil
	}
	b.updateWeight()
}

func (f *fwrr) up(s *Server) {
	b := f.b
	if !s.currentlyUsable() {
		g := f.group(s)
		g.nextWeight += s.nextEweight
		b.countUp(s)
		if s.Backup {
			b.totWbck = g.nextWeight
		} else {
			b.totWact = g.nextWeight
		}
		f.getSrv(s)
		s.npos = g.currPos + (g.nextWeight+g.currWeight-g.currPos)/s.nextEweight
		f.queueSrv(s)
	}
	b.updateWeight()
}

func (f *fwrr) reweight(s *Server) {
	b := f.b
	g := f.group(s)
	g.nextWeight = g.nextWeight - s.eweight + s.nextEweight
	b.totWact, b.totWbck = f.act.nextWeight, f.bck.nextWeight
	switch {
	case s.lbTree == g.init:
		f.dequeue(s)
		f.queueByWeight(g.init, s)
	case s.lbTree == nil:
		f.dequeue(s)
		f.getSrv(s)
		s.npos = g.currPos + (g.nextWeight+g.currWeight-g.currPos)/s.nextEweight
		f.queueSrv(s)
	default:
		// Still in the current or next tree: keep its progress in the
		// window but move its next position to match the new weight.
		f.getSrv(s)
		if s.nextEweight > 0 {
			prev := s.npos
			step := g.nextWeight / s.nextEweight
			s.npos = s.lpos + step
			s.rweight = 0
			if s.npos > prev {
				s.npos = prev
			}
			if s.npos < g.currPos+2 {
				s.npos = g.currPos + step
			}
		} else {
			s.npos = g.currPos + g.currWeight
		}
		f.dequeue(s)
		f.queueSrv(s)
	}
	b.updateWeight()
}

func (f *fwrr) loadChanged(*Server) {}

// queueSrv places s in the current tree at its next position, or in the
// next tree when that position falls outside the window.
func (f *fwrr) queueSrv(s *Server) {
	g := f.group(s)
	switch {
	case !s.willBeUsable():
		s.lbTree = nil
	case s.nextEweight <= 0 || s.npos >= 2*g.currWeight || s.npos >= g.currWeight+g.nextWeight:
		s.npos -= g.currWeight
		f.queueByWeight(g.next, s)
	default:
		// Key in units of npos*user weight so heavy servers sort first
		// among equal positions.
		s.lb.key = uint32(uwghtRange*s.npos + (ewghtMax+s.rweight-s.nextEweight)/weightScale)
		g.curr.insert(&s.lb)
		s.lbTree = &g.curr
	}
}

// getSrv prepares s for leaving its tree.
func (f *fwrr) getSrv(s *Server) {
	g := f.group(s)
	switch s.lbTree {
	case g.init:
		s.npos, s.rweight = 0, 0
	case g.next:
		s.npos += g.currWeight
	case nil:
		s.npos = g.currPos
	}
}

func (f *fwrr) switchTrees(g *fwrrGroup) {
	g.init, g.next = g.next, g.init
	g.currWeight = g.nextWeight
	g.currPos = g.currWeight
}

// fromGroup returns the next server of the current tree, or one from the
// init tree when the current one has a hole at this position.
func (f *fwrr) fromGroup(g *fwrrGroup) *Server {
	var s1 *Server
	if n := g.curr.first(); n != nil {
		s1 = n.srv
		if s1.eweight > 0 && s1.npos <= g.currPos {
			return s1
		}
	}
	if n := g.init.first(); n != nil {
		s2 := n.srv
		if s2.eweight > 0 {
			s2.npos, s2.rweight = 0, 0
			return s2
		}
	}
	return s1
}

func (f *fwrr) updatePosition(g *fwrrGroup, s *Server) {
	ew := s.eweight
	if ew == 0 {
		return
	}
	if s.npos == 0 {
		s.npos = g.currPos
	}
	s.lpos = s.npos
	s.npos += g.nextWeight / ew
	s.rweight += g.nextWeight % ew
	if s.rweight >= ew {
		s.rweight -= ew
		s.npos++
	}
}

func (f *fwrr) pick(_ *Request, avoid *Server) (*Server, error) {
	b := f.b
	var g *fwrrGroup
	switch {
	case b.srvAct > 0:
		g = &f.act
	case b.fbck != nil:
		return b.fbck, nil
	case b.srvBck > 0:
		g = &f.bck
	default:
		return nil, ErrNoServer
	}
	var srv, full, avoided *Server
	switched, take := false, false
search:
	for {
		if g.currWeight == 0 {
			g.currPos, g.currWeight = g.nextWeight, g.nextWeight
		}
		for {
			srv = f.fromGroup(g)
			if srv != nil {
				break
			}
			if switched {
				// Both windows exhausted: settle for the avoided
				// server, or report every server as full.
				if avoided != nil {
					srv, take = avoided, true
				}
				break search
			}
			switched = true
			f.switchTrees(g)
		}
		// The server may be saturated: its position is consumed anyway
		// and it is requeued after the pick.
		f.updatePosition(g, srv)
		f.dequeue(srv)
		g.currPos++
		if b.hasRoom(srv) {
			if srv != avoid || avoided != nil {
				take = true
				break
			}
			avoided = srv
		}
		srv.nextFull = full
		full = srv
	}
	if take {
		f.queueSrv(srv)
	}
	for full != nil {
		n := full.nextFull
		full.nextFull = nil
		if full != srv {
			if switched {
				// Their place in the old window is lost: only
				// their weight matters now.
				f.queueByWeight(g.init, full)
			} else {
				f.queueSrv(full)
			}
		}
		full = n
	}
	if srv == nil {
		return nil, ErrFull
	}
	return srv, nil
}
