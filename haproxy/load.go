package haproxy

import (
	"fmt"
	"os"
	"strings"

	"fulcrum/confparse"
	"fulcrum/confparse/haproxycfg"
)

// Options shape a Load.
type Options struct {
	// Build is what `.if` predicates test; DefaultBuild when nil.
	Build *haproxycfg.Build
	// Resolve reports whether a host name resolves; the system resolver
	// when nil. Tests and the check mode run it without network.
	Resolve func(host string) bool
	// IgnoreResolveErrors is -dr: a server whose name does not resolve
	// starts without an address instead of failing the check.
	IgnoreResolveErrors bool
	// Diag keeps `.diag` messages (-dD).
	Diag bool
	// LocalPeer is -L: the local peer's name, over `localpeer` and the
	// host name.
	LocalPeer string
	// MasterWorker is -W or -Ws: program sections are allowed, and a
	// configuration without listeners still starts.
	MasterWorker bool
}

// Load reads the configuration files (directories give their *.cfg files)
// with the default options.
func Load(paths ...string) (*Config, []confparse.Diagnostic) {
	return LoadWith(Options{}, paths...)
}

// Outcome of a check, as the reference's exit status expresses it.
const (
	Valid      = 0 // the configuration is valid
	Invalid    = 1 // fatal errors
	NoListener = 2 // valid, but nothing would listen
)

// Verdict is the check result as the reference's exit status.
func Verdict(cfg *Config) int {
	if cfg == nil || cfg.fatal {
		return Invalid
	}
	if !cfg.hasListener() && !cfg.masterWorker {
		return NoListener
	}
	return Valid
}

// loader walks the sections of all files and fills the model.
type loader struct {
	opt   Options
	cfg   *Config
	diags []confparse.Diagnostic

	fileFatal bool // a fatal error in the current file
	fatals    int  // fatal errors in the current file; the reference stops at 50
	fatal     bool // a fatal error anywhere
	abort     bool // an error that stops the reading at once
	openFail  bool // ... reported by the reference as a file it could not open

	// current section
	kind      string
	sec       *Section
	px        *Proxy
	badListen bool     // a legacy "listen NAME ADDR": its lines are rejected
	dupRing   bool     // a ring named like an earlier one: it has no buffer
	prog      *Program // the program section being read

	globalSeen   map[string]bool // global keywords taken once, already met
	defaults     map[string]*Proxy
	lastDefaults *Proxy
	proxyNames   map[string]*Proxy
	dir          string      // the default-path directory, "" for the process's own
	renamed      [][2]string // the current line's file names: resolved, as written

	resolverRefs map[*Proxy][]resolverRef // servers naming a resolvers section, in line order
	ruleHeirs    map[*Proxy]string        // a defaults section with rules: the kind of proxy inheriting them
	stickTables  map[string]stickTableAt  // the proxies' stick-tables by name (the proxy's), the first of each
	peersForms   map[*Section]*peersForm  // how each peers section declares its peers (auxargs.go)
	srvUnlocated bool                     // a server line's later alerts lose their location (see refuseInDefaultServer)
}

// LoadWith reads the configuration with explicit options.
func LoadWith(opt Options, paths ...string) (*Config, []confparse.Diagnostic) {
	if opt.Build == nil {
		opt.Build = DefaultBuild()
	}
	if opt.Resolve == nil {
		opt.Resolve = systemResolve
	}
	var environ func() []string
	opt.Build, environ = withEnvChanges(opt.Build) // environ.go
	l := &loader{opt: opt, cfg: &Config{}, defaults: map[string]*Proxy{}, proxyNames: map[string]*Proxy{}}
	defer func() { l.cfg.Environ = environ() }()
	for _, name := range haproxycfg.ExpandPaths(paths) {
		f, err := haproxycfg.ReadFile(name, opt.Build)
		if err != nil {
			l.emit(confparse.Alert, confparse.Pos{}, err.Error())
			l.cfg.fatal = true
			return l.cfg, l.diags
		}
		if l.loadFile(f) {
			l.cfg.fatal = true
			return l.cfg, l.diags
		}
	}
	if l.fatal {
		l.emit(confparse.Alert, confparse.Pos{}, "Fatal errors found in configuration.")
		l.cfg.fatal = true
		return l.cfg, l.diags
	}
	l.postChecks()
	return l.cfg, l.diags
}

