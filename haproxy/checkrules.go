package haproxy

import (
	"fmt"

	"fulcrum/confparse"
)

// warnChecksWithoutOption gives the reference's warning for a proxy with
// http-check or tcp-check rules but not the option that runs them (a
// frontend never has it).
func (l *loader) warnChecksWithoutOption(p *Proxy) {
	for _, c := range []struct{ kw, option string }{{"http-check", "httpchk"}, {"tcp-check", "tcp-check"}} {
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

// warnIgnoredSettings gives the reference's warnings for settings a
// proxy cannot use: a frontend without bind, a cookie or monitor-uri
// outside HTTP mode, an external-check command without the option.
func (l *loader) warnIgnoredSettings(p *Proxy) {
	warn := func(format string, a ...any) {
		l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf(format, a...))
	}
	if p.hasFE() && !p.uses("bind") {
		warn("%s '%s' has no 'bind' directive. Please declare it as a backend if this was intended.", proxyWord(p), p.Name)
	}
	if modeOf(p) != "http" {
		if p.uses("cookie") {
			warn("cookie will be ignored for %s '%s' (needs 'mode http').", proxyWord(p), p.Name)
		}
		if p.uses("monitor-uri") {
			warn("monitor-uri will be ignored for %s '%s' (needs 'mode http').", proxyWord(p), p.Name)
		}
	}
	if p.Options["external-check command"] && !p.Options["external-check"] {
		warn("'external-check command' will be ignored for %s '%s' (requires 'option external-check').", proxyWord(p), p.Name)
	}
}
