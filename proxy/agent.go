package proxy

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
)

// AgentCheck is a server's `agent-check` with its agent-* options.
type AgentCheck struct {
	Addr  netip.Addr    // agent-addr (invalid = the server's address)
	Port  uint16        // agent-port
	Inter time.Duration // agent-inter (0 = 2s)
	Send  string        // agent-send
}

// agentState is what a server's agent said, kept over reloads with the
// rest of its state.
type agentState struct {
	down atomic.Bool // the agent's last health word was down/stopped/fail
	// warned holds the reply words Fulcrum does not act on yet and has
	// already warned about, per server.
	warned sync.Map
}

// checkChanged applies a health check's state change: a server the
// agent reported down stays down (check_notify_success).
func (b *backend) checkChanged(s *server, up bool, r *check.Result) {
	if up && s.cfg.Agent != nil && s.state.agent.down.Load() {
		return
	}
	b.setServerUp(s, up, r)
}

// checkUp tells whether the server's own health check lets it be up.
func checkUp(s *server) bool {
	h := s.state.health.Load()
	return !s.cfg.Check || h < 0 || int(h) >= s.cfg.Rise
}

// startAgents runs the agent check of every `agent-check` server of rt
// until ctx ends. HAProxy spreads the first agent checks as the health
// checks: agent n of N starts after inter*n/N.
func (e *Engine) startAgents(ctx context.Context, rt *runtime) {
	type job struct {
		b *backend
		s *server
	}
	var jobs []job
	for _, bc := range rt.cfg.Backends {
		b := rt.backends[bc.Name]
		for _, s := range b.servers {
			if s.cfg.Agent != nil {
				jobs = append(jobs, job{b, s})
			}
		}
	}
	for i, j := range jobs {
		b, s, ac := j.b, j.s, j.s.cfg.Agent
		t := b.checkTarget(s)
		addr := s.cfg.Addr.Addr()
		if ac.Addr.IsValid() {
			addr = ac.Addr
		}
		t.Addr = netip.AddrPortFrom(addr, ac.Port)
		t.Inter = ac.Inter
		if t.Inter <= 0 {
			t.Inter = 2 * time.Second
		}
		t.FastInter, t.DownInter, t.Rise, t.Fall = t.Inter, t.Inter, 1, 1
		if b.cfg.TimeoutCheck <= 0 {
			t.Timeout = t.Inter
		}
		a := check.NewAgent(t, ac.Send)
		first := t.Inter * time.Duration(i) / time.Duration(len(jobs))
		go a.Run(ctx, first, func(r check.AgentResult) { b.agentReport(s, r) })
	}
}

// agentReport applies an agent's reply in HAProxy's order: the admin
// state, the weight, maxconn, then the health.
func (b *backend) agentReport(s *server, r check.AgentResult) {
	if !r.Replied {
		// A failure to reach the agent never marks the server down.
		return
	}
	rep := r.Reply
	if rep.Admin != "" {
		b.notActedOn(s, "'"+strings.ToLower(rep.Admin)+"'")
	}
	warn := ""
	if rep.Weight != "" {
		w, msg := check.AgentWeight(rep.Weight, s.cfg.Weight, lbStatic(b.cfg.Balance))
		if warn = msg; msg == "" {
			b.engine.SetServerWeight(b.cfg.Name, s.cfg.Name, w)
		}
	}
	if rep.MaxConn != "" {
		if _, msg := check.AgentMaxConn(rep.MaxConn); msg != "" {
			warn = cmp.Or(warn, msg)
		} else {
			b.notActedOn(s, "'maxconn:'")
		}
	}
	if rep.Health == "" {
		return
	}
	res := r.Result
	res.Status, res.Info = rep.HealthStatus(), rep.HealthText(warn)
	if res.Status == check.L7OK {
		s.state.agent.down.Store(false)
		if checkUp(s) {
			b.setServerUp(s, true, &res)
		}
		return
	}
	s.state.agent.down.Store(true)
	b.setServerUp(s, false, &res)
}

// notActedOn warns once per server about an agent reply word Fulcrum
// reads but does not apply yet.
func (b *backend) notActedOn(s *server, word string) {
	if _, done := s.state.agent.warned.LoadOrStore(word, true); done {
		return
	}
	b.engine.log(Warning, fmt.Sprintf("Agent of server %s replied %s, which Fulcrum does not act on yet.", s.id(), word))
}

// lbStatic tells whether a backend's algorithm takes no weight change
// at run time (static-rr, and map-based hashing).
func lbStatic(c balance.Config) bool {
	switch c.Algo {
	case balance.StaticRR:
		return true
	case balance.RoundRobin, balance.LeastConn, balance.First, balance.Random:
		return false
	}
	return !c.Consistent
}
