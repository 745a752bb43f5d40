package sample

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// ArgType is the kind of one fetch or converter argument; it says how
// the argument's text is checked and converted at parse time.
type ArgType uint8

// Argument kinds (HAProxy's ARGT_*).
const (
	ArgStr      ArgType = iota // any text
	ArgInt                     // a signed decimal integer
	ArgBackend                 // a backend name
	ArgFrontend                // a frontend name
	ArgServer                  // [backend/]server
	ArgReg                     // a regular expression
	ArgVar                     // a variable name with its scope
	ArgMap                     // a map file, loaded through Options.ReadFile
	ArgUserlist                // a userlist name, found through Options.Userlist
)

// Userlist checks credentials for the http_auth fetches.
type Userlist interface {
	Check(user, password string) bool
	InGroup(user, group string) bool
}

// Arg is one parsed argument.
type Arg struct {
	Str string // the text (ArgStr, ArgBackend, ArgFrontend, ArgVar, ArgServer's server)
	Int int64  // ArgInt
	// Proxy is ArgServer's backend ("" = the current one).
	Proxy string
	Re    *regexp.Regexp
	Map   *Map
	Users Userlist // ArgUserlist
	Set   bool     // the argument was given (optional ones may be absent)
}

// Call carries one evaluation of a fetch: the environment, the parsed
// arguments, and the cursor of multi-valued fetches. A fetch returning
// several values (hdr in an ACL, cook, ...) sets More when another value
// follows; the caller then calls it again with the same Call.
type Call struct {
	Env  Env
	Args []Arg
	// Iterate is set in ACLs: multi-valued fetches return every value
	// instead of their single default one.
	Iterate bool
	// Pos and Pos2 are the fetch's private cursor (0 on the first call).
	Pos, Pos2 int
	// More is set by the fetch when it has another value.
	More bool
	// Buf is scratch space a fetch may use for its value.
	Buf []byte
}

// Fetch describes one sample fetch keyword.
type Fetch struct {
	Name    string
	Args    []ArgType
	MinArgs int
	Out     Type
	// Match is the match method used when the fetch is named directly in
	// an ACL ("" derives it from Out, as HAProxy does).
	Match string
	// HTTP marks fetches that need an HTTP request (or response).
	HTTP bool
	// Check validates the arguments beyond their kinds.
	Check func(args []Arg) error
	Fn    func(c *Call, out *Sample) Result
}

// Converter describes one converter keyword.
type Converter struct {
	Name    string
	Args    []ArgType
	MinArgs int
	In, Out Type
	Check   func(args []Arg) error
	// mapMatch is the match method of map converters: their first
	// argument is a map file loaded with it.
	mapMatch string
	// Fn converts s (already cast to In) in place; false drops the
	// sample.
	Fn func(c *Call, args []Arg, s *Sample) bool
}

var (
	fetchReg = map[string]*Fetch{}
	convReg  = map[string]*Converter{}
)

// RegisterFetch adds a fetch keyword (other packages add theirs, such as
// stick-table fetches). A later registration replaces an earlier one.
func RegisterFetch(f Fetch) { fetchReg[f.Name] = &f }

// RegisterConverter adds a converter keyword.
func RegisterConverter(c Converter) { convReg[c.Name] = &c }

// LookupFetch returns a registered fetch.
func LookupFetch(name string) (*Fetch, bool) { f, ok := fetchReg[name]; return f, ok }

// Options are what parsing needs from its caller.
type Options struct {
	// ReadFile reads map and pattern files (-f, -M, map converters);
	// nil refuses them.
	ReadFile func(name string) ([]byte, error)
	// ProxyExists checks backend / frontend arguments; nil accepts any.
	ProxyExists func(name string, backend bool) bool
	// ServerExists checks server arguments ("" backend = the current
	// one); nil accepts any.
	ServerExists func(backend, server string) bool
	// Userlist finds a userlist section by name; nil knows none.
	Userlist func(name string) (Userlist, bool)
	// Refs, when set, registers the pattern and map files loaded, for
	// the Runtime API to list and change; Where describes the user
	// ("file 'x.cfg' line 3").
	Refs  *Refs
	Where string
	// Late marks expressions the reference resolves after parsing
	// (use_backend names): their files are numbered after its own.
	Late bool
	// maps caches files loaded by this parse, by kind and name.
	maps map[string]*Map
}

// UnknownError is a fetch or converter name the registry does not have.
// Configuration loaders that already checked names against HAProxy's
// full list can tell "not built here" apart with errors.As.
type UnknownError struct{ Kind, Name string }

func (e *UnknownError) Error() string { return "unknown " + e.Kind + " '" + e.Name + "'" }

// Expr is a compiled sample expression: a fetch and its converters.
type Expr struct {
	Text  string
	fetch *Fetch
	args  []Arg
	convs []conv
}

