package haproxy

import "strings"

// trackTables lists, in the order the reference checks them (tcp-request
// rules, then http-request, then http-response), the tables the
// proxy's track-scN rules use: "table T", else the proxy itself.
func (p *Proxy) trackTables() (tables, actions []string) {
	for _, kw := range []string{"tcp-request", "http-request", "http-response"} {
		for _, r := range p.Rules {
			if r.Keyword != kw {
				continue
			}
			act := r.Action
			if kw == "tcp-request" && len(act) > 0 {
				act = act[1:] // the ruleset word
			}
			if len(act) == 0 || !strings.HasPrefix(act[0], "track-sc") {
				continue
			}
			t := p.Name
			if len(act) >= 4 && act[2] == "table" {
				t = act[3]
			}
			tables, actions = append(tables, t), append(actions, act[0])
		}
	}
	return tables, actions
}
