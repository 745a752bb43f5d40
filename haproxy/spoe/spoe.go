// Package spoe reads an SPOE configuration file (the file named by
// `filter spoe engine NAME config FILE`): its spoe-agent, spoe-message
// and spoe-group sections inside the engine's `[NAME]` scope, checked
// with the reference's wording and positions.
package spoe

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fulcrum/confparse"
	"fulcrum/confparse/haproxycfg"
)

// Events a message can be sent on.
var Events = []string{"on-client-session", "on-server-session", "on-frontend-tcp-request",
	"on-backend-tcp-request", "on-tcp-response", "on-frontend-http-request",
	"on-backend-http-request", "on-http-response"}

// Engine is one SPOE engine: its agent and the messages and groups the
// agent uses.
type Engine struct {
	Name  string // the engine's name ("" = none given: the whole file)
	File  string
	Agent *Agent
	// Messages are the messages the agent lists (`messages`), in order;
	// Groups the groups it lists (`groups`), with their messages.
	Messages []*Message
	Groups   []*Group
}

// Agent is a spoe-agent section.
type Agent struct {
	ID  string
	Pos confparse.Pos
	// Backend is use-backend: where the agents listen.
	Backend    string
	Messages   []string
	Groups     []string
	Hello      time.Duration
	Idle       time.Duration
	Processing time.Duration
	// VarPrefix prefixes the variables the agent sets (default: the
	// agent's id).
	VarPrefix string
	// OnError, ProcessTime and TotalTime name the txn variables (under
	// the prefix) set-on-error, set-process-time and set-total-time set.
	OnError         string
	ProcessTime     string
	TotalTime       string
	ContinueOnError bool
	ForceSetVar     bool
	Pipelining      bool
	Async           bool
	SendFragPayload bool
	DontlogNormal   bool
	MaxFrameSize    int // 0 = the default (tune.bufsize - 4)
	MaxConnRate     int
	MaxErrRate      int
	MaxWaiting      int
	// VarNames are register-var-names: the names the agent may set.
	VarNames []string
	// Logs are the agent's log lines, as written.
	Logs [][]string
	// Where holds the position of each keyword the section sets ("log",
	// "maxconnrate", "option async", ...), the last one written.
	Where map[string]confparse.Pos
}

// Message is a spoe-message section.
type Message struct {
	ID   string
	Pos  confparse.Pos
	Args []Arg
	// ACLs are the section's acl lines: NAME CRITERION [ARGS...].
	ACLs [][]string
	// Event is when the message is sent ("" = only through a group);
	// Cond its "if|unless ..." words (nil = always).
	Event string
	Cond  []string
	// ArgsPos and EventPos are where the args and event lines are.
	ArgsPos, EventPos confparse.Pos
}

// Arg is one message argument: NAME=EXPR, or an expression alone (an
// empty name).
type Arg struct {
	Name string
	Expr string
}

// Group is a spoe-group section.
type Group struct {
	ID       string
	Pos      confparse.Pos
	Messages []*Message
	names    []string
}

// Checks are the model's tests of sample expressions the file refers to.
type Checks struct {
	// FetchKnown tells whether a sample fetch exists.
	FetchKnown func(name string) bool
}

// reader holds the state of one file being read.
type reader struct {
	file   string
	engine string
	checks Checks
	diags  []confparse.Diagnostic
	fatal  bool

	section  string // "spoe-agent", "spoe-message", "spoe-group" or ""
	agent    *Agent // the section being read, when it is the agent
	first    *Agent // the engine's agent
	agents   int
	msg      *Message
	grp      *Group
	messages map[string]*Message
	groups   map[string]*Group
	// declared are where each "spoe-message NAME" and "spoe-group
	// NAME" header is.
	declared map[string]confparse.Pos
}