// loadFile handles one file; it reports whether reading must stop.
func (l *loader) loadFile(f *haproxycfg.File) (abort bool) {
	l.fileFatal, l.fatals = false, 0
	l.kind, l.sec, l.px, l.badListen = "", nil, nil, false
	tree, err := haproxycfg.Parse(f)
	if err != nil {
		// The grammar accepts every sequence of lines the reader makes.
		l.alert(confparse.Pos{File: f.Name}, "internal grammar error: "+err.Error())
		tree = &haproxycfg.Config{}
	}
	// Merge the reader's diagnostics with ours in line order.
	pending := f.Diags
	flush := func(line int) {
		for len(pending) > 0 && pending[0].Pos.Line <= line {
			d := pending[0]
			pending = pending[1:]
			if strings.HasPrefix(d.Message, haproxycfg.DiagPrefix) {
				if !l.opt.Diag {
					continue
				}
			}
			l.diags = append(l.diags, d)
			if d.Severity == confparse.Alert {
				l.fileFatal = true
				l.fatals++
			}
		}
	}
	for _, st := range tree.Orphans {
		flush(st.Position().Line)
		l.alertTight(st.Position(), fmt.Sprintf("unknown keyword '%s' out of section.", st.Keyword()))
	}
	stopped := false
sections:
	for _, s := range tree.Sections {
		flush(s.Position().Line)
		if l.openSection(s.Position(), s.Words()); l.abort {
			break
		}
		for _, st := range s.Body {
			flush(st.Position().Line)
			if l.keyword(st.Position(), st.Words()); l.abort {
				break sections
			}
			if l.tooManyErrors(st.Position()) {
				stopped = true
				break sections
			}
		}
	}
	if !l.abort {
		l.closeSection()
		flush(1 << 30)
		if f.MissingLF != nil && !stopped {
			l.diags = append(l.diags, *f.MissingLF)
		}
	}
	if f.Fatal {
		l.fileFatal = true
	}
	switch {
	case l.openFail:
		l.emit(confparse.Alert, confparse.Pos{}, "Could not open configuration file "+f.Name+" : Success")
		l.fatal = true
	case l.fileFatal || f.Aborted || l.abort:
		l.emit(confparse.Alert, confparse.Pos{}, "Error(s) found in configuration file : "+f.Name)
		l.fatal = true
	}
	return f.Aborted || l.abort
}

// maxFatal is where the reference gives up on a file.
const maxFatal = 50

// tooManyErrors stops the reading after the 50th fatal error.
func (l *loader) tooManyErrors(pos confparse.Pos) bool {
	if l.fatals < maxFatal {
		return false
	}
	// The reference notices it when it reads the next line.
	pos.Line++
	l.emit(confparse.Alert, pos, fmt.Sprintf("parsing [%s:%d]: too many fatal errors (%d), stopping now.", pos.File, pos.Line, l.fatals))
	return true
}

// emit records one diagnostic with the reference's text.
func (l *loader) emit(sev confparse.Severity, pos confparse.Pos, msg string) {
	l.diags = append(l.diags, confparse.Diagnostic{Pos: pos, Severity: sev, Message: msg})
}

// alert: "parsing [f:l] : msg", fatal.
func (l *loader) alert(pos confparse.Pos, msg string) {
	l.emit(confparse.Alert, pos, fmt.Sprintf("parsing [%s:%d] : %s", pos.File, pos.Line, msg))
	l.fileFatal = true
	l.fatals++
}

// alertTight: "parsing [f:l]: msg", fatal (the reference uses both forms).
func (l *loader) alertTight(pos confparse.Pos, msg string) {
	l.emit(confparse.Alert, pos, fmt.Sprintf("parsing [%s:%d]: %s", pos.File, pos.Line, msg))
	l.fileFatal = true
	l.fatals++
}

// alertBare: "[f:l] : msg", fatal (server lines use this form).
func (l *loader) alertBare(pos confparse.Pos, msg string) {
	l.emit(confparse.Alert, pos, fmt.Sprintf("[%s:%d] : %s", pos.File, pos.Line, msg))
	l.fileFatal = true
	l.fatals++
}

