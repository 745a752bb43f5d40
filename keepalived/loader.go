package keepalived

import (
	"net"
	"os"
	"path/filepath"

	"fulcrum/confparse"
	kc "fulcrum/confparse/keepalivedconf"
)

// LoadOptions shape one load of a configuration.
type LoadOptions struct {
	// ConfigID selects `@ID` lines; "" means the host name up to the
	// first dot, as the reference's default.
	ConfigID string
	// Dir is the working directory relative paths start from ("" = cwd).
	Dir string
	// Interface reports whether a network interface exists and is a
	// loopback; nil looks in the current network namespace.
	Interface func(name string) (exists, loopback bool)
	// Resolve reports whether a host name resolves (smtp_server); nil uses
	// the system resolver, as the reference does.
	Resolve func(host string) bool
	// MaxLines bounds the logical lines one reading may produce (0: the
	// reader's default).
	MaxLines int
}

// Message is one line `keepalived -t` prints.
type Message struct {
	Where kc.Where
	Class kc.Class
	Text  string
}

func (m Message) String() string { return m.Where.Prefix() + m.Text }

// Result is the outcome of a configuration test.
type Result struct {
	Config   *Config
	Messages []Message
	Exit     int // the exit code of `keepalived -t`
}

// loader holds what all passes share: the model, the messages and the
// environment.
type loader struct {
	path     string
	opts     LoadOptions
	cfg      *Config
	msgs     []Message
	maxClass kc.Class
	exit     int // set when a handler ended the run early
	stage    Pass

	badInterface bool // an instance named an interface that does not exist

	// script users, shared by all passes as the reference's globals are
	defaultUserSet  bool
	defaultUserFail bool
	scriptUserSet   bool
	removeScript    bool
	notifyScripts   [][]string
	nested          []nestedBlock
	miscScripts     [][]string
	nextRulePrio4   int // preference given to the next rule without one
	nextRulePrio6   int
	miscPath        []string // the current MISC_CHECK's command
	miscUserSet     bool
	bfdCheck        int      // current BFD_CHECK: 0 none/dropped, 1 open, 2 named
	checkerBFDs     []string // bfd_instance names the checker pass has seen
	vrrpBFDs        []string // and the VRRP pass
	trackGroups     []string // track_group names
	trackGroupSeen  bool     // the current track_group has its group list
	urls            int      // usable urls of the current HTTP_GET/SSL_GET
	urlPath         bool     // the current url has a path
	urlDigest       bool     // the current url has a digest

	// per-pass cursors into the model
	inst    *Instance
	script  *Script
	tproc   *TrackProcess
	tfile   *TrackFile
	sgroup  *SyncGroup
	vs      *VirtualServer
	rs      *RealServer
	checker *Checker
	bfd     *BFDInstance
	vsg     *VirtualServerGroup
}

func (l *loader) add(w kc.Where, c kc.Class, text string) {
	l.msgs = append(l.msgs, Message{Where: w, Class: c, Text: text})
	if c > l.maxClass {
		l.maxClass = c
	}
}

// noPos reports a message printed without a position (checks after a pass).
func (l *loader) noPos(c kc.Class, text string) { l.add(kc.Where{}, c, text) }

func (l *loader) ifaceExists(name string) (bool, bool) {
	if l.opts.Interface != nil {
		return l.opts.Interface(name)
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return false, false
	}
	return true, ifi.Flags&net.FlagLoopback != 0
}

// Check runs what `keepalived -t -f path` runs and returns its messages,
// exit code and the model.
func Check(path string, opts LoadOptions) Result {
	if opts.ConfigID == "" {
		opts.ConfigID = kc.DefaultConfigID()
	}
	l := &loader{path: path, opts: opts, cfg: newConfig()}
	if !l.checkConfFile() {
		return Result{Config: l.cfg, Messages: l.msgs, Exit: l.exitCode()}
	}
	for _, pass := range []Pass{PassParent, PassChecker, PassVRRP, PassBFD} {
		if !l.runPass(pass) {
			return Result{Config: l.cfg, Messages: l.msgs, Exit: l.exit}
		}
		l.afterPass(pass)
	}
	return Result{Config: l.cfg, Messages: l.msgs, Exit: l.exitCode()}
}

