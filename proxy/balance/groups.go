package balance

// groups are the active and backup trees the tree-based algorithms
// (leastconn, first, consistent hashing) keep their servers in.
type groups struct {
	b        *Balancer
	act, bck tree
}

func (g *groups) tree(s *Server) *tree {
	if s.Backup {
		return &g.bck
	}
	return &g.act
}

// initDynamic is the common start of the dynamic-weight algorithms:
// effective weights scaled by 16, counters computed.
func (b *Balancer) initDynamic() {
	b.wdiv = weightScale
	b.setEweights()
	b.recount()
	b.updateWeight()
}

// root returns the tree to pick from: the active one, the backup one, or
// no tree but the single first backup server (without allbackups).
func (g *groups) root() (*tree, *Server) {
	b := g.b
	switch {
	case b.srvAct > 0:
		return &g.act, nil
	case b.fbck != nil:
		return nil, b.fbck
	case b.srvBck > 0:
		return &g.bck, nil
	}
	return nil, nil
}

// insertUp puts a server that becomes usable into its tree at key.
func (g *groups) insertUp(s *Server, key uint32) {
	if !s.currentlyUsable() {
		s.lbTree = g.tree(s)
		g.b.countUp(s)
		s.lb.key = key
		s.lbTree.insert(&s.lb)
	}
	g.b.updateWeight()
}

// removeDown takes a server that stops being usable out of its tree.
func (g *groups) removeDown(s *Server) {
	if s.currentlyUsable() {
		g.b.countDown(s)
		if s.lbTree != nil {
			s.lbTree.remove(&s.lb)
		}
		s.lbTree = nil
	}
	g.b.updateWeight()
}

// reweightTotals applies a weight change of s to the group totals.
func (g *groups) reweightTotals(s *Server) {
	if s.Backup {
		g.b.totWbck += s.nextEweight - s.eweight
	} else {
		g.b.totWact += s.nextEweight - s.eweight
	}
}

// firstFit walks the tree in order for the first server that fits and is
// not avoid; the avoided server is the last resort.
func (g *groups) firstFit(avoid *Server, fits func(*Server) bool) (*Server, error) {
	t, single := g.root()
	if t == nil {
		if single == nil {
			return nil, ErrNoServer
		}
		return single, nil
	}
	var avoided *Server
	for _, n := range t.nodes {
		if s := n.srv; fits(s) {
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
