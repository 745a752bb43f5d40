package haproxy

import "fmt"

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

// otherKeyword handles a line of an auxiliary section. The engines do
// not act on these sections yet.
func (l *loader) otherKeyword(d line) {
	s := otherSections[l.kind]
	if !s.keywords[d.kw] {
		s.unknown(l, d)
		return
	}
	l.notBuilt(d.pos, l.kind+" "+d.kw)
	switch {
	case l.kind == "http-errors" && d.kw == "errorfile":
		l.errorfile(nil, d)
	case l.kind == "resolvers" && d.kw == "resolution_pool_size":
		l.alert(d.pos, "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).")
	case l.kind == "ring" && d.kw == "size" && atoi(d.arg(0)) < 16384:
		// The size is read as a plain number; the default buffer is kept.
		// The reference also fails the file here, with no message of its own.
		l.warn(d.pos, fmt.Sprintf("ignoring new size '%d' that is smaller than current size '16384' for ring '%s'.", atoi(d.arg(0)), l.sec.argOr0()))
		l.fileFatal = true
	case d.kw == "bind" && (l.kind == "log-forward" || l.kind == "peers"):
		l.cfg.auxBinds++
	case d.kw == "peer" && l.kind == "peers":
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