// Load reads and checks a configuration and returns the model with every
// diagnostic. Keywords whose engine is not built yet come as Notices.
func Load(path string, opts LoadOptions) (*Config, []confparse.Diagnostic) {
	res := Check(path, opts)
	var diags []confparse.Diagnostic
	for _, m := range res.Messages {
		sev := confparse.Alert
		switch {
		case m.Class == kc.ClassOK:
			sev = confparse.Notice
		case m.Class >= kc.ClassMultipleFiles && m.Class != kc.ClassSecurity:
			sev = confparse.Warning
		}
		file := m.Where.File
		if file == "" && m.Where.Line > 0 {
			file = path
		}
		diags = append(diags, confparse.Diagnostic{Pos: confparse.Pos{File: file, Line: m.Where.Line}, Severity: sev, Message: m.Text})
	}
	if res.Exit == 2 || res.Exit == 4 {
		diags = append(diags, confparse.Diagnostic{Severity: confparse.Alert, Message: "configuration cannot be run (keepalived -t exits " + itoa(res.Exit) + ")"})
	}
	for _, u := range res.Config.Unbuilt {
		diags = append(diags, confparse.Diagnostic{Pos: confparse.Pos{File: u.File, Line: u.Line}, Severity: confparse.Notice,
			Message: "WARNING: '" + u.Keyword + "' is read but not built yet in Fulcrum; it has no effect"})
	}
	return res.Config, diags
}

func (l *loader) exitCode() int {
	switch l.maxClass {
	case kc.ClassOK:
		return 0
	case kc.ClassFileNotFound, kc.ClassBadIf, kc.ClassFatal:
		return 4
	case kc.ClassSecurity:
		return 6
	}
	return 5
}

// checkConfFile mirrors the reference's check before reading: the -f glob
// must name exactly one readable regular file.
func (l *loader) checkConfFile() bool {
	dir := l.opts.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	pattern := l.path
	matches, _ := filepath.Glob(join(dir, pattern))
	if !hasGlobMeta(pattern) {
		if _, err := os.Lstat(join(dir, pattern)); err == nil {
			matches = []string{join(dir, pattern)}
		} else {
			matches = nil
		}
	}
	if len(matches) == 0 {
		l.noPos(kc.ClassOK, "Config files missing '"+pattern+"'.")
		return false
	}
	ok := true
	for _, m := range matches {
		name := m
		if !filepath.IsAbs(pattern) {
			name, _ = filepath.Rel(dir, m)
		}
		st, err := os.Stat(m)
		if err == nil && st.IsDir() {
			l.noPos(kc.ClassOK, "Configuration file '"+name+"/' is a directory - skipping")
			ok = false
			continue
		}
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 != 0 {
			l.noPos(kc.ClassOK, "Configuration file '"+name+"' is not a regular non-executable file - skipping")
			ok = false
			continue
		}
		if f, err := os.Open(m); err != nil {
			l.noPos(kc.ClassFileNotFound, "Unable to read configuration file "+name)
			return false
		} else {
			f.Close()
		}
	}
	if ok && len(matches) > 1 {
		l.noPos(kc.ClassMultipleFiles, "WARNING, multiple configuration file matches of "+pattern+", starting with "+matches[0])
	}
	return ok
}

func join(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func hasGlobMeta(s string) bool {
	for _, c := range s {
		switch c {
		case '*', '?', '[', '{':
			return true
		}
	}
	return false
}

// runPass reads the whole configuration once with the keywords of pass.
// It returns false when a handler ended the run (the reference exits).
func (l *loader) runPass(pass Pass) (ok bool) {
	l.stage = pass
	rd := kc.NewReader(l.path, kc.Options{ConfigID: l.opts.ConfigID, Child: pass != PassParent, Dir: l.opts.Dir, MaxLines: l.opts.MaxLines}, l.add)
	p := &parser{pass: pass, rd: rd, load: l}
	defer func() {
		if r := recover(); r != nil {
			e, isExit := r.(exitNow)
			if !isExit {
				panic(r)
			}
			l.exit = e.code
			ok = false
		}
	}()
	p.stream(keywordTrees[pass], false)
	if rd.Aborted() == "" {
		if d := rd.BlockDepth(); d > 0 {
			rd.Report(kc.ClassMissingEOB, "There are "+itoa(d)+" missing '}'s or extra '{'s")
		}
	}
	if pass == PassParent && rd.FileError() {
		// The reference stops when a strict include failed.
		l.exit = 6
		return false
	}
	return true
}

func newConfig() *Config {
	return &Config{Global: defaultGlobal()}
}
