package haproxy

import (
	"fmt"
	"strings"

	"fulcrum/confparse"
)

// otherSections lists, for each auxiliary section, the keywords it
// accepts and how the reference words an unknown one.
var otherSections = map[string]struct {
	keywords map[string]bool
	unknown  func(l *loader, d line)
}{
	"userlist":    {setOf("group", "user"), unknownTight("users")},
	"peers":       {setOf("peer", "server", "bind", "default-server", "default-bind", "disabled", "enabled", "log", "table"), unknownSpaced("peers")},
	"resolvers":   {setOf("nameserver", "parse-resolv-conf", "accepted_payload_size", "hold", "resolve_retries", "timeout", "resolution_pool_size"), unknownSpaced("resolvers")},
	"mailers":     {setOf("mailer", "timeout"), unknownSpaced("mailers")},
	"program":     {setOf("command", "user", "group", "option", "no"), unknownSpaced("program")},
	"cache":       {setOf("total-max-size", "max-object-size", "max-age", "process-vary", "max-secondary-entries"), unknownSpaced("cache")},
	"http-errors": {setOf("errorfile"), unknownSpaced("http-errors")},
	"ring":        {setOf("description", "format", "maxlen", "size", "timeout", "server"), func(l *loader, d line) { l.alert(d.pos, fmt.Sprintf("unknown statement '%s'.", d.kw)) }},
	"log-forward": {setOf("bind", "dgram-bind", "backlog", "maxconn", "timeout", "log"), func(l *loader, d line) {
		l.alert(d.pos, fmt.Sprintf("unknown keyword '%s' in log-forward section.", d.kw))
		l.abort = true
	}},
	"fcgi-app": {setOf("docroot", "index", "path-info", "log-stderr", "pass-header", "set-param", "option", "acl"), unknownTight("fcgi-app")},
}

func unknownSpaced(name string) func(l *loader, d line) {
	return func(l *loader, d line) {
		l.alert(d.pos, fmt.Sprintf("unknown keyword '%s' in '%s' section", d.kw, name))
	}
}

func unknownTight(name string) func(l *loader, d line) {
	return func(l *loader, d line) {
		l.alertTight(d.pos, fmt.Sprintf("unknown keyword '%s' in '%s' section", d.kw, name))
	}
}

// otherArgsRequired is the reference's message for a keyword of an
// auxiliary section given without arguments (%[1]s file, %[2]d line).
// The cache section reports them as warnings that still fail the file,
// except max-age and process-vary, whose warnings are only warnings.
var otherArgsRequired = map[string]map[string]struct {
	msg         string
	also        string // a second message, at the same place
	warn, abort bool
	harmless    bool // the line is ignored, the file does not fail
}{
	"userlist": {
		"group": {msg: "parsing [%[1]s:%[2]d]: 'group' expects <name> as arguments."},
		"user":  {msg: "parsing [%[1]s:%[2]d]: 'user' expects <name> as arguments."},
	},
	"peers": {
		"log":   {msg: "parsing [%[1]s:%[2]d] : log : expects <address> and <facility> or global as arguments"},
		"table": {msg: "parsing [%[1]s:%[2]d] : table: missing size."},
	},
	"resolvers": {
		"nameserver":            {msg: "parsing [%[1]s:%[2]d] : 'nameserver' expects <name> and <addr>[:<port>] as arguments."},
		"accepted_payload_size": {msg: "parsing [%[1]s:%[2]d] : 'accepted_payload_size' expects <nb> as argument."},
		"hold": {msg: "parsing [%[1]s:%[2]d] : 'hold' expects an <event> and a <time> as arguments.",
			also: "<event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'"},
		"resolve_retries": {msg: "parsing [%[1]s:%[2]d] : 'resolve_retries' expects <nb> as argument."},
		"timeout":         {msg: "parsing [%[1]s:%[2]d] : 'timeout' expects 'retry' or 'resolve' and <time> as arguments."},
	},
	"mailers": {
		"mailer":  {msg: "parsing [%[1]s:%[2]d] : 'mailer' expects <name> and <addr>[:<port>] as arguments."},
		"timeout": {msg: "parsing [%[1]s:%[2]d] : 'timeout' expects 'mail' and <time> as arguments."},
	},
	"program": {
		"command": {msg: "parsing [%[1]s:%[2]d]: 'command' expects a command with optional arguments separated in words."},
		"user":    {msg: "parsing [%[1]s:%[2]d]: 'user' expects a user name."},
		"group":   {msg: "parsing [%[1]s:%[2]d]: 'group' expects a group name."},
		"option":  {msg: "parsing [%[1]s:%[2]d]: 'option' expects an option name."},
	},
	"cache": {
		"total-max-size": {msg: "parsing [%[1]s:%[2]d]: total-max-size wrong value ''", warn: true, abort: true},
		"max-object-size": {msg: "parsing [%[1]s:%[2]d]: 'max-object-size' expects a maximum file size parameter in bytes.",
			also: "parsing [%[1]s:%[2]d]: max-object-size wrong value ''", warn: true, abort: true},
		"max-age": {msg: "parsing [%[1]s:%[2]d]: 'max-age' expects an age parameter in seconds.", warn: true, harmless: true},
		"process-vary": {msg: `parsing [%[1]s:%[2]d]: 'process-vary' expects "on" or "off" (enable or disable vary processing).`,
			also: `parsing [%[1]s:%[2]d]: 'process-vary' expects "on" or "off" (enable or disable vary processing).`, warn: true, harmless: true}, // sic: the reference says it twice
		"max-secondary-entries": {msg: "parsing [%[1]s:%[2]d]: 'max-secondary-entries' expects a strictly positive number.",
			also: "parsing [%[1]s:%[2]d]: max-secondary-entries wrong value ''", warn: true, abort: true},
	},
	"http-errors": {
		"errorfile": {msg: "parsing [%[1]s:%[2]d] : errorfile: expects <status_code> and <file> as arguments."},
	},
	"ring": {
		"description": {msg: "parsing [%[1]s:%[2]d] : missing ring description text."},
		"format":      {msg: "parsing [%[1]s:%[2]d] : unknown format ''."},
		"maxlen":      {msg: "parsing [%[1]s:%[2]d] : invalid size '' for new sink buffer."},
		"size":        {msg: "parsing [%[1]s:%[2]d] : invalid size '' for new sink buffer."},
		"server":      {msg: "[%[1]s:%[2]d] : 'server' expects <name> and <addr>[:<port>] as arguments."},
	},
	"log-forward": {
		"backlog": {msg: "parsing [%[1]s:%[2]d] : 'backlog' expects an integer argument."},
		"maxconn": {msg: "parsing [%[1]s:%[2]d] : 'maxconn' expects an integer argument."},
		"timeout": {msg: "parsing [%[1]s:%[2]d] : unknown keyword 'timeout ' in log-forward section."},
		"log":     {msg: "parsing [%[1]s:%[2]d] : log : expects <address> and <facility> or global as arguments"},
	},
	"fcgi-app": {
		"docroot":     {msg: "parsing [%[1]s:%[2]d] : 'docroot' expects <path> as argument."},
		"index":       {msg: "parsing [%[1]s:%[2]d] : 'index' expects <filename> as argument."},
		"path-info":   {msg: "parsing [%[1]s:%[2]d] : 'path-info' expects <regex> as argument."},
		"log-stderr":  {msg: "parsing [%[1]s:%[2]d] : log-stderr : expects <address> and <facility> or global as arguments"},
		"pass-header": {msg: "parsing [%[1]s:%[2]d] : 'pass-header' expects <name> as arguments."},
		"set-param":   {msg: "parsing [%[1]s:%[2]d] : 'set-param' expects <name> and <value> as arguments."},
		"option":      {msg: "parsing [%[1]s:%[2]d]: 'option' expects an option name."},
	},
}