type conv struct {
	c    *Converter
	args []Arg
}

// Out is the type the expression produces.
func (x *Expr) Out() Type {
	if n := len(x.convs); n > 0 {
		return x.convs[n-1].c.Out
	}
	return x.fetch.Out
}

// FetchName is the name of the expression's fetch.
func (x *Expr) FetchName() string { return x.fetch.Name }

// HTTP reports whether the expression reads an HTTP message.
func (x *Expr) HTTP() bool { return x.fetch.HTTP }

// ParseExpr compiles "fetch[(args)][,conv[(args)]]...". The error says
// what is wrong in HAProxy's words where they exist.
func ParseExpr(text string, o *Options) (*Expr, error) {
	x, rest, err := parseExpr(text, o, nil)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("unexpected '%s' after sample expression '%s'", rest, text[:len(text)-len(rest)])
	}
	return x, nil
}

// parseExpr reads one expression from the start of text and returns
// what follows it (at a space, or at a character stop accepts).
func parseExpr(text string, o *Options, stop func(byte) bool) (*Expr, string, error) {
	if o == nil {
		o = &Options{}
	}
	name, s := splitName(text)
	if name == "" {
		return nil, "", fmt.Errorf("missing fetch method")
	}
	f, ok := fetchReg[name]
	if !ok {
		if alias, ok := fetchAliases[name]; ok {
			f = fetchReg[alias]
		}
	}
	if f == nil {
		return nil, "", &UnknownError{Kind: "fetch method", Name: name}
	}
	x := &Expr{fetch: f}
	var raw []string
	var err error
	if raw, s, err = parseArgs(s); err != nil {
		return nil, "", fmt.Errorf("fetch method '%s' : %v", name, err)
	}
	if x.args, err = convertArgs(raw, f.Args, f.MinArgs, o); err != nil {
		return nil, "", fmt.Errorf("fetch method '%s' : %v", name, err)
	}
	if f.Check != nil {
		if err := f.Check(x.args); err != nil {
			return nil, "", fmt.Errorf("fetch method '%s' : %v", name, err)
		}
	}
	cur := f.Out
	for len(s) > 0 && s[0] == ',' {
		cname, rest := splitName(s[1:])
		c, ok := convReg[cname]
		if !ok {
			return nil, "", &UnknownError{Kind: "converter", Name: cname}
		}
		if !canCast(cur, c.In) {
			return nil, "", fmt.Errorf("converter '%s' cannot be applied to a '%s' sample", cname, cur)
		}
		if raw, s, err = parseArgs(rest); err != nil {
			return nil, "", fmt.Errorf("converter '%s' : %v", cname, err)
		}
		args, err := convertArgs(raw, c.Args, c.MinArgs, o)
		if err != nil {
			return nil, "", fmt.Errorf("converter '%s' : %v", cname, err)
		}
		if c.mapMatch != "" {
			if args[0].Map, err = loadMap(args[0].Str, c.mapMatch, c.Out, o); err != nil {
				return nil, "", fmt.Errorf("converter '%s' : %v", cname, err)
			}
		}
		if c.Check != nil {
			if err := c.Check(args); err != nil {
				return nil, "", fmt.Errorf("converter '%s' : %v", cname, err)
			}
		}
		x.convs = append(x.convs, conv{c: c, args: args})
		cur = c.Out
	}
	if len(s) > 0 && (stop == nil || !stop(s[0])) {
		return nil, "", fmt.Errorf("unexpected character '%c' in sample expression", s[0])
	}
	x.Text = text[:len(text)-len(s)]
	return x, s, nil
}

// splitName splits a keyword name off s.
func splitName(s string) (name, rest string) {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-' || s[i] == '+') {
		i++
	}
	return s[:i], s[i:]
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseArgs reads "(a,b,...)" at the start of s, if there: commas split
// arguments, a backslash escapes the next character, single and double
// quotes group characters (HAProxy 2.6's make_arg_list).
func parseArgs(s string) (args []string, rest string, err error) {
	if len(s) == 0 || s[0] != '(' {
		return nil, s, nil
	}
	var cur strings.Builder
	var quote byte
	sawComma := false
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quote != '\'' && i+1 < len(s) && strings.IndexByte(`\\'",() `, s[i+1]) >= 0:
			// Other backslashes stay (regsub's \1 back-references).
			i++
			cur.WriteByte(s[i])
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
		case c == ',':
			args = append(args, cur.String())
			cur.Reset()
			sawComma = true
		case c == ')':
			if cur.Len() > 0 || sawComma {
				args = append(args, cur.String())
			}
			return args, s[i+1:], nil
		default:
			cur.WriteByte(c)
		}
	}
	return nil, "", errors.New("missing closing ')' in arguments")
}

