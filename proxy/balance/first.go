package balance

// firstLB is HAProxy's "first" (lb_fas.c): the usable server with the
// lowest id that still has a free connection slot.
type firstLB struct {
	b        *Balancer
	act, bck tree
}

func (f *firstLB) tree(s *Server) *tree {
	if s.Backup {
		return &f.bck
	}
	return &f.act
}

func (f *firstLB) init() {
	b := f.b
	b.wdiv = weightScale
	b.setEweights()
	b.recount()
	b.updateWeight()
	for _, s := range b.servers {
		s.lb.srv = s
		s.lb.key = uint32(s.ID)
		if s.currentlyUsable() {
			s.lbTree = f.tree(s)
			s.lbTree.insert(&s.lb)
		}
	}
}

// loadChanged requeues the server at its id, as fas_srv_reposition does
// (which moves it after other servers sharing the id, none in practice).
func (f *firstLB) loadChanged(s *Server) {
	if s.lbTree != nil {
		s.lbTree.remove(&s.lb)
		s.lbTree.insert(&s.lb)
	}
}

func (f *firstLB) down(s *Server) {
	if s.currentlyUsable() {
		f.b.countDown(s)
		if s.lbTree != nil {
			s.lbTree.remove(&s.lb)
		}
		s.lbTree = nil
	}
	f.b.updateWeight()
}

func (f *firstLB) up(s *Server) {
	if !s.currentlyUsable() {
		s.lbTree = f.tree(s)
		f.b.countUp(s)
		s.lbTree.insert(&s.lb)
	}
	f.b.updateWeight()
}

func (f *firstLB) reweight(s *Server) {
	if s.Backup {
		f.b.totWbck += s.nextEweight - s.eweight
	} else {
		f.b.totWact += s.nextEweight - s.eweight
	}
	f.loadChanged(s)
	f.b.updateWeight()
}

func (f *firstLB) pick(_ *Request, avoid *Server) (*Server, error) {
	b := f.b
	var t *tree
	switch {
	case b.srvAct > 0:
		t = &f.act
	case b.fbck != nil:
		return b.fbck, nil
	case b.srvBck > 0:
		t = &f.bck
	default:
		return nil, ErrNoServer
	}
	var avoided *Server
	for _, n := range t.nodes {
		s := n.srv
		if b.hasRoom(s) {
			if s != avoid {
				return s, nil
			}
			avoided = s
		}
	}
	if avoided != nil {
		return avoided, nil
	}
	return nil, ErrFull
}
