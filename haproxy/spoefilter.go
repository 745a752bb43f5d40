package haproxy

import (
	"fmt"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy/spoe"
)

// SPOEFilter is a `filter spoe [engine NAME] config FILE` line with the
// engine its file defines.
type SPOEFilter struct {
	Engine *spoe.Engine
	Pos    confparse.Pos
}

// filterNames are the filters the reference registers, as its error
// lists them.
var filterNames = []struct{ tag, name string }{{"CACHE", "cache"}, {"COMP", "compression"},
	{"FCGI", "fcgi-app"}, {"  OT", "opentracing"}, {"SPOE", "spoe"}, {"TRACE", "trace"}}

// filterLine checks a filter line's name and reads a spoe filter's file.
func (l *loader) filterLine(px *Proxy, d line) {
	if d.arg(0) == "spoe" {
		l.spoeFilter(px, d)
		return
	}
	var known strings.Builder
	for _, f := range filterNames {
		if f.name == d.arg(0) {
			return
		}
		fmt.Fprintf(&known, "\n    [%s] %s", f.tag, f.name)
	}
	l.alert(d.pos, fmt.Sprintf("'filter' : unknown keyword '%s'. Registered keywords :%s", d.arg(0), known.String()))
}

// spoeFilter reads a filter spoe line's SPOE file, reporting its
// problems as the reference does, and records the engine on px.
func (l *loader) spoeFilter(px *Proxy, d line) {
	engine, file := "", ""
	for i := 1; i < len(d.args); i++ {
		switch d.args[i] {
		case "engine", "config":
			if i+1 >= len(d.args) {
				l.alert(d.pos, fmt.Sprintf("'filter' : ''spoe' : '%s' option without value'", d.args[i]))
				return
			}
			if d.args[i] == "engine" {
				engine = d.args[i+1]
			} else {
				file = d.args[i+1]
			}
			i++
		default:
			l.alert(d.pos, fmt.Sprintf("'filter' : 'unknown keyword '%s''", d.args[i]))
			return
		}
	}
	if file == "" {
		l.alert(d.pos, "'filter' : ''spoe' : missing config file'")
		return
	}
	e, diags := spoe.Load(file, engine, d.pos, spoe.Checks{FetchKnown: func(name string) bool { return fetchNames[name] }})
	for _, dg := range diags {
		l.emit(dg.Severity, dg.Pos, dg.Message)
		if dg.Severity == confparse.Alert {
			l.fileFatal = true
			l.fatals++
		}
	}
	if e != nil {
		px.SPOE = append(px.SPOE, SPOEFilter{Engine: e, Pos: d.pos})
	}
}

// spoeChecks are the reference's checks of a proxy's SPOE agents once
// every section is read: their backend exists, their timeouts are set.
func (l *loader) spoeChecks(p *Proxy, findBE func(string) *Proxy, alert func(confparse.Pos, string)) {
	l.spoeGroupRules(p, alert)
	for _, f := range p.SPOE {
		a := f.Engine.Agent
		be := findBE(a.Backend)
		if be == nil {
			alert(confparse.Pos{}, fmt.Sprintf("Proxy %s : unknown backend '%s' used by SPOE agent '%s' declared at %s:%d.",
				p.Name, a.Backend, a.ID, a.Pos.File, a.Pos.Line))
			continue
		}
		if modeOf(be) != "tcp" {
			alert(confparse.Pos{}, fmt.Sprintf("Proxy %s : backend '%s' used by SPOE agent '%s' declared at %s:%d does not support HTTP mode.",
				p.Name, a.Backend, a.ID, a.Pos.File, a.Pos.Line))
			continue
		}
		if a.MissingTimeouts() {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("Proxy '%s': missing timeouts for SPOE agent '%s' declare at %s:%d.\n"+
				"   | While not properly invalid, you will certainly encounter various problems\n"+
				"   | with such a configuration. To fix this, please ensure that all following\n"+
				"   | timeouts are set to a non-zero value: 'hello', 'idle', 'processing'.", p.Name, a.ID, a.Pos.File, a.Pos.Line))
		}
		for _, m := range f.Engine.Messages {
			if m.Event == "" {
				l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("Proxy '%s': Ignore SPOE message '%s' without event at %s:%d.",
					p.Name, m.ID, m.Pos.File, m.Pos.Line))
			}
		}
	}
}

// spoeGroupRules checks that each send-spoe-group rule names one of the
// proxy's SPOE engines and a group of it.
func (l *loader) spoeGroupRules(p *Proxy, alert func(confparse.Pos, string)) {
	for _, r := range p.Rules {
		if len(r.Action) != 3 || r.Action[0] != "send-spoe-group" {
			continue
		}
		engine, group := r.Action[1], r.Action[2]
		var found *spoe.Engine
		for _, f := range p.SPOE {
			if f.Engine.Name == engine || f.Engine.Name == "" && f.Engine.Agent.ID == engine {
				found = f.Engine
			}
		}
		switch {
		case found == nil:
			alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': unable to find SPOE engine '%s' used by the send-spoe-group '%s'.", p.Name, engine, group))
		case found.Group(group) == nil:
			alert(confparse.Pos{}, fmt.Sprintf("Proxy '%s': unable to find SPOE group '%s' into SPOE engine '%s' configuration.", p.Name, group, engine))
		}
	}
}
