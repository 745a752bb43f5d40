package proxy

import (
	"errors"
	"slices"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/haproxy/spoe"
	"fulcrum/proxy/sample"
)

// `filter spoe` is acted on here (other filters: fromcompression.go).
func init() { actedKeywords["filter"], actedFilters["spoe"] = true, true }

// spoeFilter is one filter spoe line compiled: its agent and the
// messages of each event and group.
type spoeFilter struct {
	agent  *SPOEAgent
	events map[string][]*SPOEMessage
	groups map[string][]*SPOEMessage
}

// builtEvents are the SPOE events the engine sends messages on.
var builtEvents = map[string]bool{"on-client-session": true, "on-frontend-tcp-request": true, "on-backend-tcp-request": true,
	"on-frontend-http-request": true, "on-backend-http-request": true, "on-http-response": true,
	"on-server-session": true, "on-tcp-response": true}

// unbuiltAgentKeywords are the spoe-agent settings the engine does not
// act on, with what it does instead.
var unbuiltAgentKeywords = []struct{ kw, instead string }{
	{"log", "no SPOE log lines are written"},
	{"option dontlog-normal", "no SPOE log lines are written"},
	{"option pipelining", "one frame at a time per agent connection"},
	{"option async", "one frame at a time per agent connection"},
	{"max-waiting-frames", "one frame at a time per agent connection"},
	{"option send-frag-payload", "frames are never fragmented"},
	{"maxconnrate", "connections to the agents are not rate-limited"},
	{"maxerrrate", "errors are not rate-limited"},
}

// spoeFilterOf compiles a filter's engine once (rules and events share
// its agent and connection pool).
func (a *adapter) spoeFilterOf(f *haproxy.SPOEFilter) *spoeFilter {
	if sf, ok := a.spoe[f.Engine]; ok {
		return sf
	}
	e := f.Engine
	ag := e.Agent
	agent := &SPOEAgent{Engine: e.Name, ID: ag.ID, Backend: ag.Backend, VarPrefix: ag.VarPrefix,
		OnError: ag.OnError, ProcessTime: ag.ProcessTime, TotalTime: ag.TotalTime,
		Hello: ag.Hello, Idle: ag.Idle, Processing: ag.Processing, MaxFrameSize: ag.MaxFrameSize,
		ContinueOnError: ag.ContinueOnError, EngineID: newEngineID()}
	if agent.Engine == "" {
		agent.Engine = ag.ID
	}
	for _, u := range unbuiltAgentKeywords {
		if pos, ok := ag.Where[u.kw]; ok {
			a.warn(pos, "SPOE agent '%s': '%s' is not acted on yet by Fulcrum (%s).", ag.ID, u.kw, u.instead)
		}
	}
	sf := &spoeFilter{agent: agent, events: map[string][]*SPOEMessage{}, groups: map[string][]*SPOEMessage{}}
	compiled := map[*spoe.Message]*SPOEMessage{}
	for _, m := range e.Messages {
		if m.Event == "" {
			continue // the model warned: never sent
		}
		if !builtEvents[m.Event] {
			a.warn(m.EventPos, "SPOE event '%s' is not acted on yet by Fulcrum: message '%s' is not sent.", m.Event, m.ID)
			continue
		}
		sf.events[m.Event] = append(sf.events[m.Event], a.spoeMessage(m, compiled))
	}
	for _, g := range e.Groups {
		for _, m := range g.Messages {
			sf.groups[g.ID] = append(sf.groups[g.ID], a.spoeMessage(m, compiled))
		}
	}
	if a.spoe == nil {
		a.spoe = map[*spoe.Engine]*spoeFilter{}
	}
	a.spoe[f.Engine] = sf
	return sf
}

// spoeMessage compiles a message's arguments and condition.
func (a *adapter) spoeMessage(m *spoe.Message, done map[*spoe.Message]*SPOEMessage) *SPOEMessage {
	if c, ok := done[m]; ok {
		return c
	}
	out := &SPOEMessage{Name: m.ID}
	done[m] = out
	for _, arg := range m.Args {
		x, err := sample.ParseExpr(arg.Expr, a.sampleOptions(m.ArgsPos))
		var unknown *sample.UnknownError
		switch {
		case errors.As(err, &unknown) && unknown.Kind == "converter":
			a.alert(m.ArgsPos, "'args': unknown converter '%s'.", unknown.Name)
			continue
		case err != nil:
			a.warn(m.ArgsPos, "SPOE message '%s': argument '%s' is not acted on yet by Fulcrum (%v); it is sent as null.", m.ID, arg.Expr, notBuilt(err))
		}
		out.Args = append(out.Args, SPOEArg{Name: arg.Name, Expr: x})
	}
	if len(m.Cond) > 0 {
		acls := map[string][]acl{}
		for _, def := range m.ACLs {
			c, err := compileACLWith(def[1:], a.sampleOptions(m.EventPos))
			if err != nil {
				a.alert(m.EventPos, "acl '%s' : %v", def[0], err)
				continue
			}
			acls[def[0]] = append(acls[def[0]], acl{cond: c})
		}
		if c, ok := a.cond(acls, m.EventPos, m.Cond); ok {
			out.Cond = c
		}
	}
	return out
}