func (l *loader) warn(pos confparse.Pos, msg string) {
	l.emit(confparse.Warning, pos, fmt.Sprintf("parsing [%s:%d] : %s", pos.File, pos.Line, msg))
}

// notBuilt records a keyword the engines do not act on yet.
func (l *loader) notBuilt(pos confparse.Pos, what string) {
	l.cfg.Pending = append(l.cfg.Pending, confparse.Diagnostic{Pos: pos, Severity: confparse.Warning,
		Message: fmt.Sprintf("parsing [%s:%d] : '%s' is accepted but not acted on yet by Fulcrum.", pos.File, pos.Line, what)})
}

// argsOf gives the arguments of a line as the reference sees them: an
// empty word ends the list.
func argsOf(words []string) []string {
	for i, w := range words {
		if w == "" {
			return words[:i]
		}
	}
	return words
}

var proxyKinds = map[string]bool{"frontend": true, "backend": true, "listen": true, "defaults": true}

// closeSection makes the checks the reference makes when a section ends.
func (l *loader) closeSection() {
	if l.sec == nil || l.sec.Kind != "cache" || len(l.sec.Args) == 0 {
		return
	}
	l.closeCache() // cachesection.go
}

// openSection starts a section from its header words.
func (l *loader) openSection(pos confparse.Pos, words []string) {
	l.closeSection()
	words = argsOf(words)
	kind := words[0]
	l.kind, l.badListen, l.px, l.dupRing, l.prog = kind, false, nil, false, nil
	l.sec = &Section{Kind: kind, Args: append([]string(nil), words[1:]...), Pos: pos}
	if kind == "global" && l.cfg.Global.Section != nil {
		// Several global sections are one, as in the reference.
		l.sec = l.cfg.Global.Section
	} else {
		l.cfg.Order = append(l.cfg.Order, l.sec)
	}
	switch {
	case kind == "global":
		l.cfg.Global.Section = l.sec
	case proxyKinds[kind]:
		l.openProxy(pos, words)
	default:
		if kind == "program" {
			l.openProgram(pos, words)
		}
		if kind == "ring" && len(words) > 1 && l.hasSection("ring", words[1]) {
			l.alert(pos, fmt.Sprintf("sink named '%s' already exists.", words[1]))
			l.dupRing = true
		}
		if kind == "resolvers" && len(words) > 1 {
			for _, o := range l.cfg.Others {
				if o.Kind == "resolvers" && len(o.Args) > 0 && o.Args[0] == words[1] {
					l.emit(confparse.Alert, pos, fmt.Sprintf("Parsing [%s:%d]: resolvers '%s' has same name as another resolvers (declared at %s:%d).", pos.File, pos.Line, words[1], o.Pos.File, o.Pos.Line))
					l.alert(pos, "out of memory.") // sic
					l.abort = true
				}
			}
		}
		if kind == "cache" {
			l.cacheHeader(pos, words[1:]) // cachesection.go
		}
		l.cfg.Others = append(l.cfg.Others, l.sec)
	}
}

