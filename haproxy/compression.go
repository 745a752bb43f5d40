package haproxy

import (
	"fmt"

	"fulcrum/confparse"
)

// The compression filter's configuration checks: `compression offload`
// in a defaults section, the `filter compression` line, and once every
// file is read the reference's rules for proxies that declare their
// filters explicitly.

// compressionOffload warns about `compression offload` in defaults,
// which the reference ignores there.
func (l *loader) compressionOffload(px *Proxy, d line) {
	if d.arg(0) == "offload" && px.Kind == "defaults" {
		l.warn(d.pos, "'compression' : 'offload' ignored in 'defaults' section.")
	}
}

// filterCompression checks a `filter compression` line: it takes no
// argument, and a proxy has one at most.
func (l *loader) filterCompression(px *Proxy, d line) {
	if d.arg(0) != "compression" || px.Section == nil {
		return
	}
	if len(d.args) > 1 {
		l.alert(d.pos, fmt.Sprintf("'filter compression' : unknown keyword '%s'.", d.args[1]))
		return
	}
	lines := px.Section.Lines
	for _, o := range lines[:max(len(lines)-1, 0)] {
		if o.Keyword == "filter" && len(o.Args) > 0 && o.Args[0] == "compression" && o.Pos != d.pos {
			l.alert(d.pos, fmt.Sprintf("'filter' : '%s: Proxy supports only one compression filter\n'", px.Name))
			return
		}
	}
}

// compressionFilters applies, once every file is read, the reference's
// rules on filter order: a proxy with compression settings and explicit
// filters must declare the compression filter too, and the compression
// filter may not come before a cache (which the proxy's compression check
// and then each cache's own check report).
func (l *loader) compressionFilters(alert func(confparse.Pos, string)) {
	for _, p := range l.cfg.Proxies {
		if p.Section == nil {
			continue
		}
		comp, explicit := false, false
		var late []string // caches after the compression filter
		for _, d := range p.Section.Lines {
			if d.Keyword != "filter" || len(d.Args) == 0 {
				continue
			}
			switch d.Args[0] {
			case "compression":
				comp = true
			case "cache":
				if comp {
					late = append(late, argAt(d.Args, 1))
				}
			case "fcgi-app":
			default:
				explicit = true
			}
		}
		switch {
		case !p.hasCompression():
		case len(late) > 0:
			alert(confparse.Pos{}, fmt.Sprintf("config: %s '%s': unable to enable the compression filter before any cache filter.", proxyWord(p), p.Name))
		case !comp && explicit:
			alert(confparse.Pos{}, fmt.Sprintf("config: %s '%s': require an explicit filter declaration to use HTTP compression", proxyWord(p), p.Name))
		}
		for _, c := range late {
			alert(confparse.Pos{}, fmt.Sprintf("config: %s '%s': unable to enable the compression filter before the cache '%s'.", proxyWord(p), p.Name, c))
		}
	}
}

// hasCompression tells whether p has `compression` settings, of its own
// or from its defaults.
func (p *Proxy) hasCompression() bool {
	for _, lines := range [][]Directive{p.inheritedLines, p.Section.Lines} {
		for _, d := range lines {
			if d.Keyword == "compression" {
				return true
			}
		}
	}
	return false
}

func argAt(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}