// Load reads file for engine (the name on the filter line, "" for none)
// and returns the engine or, with alerts, nil. Diagnostics are worded
// as the reference prints them; filterPos is the filter line, where the
// reference reports the problems it finds once the file is read.
func Load(file, engine string, filterPos confparse.Pos, checks Checks) (*Engine, []confparse.Diagnostic) {
	f, err := haproxycfg.ReadFile(file, nil)
	if err != nil {
		return nil, []confparse.Diagnostic{filterAlert(filterPos, fmt.Sprintf("Could not open configuration file %s : No such file or directory", file))}
	}
	return Parse(f, engine, filterPos, checks)
}

// Parse is Load on a file already read.
func Parse(f *haproxycfg.File, engine string, filterPos confparse.Pos, checks Checks) (*Engine, []confparse.Diagnostic) {
	r := &reader{file: f.Name, engine: engine, checks: checks, messages: map[string]*Message{}, groups: map[string]*Group{},
		declared: map[string]confparse.Pos{}}
	r.diags = append(r.diags, f.Diags...)
	r.fatal = f.Fatal
	scope := 0
	inScope := true // lines before the first scope belong to every engine
	for _, ln := range f.Lines {
		for scope < len(f.Scopes) && f.Scopes[scope].Pos.Line < ln.Pos.Line {
			inScope = f.Scopes[scope].Name == engine
			scope++
		}
		if len(ln.Words) == 0 {
			continue
		}
		if !inScope {
			// Another engine's lines are skipped, but a section they
			// open goes on into the next scope (unnamed there).
			switch w := ln.Words[0].Text; w {
			case "spoe-agent", "spoe-message", "spoe-group":
				r.section = w
				r.agent, r.msg, r.grp = nil, nil, nil
			}
			continue
		}
		words := make([]string, len(ln.Words))
		for i, w := range ln.Words {
			words[i] = w.Text
		}
		r.line(ln.Pos, words)
	}
	if f.MissingLF != nil {
		r.diags = append(r.diags, *f.MissingLF)
		r.fatal = true
	}
	if r.fatal {
		return nil, append(r.diags, filterAlert(filterPos, "Error(s) found in configuration file "+f.Name))
	}
	e, msg := r.resolve()
	if msg != "" {
		return nil, append(r.diags, filterAlert(filterPos, msg))
	}
	return e, r.diags
}

func filterAlert(pos confparse.Pos, msg string) confparse.Diagnostic {
	return confparse.Diagnostic{Pos: pos, Severity: confparse.Alert,
		Message: fmt.Sprintf("parsing [%s:%d] : 'filter' : '%s'", pos.File, pos.Line, msg)}
}

// alert reports "parsing [file:line] : msg"; alertTight the form
// without the space before the colon, which the reference also uses.
func (r *reader) alert(pos confparse.Pos, msg string) {
	r.fatal = true
	r.diags = append(r.diags, confparse.Diagnostic{Pos: pos, Severity: confparse.Alert,
		Message: fmt.Sprintf("parsing [%s:%d] : %s", pos.File, pos.Line, msg)})
}

func (r *reader) alertTight(pos confparse.Pos, msg string) {
	r.fatal = true
	r.diags = append(r.diags, confparse.Diagnostic{Pos: pos, Severity: confparse.Alert,
		Message: fmt.Sprintf("parsing [%s:%d]: %s", pos.File, pos.Line, msg)})
}

func (r *reader) line(pos confparse.Pos, w []string) {
	switch w[0] {
	case "spoe-agent", "spoe-message", "spoe-group":
		r.header(pos, w)
		return
	}
	// A section without a usable header (a bad one, another scope's)
	// still checks its lines, for nothing.
	switch r.section {
	case "spoe-agent":
		if r.agent == nil {
			r.agent = &Agent{}
		}
		r.agentLine(pos, w)
	case "spoe-message":
		if r.msg == nil {
			r.msg = &Message{}
		}
		r.messageLine(pos, w)
	case "spoe-group":
		if r.grp == nil {
			r.grp = &Group{}
		}
		r.groupLine(pos, w)
	default:
		r.alertTight(pos, fmt.Sprintf("unknown keyword '%s' out of section.", w[0]))
	}
}

