package proxy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"fulcrum/proxy/peers"
	"fulcrum/proxy/stick"
)

// Engine hooks for stick-table replication: the local peer of each
// peers section runs a peers.Node over the tables that name the section.
// An in-process reload keeps the replicated tables (the new generation
// takes the old one's table when its definition is unchanged), which is
// what the reference achieves by teaching the new process through its
// local peer.

// handOverLimit bounds how long a stopping process waits for the next
// one to confirm it learned the tables.
const handOverLimit = 3 * time.Second

// peersState is the engine's running nodes.
type peersState struct {
	mu    sync.Mutex
	nodes []*peers.Node
}

// carryTables gives the new generation the current generation's
// replicated tables that it defines the same way.
func (e *Engine) carryTables(rt *runtime) {
	old := e.rt.Load()
	if old == nil {
		return
	}
	for name, t := range rt.tables {
		if t.Spec().Peers == "" {
			continue
		}
		if ot := old.tables[name]; ot != nil && ot.Spec() == t.Spec() {
			rt.tables[name] = ot
		}
	}
}

// startPeers starts the local peer of every section that has one.
func (e *Engine) startPeers(ctx context.Context, rt *runtime) error {
	e.peers.mu.Lock()
	defer e.peers.mu.Unlock()
	for _, ps := range rt.cfg.Peers {
		cfg, ok := e.peersConfig(ps, rt)
		if !ok {
			continue
		}
		n, err := peers.Start(ctx, cfg)
		if err != nil {
			return err
		}
		e.peers.nodes = append(e.peers.nodes, n)
	}
	return nil
}

// peersConfig is the node configuration of a section; false when this
// process is not one of its peers.
func (e *Engine) peersConfig(ps PeersSection, rt *runtime) (peers.Config, bool) {
	local := ps.Local
	if e.opts.LocalPeer != "" {
		local = e.opts.LocalPeer
	}
	cfg := peers.Config{Section: ps.Name, Local: local, Logf: func(format string, args ...any) {
		e.log(Warning, "", fmt.Sprintf(format, args...))
	}}
	found := false
	for _, p := range ps.Peers {
		if p.Name == local {
			found = true
			cfg.Listen = p.Addr
			continue
		}
		if p.Addr != "" {
			cfg.Remotes = append(cfg.Remotes, peers.Peer{Name: p.Name, Addr: p.Addr})
		}
	}
	if !found {
		return cfg, false
	}
	if cfg.Listen == "" {
		cfg.Listen = ps.Bind
	}
	for _, sp := range rt.cfg.Tables {
		if sp.Peers != ps.Name {
			continue
		}
		cfg.Tables = append(cfg.Tables, peers.Table{Name: wireTableName(ps.Name, sp), Table: rt.tables[sp.Name]})
	}
	return cfg, true
}

// wireTableName is the name a table has between peers: a backend's
// table has its proxy's name; a peers section's `table T` is "/T" (what
// the reference sends: its name without the section's).
func wireTableName(section string, sp stick.Spec) string {
	if n, ok := strings.CutPrefix(sp.Name, section); ok && strings.HasPrefix(n, "/") {
		return n
	}
	return sp.Name
}

// stopPeers closes every node; on a soft stop (soft), each first hands
// its tables over to the next process (see peers.Node.HandOver).
func (e *Engine) stopPeers(soft bool) {
	e.peers.mu.Lock()
	defer e.peers.mu.Unlock()
	for _, n := range e.peers.nodes {
		if soft {
			n.HandOver(handOverLimit)
		}
		n.Close()
	}
	e.peers.nodes = nil
}

// restartPeers runs the new generation's nodes after a reload.
func (e *Engine) restartPeers(rt *runtime) error {
	e.stopPeers(false)
	if e.ctx == nil {
		return nil // not started: Start will start them
	}
	return e.startPeers(e.ctx, rt)
}
