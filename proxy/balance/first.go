package balance

// firstLB is HAProxy's "first" (lb_fas.c): the usable server with the
// lowest id that still has a free connection slot.
type firstLB struct{ groups }

func (f *firstLB) init() {
	f.b.initDynamic()
	for _, s := range f.b.servers {
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

func (f *firstLB) down(s *Server) { f.removeDown(s) }
func (f *firstLB) up(s *Server)   { f.insertUp(s, uint32(s.ID)) }

func (f *firstLB) reweight(s *Server) {
	f.reweightTotals(s)
	f.loadChanged(s)
	f.b.updateWeight()
}

func (f *firstLB) pick(_ *Request, avoid *Server) (*Server, error) {
	return f.firstFit(avoid, f.b.hasRoom)
}