func (r *reader) header(pos confparse.Pos, w []string) {
	r.section = w[0]
	r.agent, r.msg, r.grp = nil, nil, nil
	if len(w) < 2 || w[1] == "" {
		r.alert(pos, fmt.Sprintf("missing name for %s section.", w[0]))
		return
	}
	if len(w) > 2 {
		r.alert(pos, fmt.Sprintf("'%s' cannot handle unexpected argument '%s'.", w[0], w[2]))
		return
	}
	name := w[1]
	switch w[0] {
	case "spoe-agent":
		r.agents++
		if r.agents > 1 {
			r.alert(pos, "another spoe-agent section previously defined.")
			return
		}
		r.agent = &Agent{ID: name, Pos: pos, VarPrefix: name}
		r.first = r.agent
	case "spoe-message", "spoe-group":
		if prev, ok := r.declared[w[0]+" "+name]; ok {
			r.alertTight(pos, fmt.Sprintf("%s section '%s' has the same name as another one declared at %s:%d.", w[0], name, prev.File, prev.Line))
			return
		}
		r.declared[w[0]+" "+name] = pos
		if w[0] == "spoe-group" {
			r.grp = &Group{ID: name, Pos: pos}
			r.groups[name] = r.grp
			return
		}
		r.msg = &Message{ID: name, Pos: pos}
		r.messages[name] = r.msg
	}
}

func (r *reader) agentLine(pos confparse.Pos, w []string) {
	a := r.agent
	if a.Where == nil {
		a.Where = map[string]confparse.Pos{}
	}
	key := w[0]
	if key == "option" && len(w) > 1 {
		key += " " + w[1]
	}
	a.Where[key] = pos
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	switch w[0] {
	case "use-backend":
		if arg(1) == "" {
			r.alert(pos, fmt.Sprintf("'%s' expects a backend name.", w[0]))
			return
		}
		a.Backend = w[1]
	case "messages":
		a.Messages = append(a.Messages, w[1:]...)
	case "groups":
		a.Groups = append(a.Groups, w[1:]...)
	case "timeout":
		var dst *time.Duration
		switch arg(1) {
		case "hello":
			dst = &a.Hello
		case "idle":
			dst = &a.Idle
		case "processing":
			dst = &a.Processing
		default:
			r.alert(pos, fmt.Sprintf("'timeout' supports 'hello', 'idle' or 'processing' (got %s).", arg(1)))
			return
		}
		if arg(2) == "" {
			r.alert(pos, fmt.Sprintf("'timeout %s' expects an integer value (in milliseconds).", w[1]))
			return
		}
		d, bad := parseTime(w[2])
		if bad != "" {
			r.alert(pos, fmt.Sprintf("unexpected character '%s' in 'timeout %s'.", bad, w[1]))
			return
		}
		*dst = d
	case "option":
		r.agentOption(pos, w)
	case "max-frame-size":
		n, err := strconv.Atoi(arg(1))
		if err != nil || n < 256 || n > 16380 {
			r.alert(pos, fmt.Sprintf("'%s' expects a positive integer argument in the range [256, 16380].", w[0]))
			return
		}
		a.MaxFrameSize = n
	case "maxconnrate", "maxerrrate", "max-waiting-frames":
		n, err := strconv.Atoi(arg(1))
		if err != nil || n < 0 {
			r.alert(pos, fmt.Sprintf("'%s' expects a positive integer argument.", w[0]))
			return
		}
		switch w[0] {
		case "maxconnrate":
			a.MaxConnRate = n
		case "maxerrrate":
			a.MaxErrRate = n
		default:
			a.MaxWaiting = n
		}
	case "register-var-names":
		if len(w) < 2 {
			r.alert(pos, fmt.Sprintf("'%s' expects one or more variable names.", w[0]))
			return
		}
		a.VarNames = append(a.VarNames, w[1:]...)
	case "log":
		a.Logs = append(a.Logs, w[1:])
	default:
		r.alert(pos, fmt.Sprintf("unknown keyword '%s' in spoe-agent section.", w[0]))
	}
}

