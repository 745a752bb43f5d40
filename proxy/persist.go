package proxy

import (
	"fulcrum/haproxy"
)

// PersistRule is an ignore-persist or force-persist line of a backend:
// the first whose condition matches decides for the request.
type PersistRule struct {
	Force bool // force-persist (else ignore-persist)
	Cond  Cond
}

// persistRules maps a backend's ignore-persist and force-persist lines,
// in their order.
func (a *adapter) persistRules(lines []haproxy.Directive, acls map[string][]acl) []PersistRule {
	var rules []PersistRule
	for _, d := range lines {
		if d.Keyword != "ignore-persist" && d.Keyword != "force-persist" {
			continue
		}
		cond, ok := a.cond(acls, d.Pos, d.Args)
		if !ok {
			continue
		}
		rules = append(rules, PersistRule{Force: d.Keyword == "force-persist", Cond: cond})
	}
	return rules
}

// persistence is what the backend's persist rules say of the current
// request: ignore its persistence cookie, or follow it even to a server
// that is down (force).
func (b *backend) persistence(sess *Session) (ignore, force bool) {
	for _, r := range b.cfg.HTTP.Actions.Persist {
		if r.Cond == nil || r.Cond(sess) == True {
			return !r.Force, r.Force
		}
	}
	return false, false
}
