package haproxy

import "fmt"

// auxMaxArgs are the single-valued keywords of the auxiliary sections.
var auxMaxArgs = map[string]map[string]int{
	"cache": {"total-max-size": 1, "max-object-size": 1, "max-age": 1, "process-vary": 1, "max-secondary-entries": 1},
}

// resolverHoldEvents are the events "hold" accepts in a resolvers section.
var resolverHoldEvents = setOf("nx", "timeout", "valid", "obsolete", "other", "refused")

// auxArgs checks the values of auxiliary-section keywords as the
// reference does; false when the line is refused.
func (l *loader) auxArgs(d line) bool {
	if l.tooManyArgs(auxMaxArgs[l.kind], d) {
		return false
	}
	badTime := func(what, v string) bool {
		if _, msg := parseTime(v); msg != "" {
			l.alertTight(d.pos, fmt.Sprintf("unexpected character '%c' in argument to <%s>.", badTimeChar(v), what))
			return true
		}
		return false
	}
	switch {
	case d.kw == "timeout" && (l.kind == "resolvers" || l.kind == "mailers"):
		kinds, expect := setOf("retry", "resolve"), "'retry' or 'resolve'"
		if l.kind == "mailers" {
			kinds, expect = setOf("mail"), "'mail'"
		}
		kind := d.arg(0)
		switch {
		case !kinds[kind]:
			l.alert(d.pos, fmt.Sprintf("'timeout' expects %s and <time> as arguments got '%s'.", expect, kind))
			return false
		case len(d.args) < 2:
			l.alert(d.pos, fmt.Sprintf("'timeout %s' expects <time> as argument.", kind))
			return false
		case badTime("timeout "+kind, d.args[1]):
			return false
		}
	case l.kind == "resolvers" && d.kw == "hold":
		if !resolverHoldEvents[d.arg(0)] {
			l.alert(d.pos, fmt.Sprintf("'hold' unknown <event>: '%s', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.", d.arg(0)))
			return false
		}
		if badTime("hold", d.arg(1)) {
			return false
		}
	case l.kind == "resolvers" && d.kw == "accepted_payload_size":
		if n := atoi(d.arg(0)); n < 12 || n > 65535 {
			l.alert(d.pos, fmt.Sprintf("'accepted_payload_size' must be between 12 and 65535 inclusive (was %s).", d.arg(0)))
			return false
		}
	case l.kind == "ring" && (d.kw == "size" || d.kw == "maxlen"):
		if atoi(d.arg(0)) <= 0 {
			l.alert(d.pos, fmt.Sprintf("invalid size '%s' for new sink buffer.", d.arg(0)))
			return false
		}
	}
	return true
}
