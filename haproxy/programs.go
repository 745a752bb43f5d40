package haproxy

import (
	"fmt"
	"os/user"

	"fulcrum/confparse"
)

// Program is a `program` section: a command the master of master-worker
// mode starts before its first worker and supervises beside the workers.
type Program struct {
	Name string        `json:"name"`
	Pos  confparse.Pos `json:"-"`
	// Command is the program and its arguments, looked up in PATH.
	Command []string `json:"command,omitempty"`
	// User and Group run the program under other ids ("" keeps the
	// master's).
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	// StartOnReload starts a new instance at each reload (the default);
	// `no option start-on-reload` says not to.
	StartOnReload bool `json:"start_on_reload"`
}

// openProgram starts a program section; false after an alert that stops
// the reading, as the reference's.
func (l *loader) openProgram(pos confparse.Pos, words []string) {
	if len(words) < 2 {
		l.alert(pos, "'program' expects an <id> argument")
		l.abort = true
		return
	}
	for _, p := range l.cfg.Programs {
		if p.Name == words[1] {
			l.alertTight(pos, fmt.Sprintf("'%s' program section already exists in the configuration.", words[1]))
			l.abort = true
			return
		}
	}
	l.prog = &Program{Name: words[1], Pos: pos, StartOnReload: true}
	l.cfg.Programs = append(l.cfg.Programs, l.prog)
}

// programLine applies one line of a program section.
func (l *loader) programLine(d line) {
	p := l.prog
	if p == nil {
		return // the section's header was refused
	}
	switch d.kw {
	case "command":
		p.Command = append([]string(nil), d.args...)
	case "user", "group":
		set, what := &p.User, "user/uid"
		if d.kw == "group" {
			set, what = &p.Group, "group/gid"
		}
		if *set != "" {
			l.emit(confparse.Alert, d.pos, fmt.Sprintf("parsing [%s:%d] : %s already specified. Continuing.", d.pos.File, d.pos.Line, what))
			return
		}
		var err error
		if d.kw == "user" {
			_, err = user.Lookup(d.arg(0))
		} else {
			_, err = user.LookupGroup(d.arg(0))
		}
		if err != nil {
			l.alert(d.pos, fmt.Sprintf("cannot find %s id for '%s' (0:Success)", d.kw, d.arg(0)))
			return
		}
		*set = d.arg(0)
	case "option":
		switch {
		case d.arg(0) != "start-on-reload":
			l.alert(d.pos, fmt.Sprintf("unknown option '%s'.", d.arg(0)))
		case len(d.args) > 1:
			l.alert(d.pos, fmt.Sprintf("'option %s' cannot handle unexpected argument '%s'.", d.args[0], d.args[1]))
		default:
			p.StartOnReload = d.mod != "no"
		}
	}
}
