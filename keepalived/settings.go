package keepalived

import (
	"strings"
)

// record keeps a keyword that has no dedicated handler as a Setting of
// the object it belongs to, and notes that its behaviour is not built.
func (l *loader) record(p *parser, k *keyword, words []string) {
	if k.path == "bfd_instance" || strings.HasPrefix(k.path, "bfd_instance/") {
		if k.path == "bfd_instance" && len(words) > 1 {
			switch l.stage {
			case PassChecker:
				l.checkerBFDs = append(l.checkerBFDs, words[1])
			case PassVRRP:
				l.vrrpBFDs = append(l.vrrpBFDs, words[1])
			}
		}
		if l.stage != PassBFD {
			return
		}
	}
	s := Setting{Keyword: words[0], Args: append([]string(nil), words[1:]...)}
	if k.valueBlock {
		// The reference's handler reads the { ... } values itself.
		s.Args = append(s.Args[:0], p.readValueBlock(words)...)
	}
	parts := strings.Split(k.path, "/")
	if k.sub != nil && len(parts) == 1 && parts[0] != "bfd_instance" {
		return // a block such as global_defs: its keywords are the settings
	}
	if k.path == "vrrp_instance/authentication" {
		return // its keywords fill typed fields
	}
	if n := len(l.nested); n > 0 && l.nested[n-1].depth < len(parts) {
		top := l.nested[n-1]
		top.list = append(top.list, s)
		if k.sub != nil {
			l.nested = append(l.nested, nestedBlock{path: k.path, depth: len(parts)})
		}
		l.unbuilt(p, k)
		return
	}
	if k.sub != nil && !(parts[0] == "virtual_server" && len(parts) == 3 && isChecker(parts[2])) && parts[0] != "bfd_instance" {
		// A nested block (authentication, url, ...): its lines are kept
		// inside the setting.
		l.nested = append(l.nested, nestedBlock{path: k.path, depth: len(parts), head: s})
		l.unbuilt(p, k)
		return
	}
	switch {
	case parts[0] == "global_defs":
		l.cfg.Global.Settings = append(l.cfg.Global.Settings, s)
	case parts[0] == "vrrp_instance" && l.inst != nil:
		l.inst.Settings = append(l.inst.Settings, s)
	case parts[0] == "vrrp_sync_group" && l.sgroup != nil:
		l.sgroup.Settings = append(l.sgroup.Settings, s)
	case parts[0] == "vrrp_track_process" && l.tproc != nil:
		l.tproc.Settings = append(l.tproc.Settings, s)
	case parts[0] == "virtual_server" && l.vs != nil:
		switch {
		case len(parts) == 2:
			l.vs.Settings = append(l.vs.Settings, s)
			if s.Keyword == "sorry_server" {
				l.vs.Sorry = strings.Join(s.Args, " ")
			}
		case len(parts) == 3 && l.rs != nil && isChecker(parts[2]):
			l.checker = &Checker{Type: parts[2]}
			l.rs.Checkers = append(l.rs.Checkers, l.checker)
		case len(parts) == 3 && l.rs != nil:
			l.rs.Settings = append(l.rs.Settings, s)
		case len(parts) > 3 && l.checker != nil:
			l.checker.Settings = append(l.checker.Settings, s)
		}
	case parts[0] == "virtual_server_group":
	case parts[0] == "bfd_instance":
		if len(parts) == 1 {
			l.bfd = &BFDInstance{Name: strings.Join(s.Args, " ")}
			l.cfg.BFDInstances = append(l.cfg.BFDInstances, l.bfd)
		} else if l.bfd != nil {
			l.bfd.Settings = append(l.bfd.Settings, s)
		}
	}
	l.unbuilt(p, k)
}

// nestedBlock collects the lines of a block inside a block (url { ... }).
type nestedBlock struct {
	path  string
	depth int
	head  Setting
	list  []Setting
}

// endBlock closes a nested block: the collected lines become the Block
// of its setting, stored where a plain setting would go.
func (l *loader) endBlock(k *keyword) {
	n := len(l.nested)
	if n == 0 || l.nested[n-1].path != k.path {
		return
	}
	b := l.nested[n-1]
	l.nested = l.nested[:n-1]
	b.head.Block = b.list
	if b.head.Block == nil {
		b.head.Block = []Setting{}
	}
	if n > 1 {
		l.nested[n-2].list = append(l.nested[n-2].list, b.head)
		return
	}
	parts := strings.Split(k.path, "/")
	switch {
	case parts[0] == "global_defs":
		l.cfg.Global.Settings = append(l.cfg.Global.Settings, b.head)
	case parts[0] == "vrrp_instance" && l.inst != nil:
		l.inst.Settings = append(l.inst.Settings, b.head)
	case parts[0] == "vrrp_sync_group" && l.sgroup != nil:
		l.sgroup.Settings = append(l.sgroup.Settings, b.head)
	case parts[0] == "virtual_server" && len(parts) > 3 && l.checker != nil:
		l.checker.Settings = append(l.checker.Settings, b.head)
	case parts[0] == "virtual_server" && len(parts) == 3 && l.rs != nil:
		l.rs.Settings = append(l.rs.Settings, b.head)
	case parts[0] == "virtual_server" && l.vs != nil:
		l.vs.Settings = append(l.vs.Settings, b.head)
	case parts[0] == "bfd_instance" && l.bfd != nil:
		l.bfd.Settings = append(l.bfd.Settings, b.head)
	}
}

func (l *loader) unbuilt(p *parser, k *keyword) {
	w := p.rd.Where()
	file := w.File
	if file == "" {
		file = l.path
	}
	l.cfg.Unbuilt = append(l.cfg.Unbuilt, Unbuilt{File: file, Line: w.Line, Keyword: k.path})
}

// keptAsSetting tells which keywords with a checking handler are also
// kept as settings: the LVS ones, whose engine is not built.
func keptAsSetting(path string) bool {
	switch path {
	case "virtual_server", "virtual_server/real_server", "virtual_server_group":
		return false
	}
	return strings.HasPrefix(path, "virtual_server/")
}

func isChecker(s string) bool {
	return strings.HasSuffix(s, "_CHECK") || s == "HTTP_GET" || s == "SSL_GET"
}

// ownerMissing reports whether a keyword inside a block has no object to
// fill because the block's opening line was rejected.
func (l *loader) ownerMissing(path string) bool {
	root, _, sub := strings.Cut(path, "/")
	if !sub {
		return false
	}
	switch root {
	case "vrrp_instance":
		return l.inst == nil
	case "vrrp_script":
		return l.script == nil
	case "vrrp_sync_group":
		return l.sgroup == nil
	case "vrrp_track_process":
		return l.tproc == nil
	case "track_file", "vrrp_track_file":
		return l.tfile == nil
	case "virtual_server":
		if strings.HasPrefix(path, "virtual_server/real_server/") {
			return l.vs == nil || l.rs == nil
		}
		return l.vs == nil
	}
	return false
}
