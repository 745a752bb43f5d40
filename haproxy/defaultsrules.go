package haproxy

import (
	"fmt"

	"fulcrum/confparse"
)

// definesRules tells whether a defaults section holds TCP/HTTP rules it
// accepted (an inspect-delay is a setting, not a rule). It cannot have
// inherited any: rulesInheritable refuses that.
func (p *Proxy) definesRules() bool {
	for _, r := range p.Rules {
		if len(r.Action) > 0 && r.Action[0] != "inspect-delay" {
			return true
		}
	}
	return false
}

// rulesInheritable refuses, as the reference does, a section inheriting
// the rules of a defaults section when they could not apply to it alone:
// another defaults section, a listen section (it would run them on both
// sides), or frontends and backends both using the same section. The
// reference stops reading.
func (l *loader) rulesInheritable(pos confparse.Pos, px, base *Proxy) bool {
	if !base.definesRules() {
		return true
	}
	msg := ""
	switch prev := l.ruleHeirs[base]; {
	case px.Kind == "defaults":
		msg = fmt.Sprintf("a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at %s:%d).",
			base.Section.Pos.File, base.Section.Pos.Line)
	case px.Kind == "listen":
		msg = "a listen section cannot inherit from a defaults section defining TCP/HTTP rules."
	case prev != "" && prev != px.Kind:
		msg = fmt.Sprintf("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at %s:%d).",
			base.Section.Pos.File, base.Section.Pos.Line)
	}
	if msg != "" {
		l.alertTight(pos, msg)
		l.abort = true
		return false
	}
	if l.ruleHeirs == nil {
		l.ruleHeirs = map[*Proxy]string{}
	}
	l.ruleHeirs[base] = px.Kind
	return true
}
