package haproxy

import (
	"fmt"
	"strings"

	"fulcrum/confparse"
)

// warnChecksWithoutOption gives the reference's warning for a proxy with
// http-check (kw "http-check") or tcp-check rules but not the option that
// runs them (a frontend never has it). The reference gives the two at
// different points of its checks.
func (l *loader) warnChecksWithoutOption(p *Proxy, kw string) {
	for _, c := range []struct{ kw, option string }{{"http-check", "httpchk"}, {"tcp-check", "tcp-check"}} {
		if c.kw != kw {
			continue
		}
		rules := false
		for _, d := range p.Section.Lines {
			if d.Keyword == c.kw && len(d.Args) > 0 && d.Args[0] != "disable-on-404" && d.Args[0] != "send-state" {
				rules = true
			}
		}
		enabled := p.Options[c.option]
		if !p.hasBE() {
			// a frontend does not take the check from its defaults
			enabled = false
			for _, d := range p.Section.Lines {
				enabled = enabled || d.Keyword == "option" && len(d.Args) > 0 && d.Args[0] == c.option
			}
		}
		if rules && !enabled {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("%s '%s' uses %s rules without 'option %s', so the rules are ignored.", proxyWord(p), p.Name, c.kw, c.option))
		}
	}
}

// uses reports whether the proxy or the defaults it starts from has a
// line with this keyword.
func (p *Proxy) uses(kw string) bool {
	for _, lines := range [][]Directive{p.Section.Lines, p.inheritedLines} {
		for _, d := range lines {
			if d.Keyword == kw {
				return true
			}
		}
	}
	return false
}

// warnIgnoredSettings gives the reference's warning for an
// external-check command without the option.
func (l *loader) warnIgnoredSettings(p *Proxy) {
	warn := func(format string, a ...any) {
		l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf(format, a...))
	}
	if p.Options["external-check command"] && !p.Options["external-check"] {
		warn("'external-check command' will be ignored for %s '%s' (requires 'option external-check').", proxyWord(p), p.Name)
	}
}

// layer7Hashes are the balance algorithms that need HTTP.
var layer7Hashes = setOf("uri", "url_param", "hdr")

// warnNoHTTP gives, first among a proxy's checks as the reference does,
// the warnings for the HTTP settings a proxy outside HTTP mode drops:
// its cookie, monitor-uri, a layer 7 hash, option httplog. A setting
// inherited from defaults counts only where the proxy has the capability
// that takes it; its own line always counts.
func (l *loader) warnNoHTTP(p *Proxy) {
	if modeOf(p) == "http" {
		return
	}
	warn := func(format string, a ...any) {
		l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf(format, a...))
	}
	if p.Section.has("cookie") || p.hasBE() && p.uses("cookie") {
		warn("cookie will be ignored for %s '%s' (needs 'mode http').", proxyWord(p), p.Name)
	}
	if p.Section.has("monitor-uri") || p.hasFE() && p.uses("monitor-uri") {
		warn("monitor-uri will be ignored for %s '%s' (needs 'mode http').", proxyWord(p), p.Name)
	}
	if layer7Hashes[p.balanceAlgo()] {
		warn("Layer 7 hash not possible for %s '%s' (needs 'mode http'). Falling back to round robin.", proxyWord(p), p.Name)
	}
	pos, httplog := p.logFormatPos, p.hasFE() && p.Options["httplog"]
	if !p.hasFE() {
		pos, httplog = p.ownOptionPos("httplog")
	}
	if httplog {
		l.emit(confparse.Warning, pos, fmt.Sprintf("parsing [%s:%d] : 'option httplog' not usable with %s '%s' (needs 'mode http'). Falling back to 'option tcplog'.", pos.File, pos.Line, proxyWord(p), p.Name))
	}
}

// balanceAlgo is the name of the proxy's balance algorithm, without its
// arguments ("hdr" for "hdr(host)"), or "". A proxy without backend
// capability ignores it but the reference still records its own line's
// (not one from defaults).
func (p *Proxy) balanceAlgo() string {
	algo := ""
	if len(p.Balance) > 0 {
		algo = p.Balance[0]
	}
	if !p.hasBE() {
		algo = ""
		for _, d := range p.Section.Lines {
			if d.Keyword == "balance" {
				algo = "roundrobin"
				if len(d.Args) > 0 {
					algo = d.Args[0]
				}
			}
		}
	}
	name, _, _ := strings.Cut(algo, "(")
	return name
}

// ownOptionPos finds the last "option NAME" line of the proxy's own
// section.
func (p *Proxy) ownOptionPos(name string) (confparse.Pos, bool) {
	var pos confparse.Pos
	found := false
	for _, d := range p.Section.Lines {
		if d.Keyword == "option" && len(d.Args) > 0 && d.Args[0] == name {
			pos, found = d.Pos, true
		}
	}
	return pos, found
}

// warnNoBind warns of a frontend without any bind line.
func (l *loader) warnNoBind(p *Proxy) {
	if p.hasFE() && !p.uses("bind") {
		l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("%s '%s' has no 'bind' directive. Please declare it as a backend if this was intended.", proxyWord(p), p.Name))
	}
}