func (l *loader) openProxy(pos confparse.Pos, words []string) {
	kind := words[0]
	px := &Proxy{Kind: kind, Section: l.sec, Timeouts: map[string]int64{}, Options: map[string]bool{}}
	args := words[1:]
	if kind != "defaults" {
		if len(args) == 0 {
			l.alert(pos, fmt.Sprintf("'%s' expects an <id> argument", kind))
			l.abort = true
			return
		}
		px.Name = args[0]
		if len(args) > 1 && args[1] != "from" && kind != "backend" {
			// The 1.x form "listen NAME ADDR" is refused but not fatal;
			// the section's lines then have no proxy to go to.
			l.emit(confparse.Alert, pos, fmt.Sprintf("parsing [%s:%d] : please use the 'bind' keyword for listening addresses.", pos.File, pos.Line))
			l.badListen = true
			return
		}
	} else if len(args) > 0 && args[0] != "from" {
		px.Name = args[0]
	}
	from := ""
	for i, a := range args {
		if a == "from" && i+1 < len(args) {
			from = args[i+1]
		}
	}
	base := l.lastDefaults
	if kind == "defaults" {
		// A defaults section resets what the one before it set; only
		// "from" makes it inherit.
		base = nil
	}
	if from != "" {
		d, ok := l.defaults[from]
		if !ok {
			l.alert(pos, fmt.Sprintf("defaults section '%s' not found for %s '%s'.", from, kind, px.Name))
			l.abort = true
			return
		}
		base = d
		px.From = from
	}
	if base != nil {
		px.inherit(base)
	}
	if base != nil && !l.rulesInheritable(pos, px, base) {
		return
	}
	if kind == "defaults" {
		if px.Name != "" {
			l.defaults[px.Name] = px
		}
		l.lastDefaults = px
		l.cfg.Defaults = append(l.cfg.Defaults, px)
	} else {
		if other, ok := l.proxyNames[px.Name]; ok && (other.hasFE() && px.hasFE() || other.hasBE() && px.hasBE()) {
			l.emit(confparse.Alert, pos, fmt.Sprintf("Parsing [%s:%d]: %s '%s' has the same name as %s '%s' declared at %s:%d.",
				pos.File, pos.Line, proxyWord(px), px.Name, proxyWord(other), other.Name, other.Section.Pos.File, other.Section.Pos.Line))
			l.fileFatal = true
		}
		l.proxyNames[px.Name] = px
		l.cfg.Proxies = append(l.cfg.Proxies, px)
	}
	l.px = px
}

// inherit copies what a proxy takes from its defaults section.
func (p *Proxy) inherit(d *Proxy) {
	p.Mode = d.Mode
	p.Balance = d.Balance
	p.MaxConn = d.MaxConn
	for k, v := range d.Timeouts {
		p.Timeouts[k] = v
	}
	p.baseTimeouts = d.Timeouts
	p.inheritedLines = append(append([]Directive(nil), d.inheritedLines...), d.Section.Lines...)
	for k, v := range d.Options {
		p.Options[k] = v
	}
	p.logFormatPos = d.logFormatPos
	p.stats = d.stats
	p.Logs = append([]Log(nil), d.Logs...)
	if len(d.DefaultServer) > 0 {
		p.DefaultServer = map[string]string{}
		for k, v := range d.DefaultServer {
			p.DefaultServer[k] = v
		}
	}
	p.ErrorFiles = nil
}

// negatable keywords accept the "no" and "default" prefixes.
var negatable = setOf("option", "log", "busy-polling", "set-dumpable", "strict-limits", "insecure-fork-wanted", "numa-cpu-mapping")

// keyword handles one line inside a section.
func (l *loader) keyword(pos confparse.Pos, words []string) {
	words = argsOf(words)
	if len(words) == 0 {
		return
	}
	written := words
	words = l.withDefaultPath(pos, words) // defaultpath.go
	defer l.namesAsWritten(len(l.diags))
	if l.sec != nil {
		// words is the caller's fresh slice: the directive can keep it.
		l.sec.Lines = append(l.sec.Lines, Directive{Keyword: words[0], Args: words[1:len(words):len(words)], Pos: pos})
		l.keepWritten(written, words)
	}
	mod := ""
	if words[0] == "no" || words[0] == "default" {
		if len(words) < 2 || !negatable[words[1]] {
			l.alertTight(pos, "negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.")
		}
		mod = words[0]
		if mod == "default" && len(words) > 1 {
			// The reference shifts the words left without clearing the
			// last one: it is seen twice.
			words = append(words[1:len(words):len(words)], words[len(words)-1])
		} else {
			words = words[1:]
		}
		if len(words) == 0 {
			return
		}
	}
	d := line{pos: pos, kw: words[0], args: words[1:], mod: mod}
	switch {
	case l.badListen:
		l.alert(pos, "'listen' or 'defaults' expected.")
	case l.kind == "global":
		l.globalKeyword(d)
	case proxyKinds[l.kind]:
		l.proxyKeyword(d)
	default:
		l.otherKeyword(d)
	}
}

// line is one keyword line after the prefix is taken off.
type line struct {
	pos  confparse.Pos
	kw   string
	args []string
	mod  string // "", "no" or "default"
}

func (d line) arg(i int) string {
	if i < len(d.args) {
		return d.args[i]
	}
	return ""
}

// fileExists reports whether a path can be opened for reading.
func fileExists(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
