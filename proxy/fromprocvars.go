package proxy

import (
	"errors"
	"strings"

	"fulcrum/haproxy"

	"fulcrum/proxy/sample"
)

// procVarFetches are the fetches a global set-var may use: those that
// need no connection, request or stream (the reference refuses the
// others there).
var procVarFetches = map[string]bool{"int": true, "str": true, "bool": true, "ipv4": true, "ipv6": true,
	"bin": true, "meth": true, "var": true, "env": true, "always_true": true, "always_false": true,
	"date": true, "hostname": true, "nbproc": true, "nbthread": true, "pid": true, "proc": true,
	"thread": true, "rand": true, "uuid": true, "uptime": true, "stopping": true, "env_or": true}

// procVarInits maps the global set-var and set-var-fmt lines.
func (a *adapter) procVarInits() []ProcVarInit {
	sec := a.hc.Global.Section
	if sec == nil {
		return nil
	}
	var inits []ProcVarInit
	for _, d := range sec.Lines {
		if d.Keyword != "set-var" && d.Keyword != "set-var-fmt" {
			continue
		}
		if len(d.Args) < 2 {
			a.alert(d.Pos, "'%s' requires a process-wide variable name ('proc.<name>') and a sample expression.", d.Keyword)
			continue
		}
		name := d.Args[0]
		if scope, _, _ := strings.Cut(name, "."); scope != "proc" || !validVarName(name) {
			a.alert(d.Pos, "'%s': cannot set variable '%s', only scope 'proc' is permitted in the global section.", d.Keyword, name)
			continue
		}
		in := ProcVarInit{Name: name}
		var err error
		if d.Keyword == "set-var-fmt" {
			in.Fmt, err = sample.ParseTemplate(d.Args[1], a.sampleOptions(d.Pos))
		} else if in.Expr, err = sample.ParseExpr(d.Args[1], a.sampleOptions(d.Pos)); err == nil && !procVarFetches[in.Expr.FetchName()] {
			a.alert(d.Pos, "fetch method '%s(%s)' extracts information from '%s', none of which is available here", d.Keyword, name, haproxy.FetchSource(in.Expr.FetchName()))
			continue
		}
		var unknown *sample.UnknownError
		if errors.As(err, &unknown) && unknown.Kind == "fetch method" && !haproxy.IsFetch(unknown.Name) {
			a.alert(d.Pos, "unknown fetch method '%s'", unknown.Name)
			continue
		}
		if err != nil {
			a.alert(d.Pos, "'%s(%s)': %v.", d.Keyword, name, notBuilt(err))
			continue
		}
		inits = append(inits, in)
	}
	return inits
}