// agentOption reads "[no] option NAME [VALUE]" in a spoe-agent section.
func (r *reader) agentOption(pos confparse.Pos, w []string) {
	a := r.agent
	name := ""
	if len(w) > 1 {
		name = w[1]
	}
	flags := map[string]*bool{"pipelining": &a.Pipelining, "async": &a.Async, "send-frag-payload": &a.SendFragPayload,
		"dontlog-normal": &a.DontlogNormal, "continue-on-error": &a.ContinueOnError, "force-set-var": &a.ForceSetVar}
	if p, ok := flags[name]; ok {
		*p = true
		return
	}
	vars := map[string]*string{"var-prefix": &a.VarPrefix, "set-on-error": &a.OnError,
		"set-process-time": &a.ProcessTime, "set-total-time": &a.TotalTime}
	p, ok := vars[name]
	if !ok {
		r.alertTight(pos, fmt.Sprintf("option '%s' is not supported.", name))
		return
	}
	if len(w) < 3 || w[2] == "" {
		r.alertTight(pos, fmt.Sprintf("'option %s' expects a value.", name))
		return
	}
	for _, c := range w[2] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_') {
			r.alertTight(pos, fmt.Sprintf("'option %s' only supports [a-zA-Z0-9_.] chars.", name))
			return
		}
	}
	*p = w[2]
}

func (r *reader) messageLine(pos confparse.Pos, w []string) {
	m := r.msg
	switch w[0] {
	case "args":
		m.ArgsPos = pos
		for _, a := range w[1:] {
			name, expr, ok := strings.Cut(a, "=")
			if !ok {
				name, expr = "", a
			}
			fetch := expr
			if i := strings.IndexAny(fetch, "(,"); i >= 0 {
				fetch = fetch[:i]
			}
			if r.checks.FetchKnown != nil && !r.checks.FetchKnown(fetch) {
				r.alert(pos, fmt.Sprintf("'args': unknown fetch method '%s'.", fetch))
				return
			}
			m.Args = append(m.Args, Arg{Name: name, Expr: expr})
		}
	case "acl":
		if len(w) < 3 {
			r.alert(pos, "error detected while parsing ACL : missing ACL name or criterion.")
			return
		}
		m.ACLs = append(m.ACLs, w[1:])
	case "event":
		if len(w) < 2 || w[1] == "" {
			r.alert(pos, "missing event name.")
			return
		}
		known := false
		for _, e := range Events {
			known = known || e == w[1]
		}
		if !known {
			r.alert(pos, fmt.Sprintf("unknown event '%s'.", w[1]))
			return
		}
		if len(w) > 2 {
			if w[2] != "if" && w[2] != "unless" {
				r.alertTight(pos, fmt.Sprintf("'event %s' expects either 'if' or 'unless' followed by a condition but found '%s'.", w[1], w[2]))
				return
			}
			if missing := missingACL(m, w[3:]); missing != "" {
				r.alert(pos, fmt.Sprintf("error detected while parsing an 'event %s' condition : no such ACL : '%s'.", w[1], missing))
				return
			}
			m.Cond = w[2:]
		}
		m.Event, m.EventPos = w[1], pos
	default:
		r.alert(pos, fmt.Sprintf("unknown keyword '%s' in spoe-message section.", w[0]))
	}
}

