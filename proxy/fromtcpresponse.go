package proxy

import (
	"time"

	"fulcrum/haproxy"
)

// responseRules maps a backend's `tcp-response inspect-delay` and
// `tcp-response content` rules in tcp mode; the http engine does not run
// them.
func (a *adapter) responseRules(px *haproxy.Proxy, lines []haproxy.Directive, acls map[string][]acl) (rules []Rule, delay time.Duration) {
	for _, d := range lines {
		if d.Keyword != "tcp-response" {
			continue
		}
		if px.Mode == "http" {
			continue // warned by the model as not acted on (haproxy.Config.Pending)
		}
		args := d.Args
		switch first(args) {
		case "inspect-delay":
			if len(args) > 1 {
				delay, _ = parseTime(args[1])
			}
			continue
		case "content":
		default:
			a.warn(d.Pos, "'tcp-response %s' is not acted on yet by Fulcrum.", first(args))
			continue
		}
		words, condWords := splitCond(args[1:])
		act, do, ok := a.tcpRuleAction(d.Pos, px.Name, "tcp-response content", words, tcpResponseFinals)
		if !ok {
			continue
		}
		cond, ok := a.cond(acls, d.Pos, condWords)
		if !ok {
			continue
		}
		rules = append(rules, Rule{Action: act, Cond: cond, Do: do})
	}
	return rules, delay
}