// spoeGroupAction maps `send-spoe-group ENGINE GROUP` in the http-request,
// http-response and tcp-request content rules of proxyName.
func (a *adapter) spoeGroupAction(pos confparse.Pos, proxyName string, words []string, kw string) (do func(*Session), isGroup bool) {
	if first(words) != "send-spoe-group" {
		return nil, false
	}
	if len(words) < 3 {
		a.alert(pos, "'%s send-spoe-group' expects 2 arguments: <engine-id> <group-id>.", kw)
		return nil, true
	}
	for _, px := range a.hc.Proxies {
		if px.Name != proxyName {
			continue
		}
		for i := range px.SPOE {
			f := &px.SPOE[i]
			if f.Engine.Name != words[1] && !(f.Engine.Name == "" && f.Engine.Agent.ID == words[1]) {
				continue
			}
			sf := a.spoeFilterOf(f)
			msgs, ok := sf.groups[words[2]]
			if !ok {
				a.alert(pos, "'%s send-spoe-group' : unable to find SPOE group '%s' into SPOE engine '%s'.", kw, words[2], words[1])
				return nil, true
			}
			return func(s *Session) { sf.agent.Process(s, msgs) }, true
		}
	}
	a.alert(pos, "'%s send-spoe-group' : unable to find SPOE engine '%s'.", kw, words[1])
	return nil, true
}

// spoeHooks runs each filter's event messages at its events: before the
// rules of that stage, as the reference's filter runs before the
// analysers it hooks.
func (a *adapter) spoeHooks() {
	for _, px := range a.hc.Proxies {
		for i := range px.SPOE {
			a.spoeFilterHooks(px, a.spoeFilterOf(&px.SPOE[i]))
		}
	}
}

// spoeFilterHooks installs one filter's events.
func (a *adapter) spoeFilterHooks(px *haproxy.Proxy, sf *spoeFilter) {
	// run sends an event's messages at most once per transaction: an
	// event may be hooked at two stages (the backend's and the
	// frontend's response rules), and an http request runs the
	// frontend's content rules twice (httpgaps.go, stick.go).
	run := func(event string) func(*Session) {
		msgs := sf.events[event]
		if len(msgs) == 0 {
			return nil
		}
		done := spoeMark(sf.agent, event)
		return func(s *Session) {
			if _, ok := s.Var(done); ok {
				return
			}
			s.SetVar(done, "1")
			sf.agent.Process(s, msgs)
		}
	}
	var fe *Frontend
	for _, f := range a.cfg.Frontends {
		if f.Name == px.Name && px.Kind != "backend" {
			fe = f
		}
	}
	if fe != nil {
		if do := run("on-frontend-tcp-request"); do != nil {
			fe.ContentRules = slices.Insert(fe.ContentRules, 0, Rule{Action: Do, Do: do})
		}
		if do := run("on-client-session"); do != nil {
			// A stream per request in http mode, per connection in tcp.
			if fe.Mode == ModeHTTP {
				fe.ContentRules = slices.Insert(fe.ContentRules, 0, Rule{Action: Do, Do: do})
			} else {
				fe.SessionRules = slices.Insert(fe.SessionRules, 0, Rule{Action: Do, Do: do})
			}
		}
		if do := run("on-frontend-http-request"); do != nil && fe.Mode == ModeHTTP {
			fe.HTTP.RequestRules = slices.Insert(fe.HTTP.RequestRules, 0, HTTPRule{Action: HTTPDo, Do: do})
		}
	}
	// Backend events: a frontend's filter sees every backend its streams
	// go to; a backend's, its own streams.
	mine := func(be *Backend) bool { return be.Name == px.Name || fe != nil }
	fromHere := func(s *Session) bool { return px.Kind == "backend" || s.Frontend == px.Name }
	if do := run("on-backend-tcp-request"); do != nil {
		for _, be := range a.cfg.Backends {
			if mine(be) {
				be.ContentRules = slices.Insert(be.ContentRules, 0, Rule{Action: Do, Do: func(s *Session) {
					if fromHere(s) {
						do(s)
					}
				}})
			}
		}
	}
	if do := run("on-backend-http-request"); do != nil {
		for _, be := range a.cfg.Backends {
			if mine(be) {
				be.HTTP.RequestRules = slices.Insert(be.HTTP.RequestRules, 0, HTTPRule{Action: HTTPDo,
					Do: func(s *Session) {
						if fromHere(s) {
							do(s)
						}
					}})
			}
		}
	}
	if do := run("on-http-response"); do != nil {
		// The backend's response rules run first, then the frontend's:
		// the first of them to run sends the messages.
		hook := HTTPRule{Action: HTTPDo, Do: func(s *Session) {
			if fromHere(s) {
				do(s)
			}
		}}
		for _, be := range a.cfg.Backends {
			if mine(be) {
				be.HTTP.Actions.Response = slices.Insert(be.HTTP.Actions.Response, 0, hook)
			}
		}
		if fe != nil {
			fe.HTTP.Actions.Response = slices.Insert(fe.HTTP.Actions.Response, 0, hook)
		}
	}
	// The server side: once connected (per request in http mode), then
	// at the first response data, before the response rules.
	if do := run("on-server-session"); do != nil {
		for _, be := range a.cfg.Backends {
			if mine(be) {
				be.Server.Session = append(be.Server.Session, func(s *Session) {
					if fromHere(s) {
						do(s)
					}
				})
			}
		}
	}
	if do := run("on-tcp-response"); do != nil {
		hook := func(s *Session) {
			if fromHere(s) {
				do(s)
			}
		}
		for _, be := range a.cfg.Backends {
			switch {
			case !mine(be):
			case be.Mode == ModeHTTP:
				be.HTTP.Actions.Response = slices.Insert(be.HTTP.Actions.Response, 0, HTTPRule{Action: HTTPDo, Do: hook})
			default:
				be.Server.Response = append(be.Server.Response, hook)
			}
		}
	}
}
