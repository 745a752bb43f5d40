package proxy

import (
	"cmp"
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/check"
	"fulcrum/proxy/stats"
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
	off  atomic.Bool // `disable agent` (Runtime API): replies are ignored

	mu   sync.Mutex
	last agentLast // for the statistics (agentStats)
}

// agentLast is the agent check's last status as HAProxy's statistics
// show it: status name, code, duration and info text ("desc").
type agentLast struct {
	status, desc, info string
	code               int
	hasCode            bool
	duration           time.Duration
}

// note records an agent check's outcome for the statistics.
func (a *agentState) note(r check.AgentResult, info string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := agentLast{status: checkStatusNames[r.Status], desc: checkDescs[r.Status], info: info, duration: r.Duration}
	switch {
	case !r.Replied && r.Info == check.AgentIncomplete:
		// HAProxy keeps the status and changes the text only.
		l.status, l.desc, l.code, l.hasCode = a.last.status, a.last.desc, a.last.code, a.last.hasCode
	case r.Replied && r.Reply.Health == "":
		l.status, l.desc = "CHECKED", "No status change"
	case r.Status == check.L7OK || r.Status == check.L7STS:
		l.code, l.hasCode = r.Code, true
	}
	a.last = l
}

// agentStats fills the agent columns of a server's statistics.
func agentStats(r *stats.Row, a *agentState) {
	a.mu.Lock()
	l := a.last
	a.mu.Unlock()
	if l.status == "" {
		l.status, l.desc = "INI", "Initializing"
	}
	r.Set(stats.AgentStatus, stats.Str(l.status))
	if l.hasCode {
		r.Set(stats.AgentCode, stats.U32(int64(l.code)))
	}
	r.Set(stats.AgentDuration, stats.U64(l.duration.Milliseconds()))
	r.Set(stats.AgentDesc, stats.Str(l.desc))
	r.Set(stats.LastAgt, stats.Str(l.info))
	health := int64(1)
	if a.down.Load() {
		health = 0
	}
	r.Set(stats.AgentRise, stats.U32(1))
	r.Set(stats.AgentFall, stats.U32(1))
	r.Set(stats.AgentHealth, stats.U32(health))
}

// checkChanged applies a health check's state change: a server the
// agent reported down stays down (check_notify_success).
func (b *backend) checkChanged(s *server, up bool, r *check.Result) {
	if up && s.cfg.Agent != nil && !s.state.agent.off.Load() && s.state.agent.down.Load() {
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
		t.Current = func() netip.AddrPort {
			addr := s.addr().Addr()
			if ac.Addr.IsValid() {
				addr = ac.Addr
			}
			return netip.AddrPortFrom(addr, ac.Port)
		}
		t.Addr = t.Current()
		t.Inter = ac.Inter
		if t.Inter <= 0 {
			t.Inter = 2 * time.Second
		}
		// The agent's own rise and fall are 1; check-send-proxy is for the
		// health check only. Timeout: timeout check, else the agent's inter.
		t.FastInter, t.DownInter, t.Rise, t.Fall, t.SendProxy = t.Inter, t.Inter, 1, 1, false
		a := check.NewAgent(rt.cfg.SpreadChecks.target(t), ac.Send)
		first := t.Inter * time.Duration(i) / time.Duration(len(jobs))
		go a.Run(ctx, first, func(r check.AgentResult) { b.agentReport(s, r) })
	}
}

// agentAdmin are the admin words of an agent reply.
var agentAdmin = map[string]AdminState{"ready": AdminReady, "drain": AdminDrain, "maint": AdminMaint}

// agentReport applies an agent's reply in HAProxy's order: the admin
// state, the weight, maxconn, then the health.
func (b *backend) agentReport(s *server, r check.AgentResult) {
	if s.state.agent.off.Load() {
		return
	}
	if !r.Replied {
		// A failure to reach the agent never marks the server down.
		s.state.agent.note(r, r.Info)
		return
	}
	e, be, name := b.engine, b.cfg.Name, s.cfg.Name
	rep := r.Reply
	if rep.Admin != "" {
		e.SetServerAdmin(be, name, agentAdmin[strings.ToLower(rep.Admin)])
	}
	warn := ""
	if rep.Weight != "" {
		w, msg := check.AgentWeight(rep.Weight, s.cfg.Weight, staticAlgo(b.cfg.Balance))
		if warn = msg; msg == "" {
			e.SetServerWeight(be, name, w)
		}
	}
	if rep.HasMaxConn {
		n, msg := check.AgentMaxConn(rep.MaxConn)
		if warn = cmp.Or(warn, msg); msg == "" {
			e.SetServerMaxConn(be, name, n)
		}
	}
	if rep.Health == "" {
		info := ""
		switch {
		case rep.Err != "":
			info = "agent reports an error : " + rep.Err
		case warn != "":
			info = "agent warns : " + warn
		}
		s.state.agent.note(r, info)
		return
	}
	res := r.Result
	res.Status, res.Info = rep.HealthStatus(), rep.HealthText(warn)
	s.state.agent.note(check.AgentResult{Result: res, Reply: rep, Replied: true}, res.Info)
	if s.state.admin.maint() {
		// In maintenance the reference logs no health change; leaving
		// it reports the health the checks and the agent left.
		s.state.agent.down.Store(res.Status != check.L7OK)
		up := res.Status == check.L7OK && checkUp(s)
		b.mu.Lock()
		s.state.up.Store(up)
		b.lb.SetUp(s.lb, up)
		b.mu.Unlock()
		return
	}
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

// AgentEnabled reports whether a server has an agent check running.
func (e *Engine) AgentEnabled(backendName, serverName string) bool {
	_, s, err := e.lookup(backendName, serverName)
	return err == nil && s.cfg.Agent != nil && !s.state.agent.off.Load()
}

// SetAgentHealth forces what the agent says of a server (`set server ...
// agent up|down`): as the reference, the server is set running or stopped
// at once, "changed from CLI".
func (e *Engine) SetAgentHealth(backendName, serverName string, up bool) error {
	if !e.AgentEnabled(backendName, serverName) {
		return ErrAgentOff
	}
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	s.state.agent.down.Store(!up)
	s.state.admin.mu.Lock()
	s.state.admin.lastChange = time.Now()
	s.state.admin.mu.Unlock()
	b.setServerUpWhy(s, up, "changed from CLI")
	return nil
}
