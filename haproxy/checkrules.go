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
