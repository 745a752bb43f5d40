package balance

// fwlc is HAProxy's fast weighted least connections (lb_fwlc.c): servers
// sit in a tree keyed by (inflight+1)/weight, idle ones at key 0; a server
// moves to the end of its key's run whenever its load changes.
type fwlc struct{ groups }

func (l *fwlc) init() {
	l.b.initDynamic()
	for _, s := range l.b.servers {
		s.lb.srv = s
		if s.currentlyUsable() {
			s.lbTree = l.tree(s)
			s.lb.key = lcKey(s, s.nextEweight)
			s.lbTree.insert(&s.lb)
		}
	}
}

func lcKey(s *Server, eweight int) uint32 {
	inflight := s.served + s.queued
	if inflight == 0 {
		return 0
	}
	return uint32((inflight + 1) * ewghtMax / max(eweight, 1))
}

func (l *fwlc) loadChanged(s *Server) {
	if s.lbTree == nil {
		return
	}
	key := lcKey(s, s.eweight)
	if s.lb.in != nil && s.eweight > 0 && s.lb.key == key {
		return
	}
	s.lbTree.remove(&s.lb)
	s.lb.key = key
	s.lbTree.insert(&s.lb)
}

func (l *fwlc) down(s *Server) { l.removeDown(s) }
func (l *fwlc) up(s *Server)   { l.insertUp(s, lcKey(s, s.nextEweight)) }

func (l *fwlc) reweight(s *Server) {
	if s.lbTree != nil {
		s.lbTree.remove(&s.lb)
	}
	l.reweightTotals(s)
	s.lbTree = l.tree(s)
	s.lb.key = lcKey(s, s.nextEweight)
	s.lbTree.insert(&s.lb)
	l.b.updateWeight()
}

// pick takes the least loaded server; leastconn also accepts servers whose
// queue still has room (they are queued on, not skipped).
func (l *fwlc) pick(_ *Request, avoid *Server) (*Server, error) {
	b := l.b
	return l.firstFit(avoid, func(s *Server) bool {
		return s.MaxConn == 0 || s.served+s.queued < b.dynMaxConn(s)+s.MaxQueue
	})
}