// builtinACLs are the reference's predefined ACL names.
var builtinACLs = map[string]bool{"FALSE": true, "HTTP": true, "HTTP_1.0": true, "HTTP_1.1": true,
	"HTTP_2.0": true, "HTTP_CONTENT": true, "HTTP_URL_ABS": true, "HTTP_URL_SLASH": true,
	"HTTP_URL_STAR": true, "LOCALHOST": true, "METH_CONNECT": true, "METH_DELETE": true,
	"METH_GET": true, "METH_HEAD": true, "METH_OPTIONS": true, "METH_POST": true, "METH_PUT": true,
	"METH_TRACE": true, "RDP_COOKIE": true, "REQ_CONTENT": true, "TRUE": true, "WAIT_END": true}

// missingACL names the first ACL a condition uses that the message does
// not declare ("" when all exist). Anonymous `{ ... }` ACLs need none.
func missingACL(m *Message, cond []string) string {
	depth := 0
	for _, w := range cond {
		switch {
		case w == "{":
			depth++
		case w == "}":
			depth--
		case depth > 0, w == "or", w == "||", w == "!":
		default:
			name := strings.TrimLeft(w, "!")
			if builtinACLs[name] {
				continue
			}
			found := false
			for _, a := range m.ACLs {
				found = found || a[0] == name
			}
			if !found {
				return name
			}
		}
	}
	return ""
}

func (r *reader) groupLine(pos confparse.Pos, w []string) {
	switch w[0] {
	case "messages":
		r.grp.names = append(r.grp.names, w[1:]...)
	default:
		r.alert(pos, fmt.Sprintf("unknown keyword '%s' in spoe-group section.", w[0]))
	}
}

// resolve links the agent to its messages and groups, as the reference
// does once the file is read; msg is the reference's complaint.
func (r *reader) resolve() (e *Engine, msg string) {
	a := r.first
	if a == nil {
		return nil, "No SPOE agent found in file " + r.file
	}
	if a.Backend == "" {
		return nil, fmt.Sprintf("No backend declared for SPOE agent '%s' declared at %s:%d", a.ID, a.Pos.File, a.Pos.Line)
	}
	e = &Engine{Name: r.engine, File: r.file, Agent: a}
	for _, name := range a.Messages {
		m, ok := r.messages[name]
		if !ok {
			return nil, fmt.Sprintf("SPOE agent '%s' try to use undefined SPOE message '%s' at %s:%d", a.ID, name, a.Pos.File, a.Pos.Line)
		}
		e.Messages = append(e.Messages, m)
	}
	for _, name := range a.Groups {
		g, ok := r.groups[name]
		if !ok {
			return nil, fmt.Sprintf("SPOE agent '%s' try to use undefined SPOE group '%s' at %s:%d", a.ID, name, a.Pos.File, a.Pos.Line)
		}
		for _, mn := range g.names {
			m, ok := r.messages[mn]
			if !ok {
				return nil, fmt.Sprintf("SPOE group '%s' try to use undefined SPOE message '%s' at %s:%d", g.ID, mn, a.Pos.File, a.Pos.Line)
			}
			g.Messages = append(g.Messages, m)
		}
		e.Groups = append(e.Groups, g)
	}
	return e, ""
}

// Group finds one of the engine's groups by name.
func (e *Engine) Group(name string) *Group {
	for _, g := range e.Groups {
		if g.ID == name {
			return g
		}
	}
	return nil
}

// MissingTimeouts tells whether one of the agent's three timeouts is
// unset, which the reference warns about.
func (a *Agent) MissingTimeouts() bool {
	return a.Hello == 0 || a.Idle == 0 || a.Processing == 0
}

// parseTime reads a time with HAProxy's units (default ms); bad is the
// first unexpected character ("" when the value is good).
func parseTime(s string) (d time.Duration, bad string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		if s == "" {
			return 0, " "
		}
		return 0, s[:1]
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > 1<<31 {
		return 0, s[i-1 : i]
	}
	units := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := units[s[i:]]
	if !ok {
		return 0, s[i : i+1]
	}
	return time.Duration(n) * u, ""
}
