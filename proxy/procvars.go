package proxy

import (
	"strings"
	"sync"

	"fulcrum/proxy/sample"
)

// procVar is a process-wide variable's value and the type of the sample
// that set it (what `get var` reports).
type procVar struct {
	value string
	typ   sample.Type
}

// procVars holds the proc.* variables: one set for the whole process,
// shared by every session, set by the global set-var lines at start and
// by the rules afterwards.
type procVars struct {
	mu sync.RWMutex
	m  map[string]procVar
}

// ProcVarInit is a global `set-var NAME EXPR` or `set-var-fmt NAME FMT`
// line, evaluated once when the engine is made.
type ProcVarInit struct {
	Name string
	Expr *sample.Expr     // set-var
	Fmt  *sample.Template // set-var-fmt
}

// isProcVar tells whether name is in the process scope.
func isProcVar(name string) bool { return strings.HasPrefix(name, "proc.") }

// setProcVar stores a proc.* variable in the engine's set; false when
// name is not one (or the session has no engine), for the caller to keep
// it in the session.
func (s *Session) setProcVar(name, value string, typ sample.Type) bool {
	if !isProcVar(name) || s.Engine == nil {
		return false
	}
	pv := &s.Engine.procVars
	pv.mu.Lock()
	if pv.m == nil {
		pv.m = map[string]procVar{}
	}
	pv.m[name] = procVar{value: value, typ: typ}
	pv.mu.Unlock()
	return true
}

// unsetProcVar removes a proc.* variable; false when name is not one.
func (s *Session) unsetProcVar(name string) bool {
	if !isProcVar(name) || s.Engine == nil {
		return false
	}
	pv := &s.Engine.procVars
	pv.mu.Lock()
	delete(pv.m, name)
	pv.mu.Unlock()
	return true
}

// procVar reads a proc.* variable; isProc is false when name is not one.
func (s *Session) procVar(name string) (value string, ok, isProc bool) {
	if !isProcVar(name) || s.Engine == nil {
		return "", false, false
	}
	v, ok := s.Engine.ProcVar(name)
	return v.value, ok, true
}

// setVarOf sets a variable from a sample of type typ (set-var).
func (s *Session) setVarOf(name, value string, typ sample.Type) {
	if !s.setProcVar(name, value, typ) {
		s.SetVar(name, value)
	}
}

// ProcVar returns a process-wide variable (the Runtime API's `get var`).
func (e *Engine) ProcVar(name string) (v procVar, ok bool) {
	e.procVars.mu.RLock()
	defer e.procVars.mu.RUnlock()
	v, ok = e.procVars.m[name]
	return v, ok
}

// ProcVarText is `get var NAME`'s line for a process-wide variable.
func (e *Engine) ProcVarText(name string) (string, bool) {
	v, ok := e.ProcVar(name)
	if !ok {
		return "", false
	}
	return name + ": type=" + v.typ.String() + " value=<" + v.value + ">", true
}

// applyGlobals sets what a configuration gives the whole process, as a
// reference process starts with it (a reload is a new process there):
// the proc.* variables of its global set-var lines (those the rules set
// since are forgotten) and its connection rate limits.
func (e *Engine) applyGlobals(cfg *Config) {
	e.procVars.mu.Lock()
	e.procVars.m = nil
	e.procVars.mu.Unlock()
	e.initProcVars(cfg.ProcVars)
	e.setRateLimits(&cfg.ConnRateLimit, &cfg.SessRateLimit) // ratelimits.go
}

// initProcVars evaluates the global set-var and set-var-fmt lines in
// order (a later one may read an earlier one). A sample that yields
// nothing leaves its variable unset, as in the reference.
func (e *Engine) initProcVars(inits []ProcVarInit) {
	s := &Session{Engine: e}
	for _, in := range inits {
		e.initProcVar(s, in)
	}
}

// initProcVar evaluates one line. The fetches allowed there need no
// connection; a format's may, and one that fails leaves the variable
// unset rather than stop the process.
func (e *Engine) initProcVar(s *Session, in ProcVarInit) {
	defer func() {
		if recover() != nil {
			e.log(Warning, "", "global set-var: '"+in.Name+"' could not be computed without a connection; left unset.")
		}
	}()
	switch {
	case in.Fmt != nil:
		s.setProcVar(in.Name, in.Fmt.String(s), sample.Str)
	case in.Expr != nil:
		if v, ok := in.Expr.String(s); ok {
			s.setProcVar(in.Name, v, in.Expr.Out())
		}
	}
}

// setVarRule runs an http set-var rule. A sample that yields nothing
// leaves the variable as it was, as in the reference.
func (h *httpConn) setVarRule(r *HTTPRule) {
	if r.Expr == nil {
		h.sess.SetVar(r.Name, h.value(r))
		return
	}
	if v, ok := r.Expr.String(h.sess); ok {
		h.sess.setVarOf(r.Name, v, r.Expr.Out())
	}
}