// convertArgs checks raw arguments against their kinds.
func convertArgs(raw []string, kinds []ArgType, min int, o *Options) ([]Arg, error) {
	if len(raw) < min {
		return nil, fmt.Errorf("expects at least %d argument(s)", min)
	}
	if len(raw) > len(kinds) {
		return nil, fmt.Errorf("expects at most %d argument(s)", len(kinds))
	}
	args := make([]Arg, len(kinds))
	for i, r := range raw {
		a := &args[i]
		a.Set, a.Str = true, r
		switch kinds[i] {
		case ArgInt:
			n, err := strconv.ParseInt(r, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid integer '%s' in argument %d", r, i+1)
			}
			a.Int = n
		case ArgBackend, ArgFrontend:
			if o.ProxyExists != nil && !o.ProxyExists(r, kinds[i] == ArgBackend) {
				kind := "frontend"
				if kinds[i] == ArgBackend {
					kind = "backend"
				}
				return nil, fmt.Errorf("unable to find %s '%s'", kind, r)
			}
		case ArgServer:
			be, srv, ok := strings.Cut(r, "/")
			if !ok {
				be, srv = "", r
			}
			a.Proxy, a.Str = be, srv
			if o.ServerExists != nil && !o.ServerExists(be, srv) {
				return nil, fmt.Errorf("unable to find server '%s'", r)
			}
		case ArgReg:
			re, err := regexp.Compile(r)
			if err != nil {
				return nil, regexError(r, err)
			}
			a.Re = re
		case ArgVar:
			if err := checkVarName(r); err != nil {
				return nil, err
			}
		case ArgMap:
			// Loaded by parseExpr, which knows the match method.
		case ArgUserlist:
			var ok bool
			if o.Userlist != nil {
				a.Users, ok = o.Userlist(r)
			}
			if !ok {
				return nil, fmt.Errorf("unable to find userlist '%s'", r)
			}
		}
	}
	return args, nil
}

// checkVarName accepts "scope.name" with HAProxy's scopes.
func checkVarName(name string) error {
	scope, rest, ok := strings.Cut(name, ".")
	if !ok || rest == "" {
		return fmt.Errorf("invalid variable name '%s'; expects 'scope.name'", name)
	}
	switch scope {
	case "proc", "sess", "txn", "req", "res", "check":
		return nil
	}
	return fmt.Errorf("invalid variable scope '%s' in '%s'", scope, name)
}

// Eval runs the expression in sample context (one value: the last
// header occurrence, ...) and leaves the result in out. Wait with a value
// in out is a value that may still change (req.len); Wait without one
// (out.Type == Any) means not known yet.
func (x *Expr) Eval(env Env, out *Sample) Result {
	st := getState(env)
	r := x.eval(&st.call, out)
	if len(st.call.Buf) > 0 {
		// out may point into the scratch buffer (base, hdr_names...):
		// it goes with out to the caller instead of back to the pool.
		st.call.Buf = nil
	}
	putState(st)
	return r
}

// state is one evaluation's scratch: fetch and converter functions are
// called through pointers, so a Call on the stack would escape; pooling
// keeps evaluations free of allocations.
type state struct {
	call Call
	smp  Sample
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func getState(env Env) *state {
	st := statePool.Get().(*state)
	st.call = Call{Env: env, Buf: st.call.Buf[:0]}
	return st
}

func putState(st *state) {
	st.call.Env, st.call.Args = nil, nil
	st.smp = Sample{}
	if cap(st.call.Buf) > 4096 {
		st.call.Buf = nil
	}
	statePool.Put(st)
}

// eval runs the fetch once (for the value at c's cursor) and the
// converters on its result.
func (x *Expr) eval(c *Call, out *Sample) Result {
	*out = Sample{}
	c.More = false
	c.Args = x.args
	r := x.fetch.Fn(c, out)
	if r == Miss || r == Wait && out.Type == Any {
		// A Wait without a value: nothing to convert yet.
		return r
	}
	for _, cv := range x.convs {
		if !out.Cast(cv.c.In) || !cv.c.Fn(c, cv.args, out) {
			if r == Wait {
				return Wait
			}
			return Miss
		}
	}
	return r
}

// AppendString evaluates x and appends its value as text; ok is false
// when the expression gave no value (HAProxy then writes nothing, or
// "-" in logs, as the caller decides).
func (x *Expr) AppendString(dst []byte, env Env) ([]byte, bool) {
	var s Sample
	if x.Eval(env, &s) != Found {
		return dst, false
	}
	return s.AppendText(dst), true
}

// String evaluates x to a string.
func (x *Expr) String(env Env) (string, bool) {
	b, ok := x.AppendString(nil, env)
	return string(b), ok
}
