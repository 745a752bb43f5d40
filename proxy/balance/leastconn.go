package balance

// fwlc is HAProxy's fast weighted least connections (lb_fwlc.c): servers
// sit in a tree keyed by (inflight+1)/weight, idle ones at key 0; a server
// moves to the end of its key's run whenever its load changes.
type fwlc struct {
	b        *Balancer
	act, bck tree
}

func (l *fwlc) tree(s *Server) *tree {
	if s.Backup {
		return &l.bck
	}
	return &l.act
}

func (l *fwlc) init() {
	b := l.b
	b.wdiv = weightScale
	b.setEweights()
	b.recount()
	b.updateWeight()
	for _, s := range b.servers {
		s.lb.srv = s
		if s.currentlyUsable() {
			s.lbTree = l.tree(s)
			l.queue(s, s.nextEweight)
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

func (l *fwlc) queue(s *Server, eweight int) {
	s.lb.key = lcKey(s, eweight)
	s.lbTree.insert(&s.lb)
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

func (l *fwlc) down(s *Server) {
	if s.currentlyUsable() {
		l.b.countDown(s)
		if s.lbTree != nil {
			s.lbTree.remove(&s.lb)
		}
		s.lbTree = nil
	}
	l.b.updateWeight()
}

func (l *fwlc) up(s *Server) {
	if !s.currentlyUsable() {
		s.lbTree = l.tree(s)
		l.b.countUp(s)
		l.queue(s, s.nextEweight)
	}
	l.b.updateWeight()
}

func (l *fwlc) reweight(s *Server) {
	if s.lbTree != nil {
		s.lbTree.remove(&s.lb)
	}
	if s.Backup {
		l.b.totWbck += s.nextEweight - s.eweight
	} else {
		l.b.totWact += s.nextEweight - s.eweight
	}
	s.lbTree = l.tree(s)
	l.queue(s, s.nextEweight)
	l.b.updateWeight()
}

func (l *fwlc) pick(_ *Request, avoid *Server) (*Server, error) {
	b := l.b
	var t *tree
	switch {
	case b.srvAct > 0:
		t = &l.act
	case b.fbck != nil:
		return b.fbck, nil
	case b.srvBck > 0:
		t = &l.bck
	default:
		return nil, ErrNoServer
	}
	var avoided *Server
	for _, n := range t.nodes {
		s := n.srv
		// leastconn also accepts servers whose queue still has room.
		if s.MaxConn == 0 || s.served+s.queued < b.dynMaxConn(s)+s.MaxQueue {
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