// otherKeyword handles a line of an auxiliary section. The engines do
// not act on these sections yet.
func (l *loader) otherKeyword(d line) {
	s := otherSections[l.kind]
	if !s.keywords[d.kw] {
		s.unknown(l, d)
		return
	}
	need := 1
	if l.kind == "resolvers" && d.kw == "hold" {
		need = 2 // an event and a time
	}
	if req, ok := otherArgsRequired[l.kind][d.kw]; ok && len(d.args) < need {
		sev := confparse.Alert
		if req.warn {
			sev = confparse.Warning
		}
		l.emit(sev, d.pos, fmt.Sprintf(req.msg, d.pos.File, d.pos.Line))
		if req.also != "" {
			pos := d.pos
			if !strings.Contains(req.also, "%[1]s") {
				pos = confparse.Pos{}
			}
			l.emit(sev, pos, strings.ReplaceAll(req.also, "%[1]s:%[2]d", d.pos.String()))
		}
		if !req.harmless {
			l.fileFatal = true
			l.fatals++
		}
		l.abort = l.abort || req.abort
		return
	}
	if !l.auxArgs(d) {
		return
	}
	if l.kind == "program" {
		l.programLine(d) // the master runs programs (cmd/haproxy)
		return
	}
	if l.kind != "userlist" && l.kind != "cache" && !ringBuilt(l.kind, d.kw, d.args) { // userlists and caches are built (proxy)
		l.notBuilt(d.pos, l.kind+" "+d.kw)
	}
	switch {
	case l.kind == "http-errors" && d.kw == "errorfile":
		l.errorfile(nil, d)
	case l.kind == "resolvers" && d.kw == "resolution_pool_size":
		l.alert(d.pos, "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).")
	case l.kind == "ring" && d.kw == "size" && l.dupRing:
		l.alert(d.pos, "'size' directive not usable with this type of sink.")
	case l.kind == "ring" && d.kw == "size" && atoi(d.arg(0)) < 16384:
		// The size is read as a plain number; the default buffer is kept.
		// The reference also fails the file here, with no message of its own.
		l.warn(d.pos, fmt.Sprintf("ignoring new size '%d' that is smaller than current size '16384' for ring '%s'.", atoi(d.arg(0)), l.sec.argOr0()))
		l.fileFatal = true
	case len(d.args) > 0 && (d.kw == "bind" || d.kw == "dgram-bind") && l.kind == "log-forward":
		l.cfg.auxBinds++
	}
}

// argOr0 is the section's name, or "" when it has none.
func (s *Section) argOr0() string {
	if len(s.Args) == 0 {
		return ""
	}
	return s.Args[0]
}

// ringBuilt reports the ring lines the daemon acts on (its log sinks
// and forwarders, cmd/haproxy/rings.go): all but servers with options
// other than log-proto.
func ringBuilt(kind, kw string, args []string) bool {
	if kind != "ring" {
		return false
	}
	if kw == "server" {
		return len(args) == 2 || len(args) == 4 && args[2] == "log-proto"
	}
	return true
}
