package haproxy

import (
	"fmt"
	"strings"
)

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
			switch {
			case len(act) >= 4 && act[2] == "table":
				t = act[3]
			case len(act) == 3 && act[2] == "table":
				t = "" // a tcp rule's missing name: no table has it
			}
			slot, _, _ := TrackSlot(act[0])
			tables, actions = append(tables, t), append(actions, fmt.Sprintf("track-sc%d", slot))
		}
	}
	return tables, actions
}

// layer4Fetches read only the connection: a tcp-request content rule
// tracking one of them does not depend on the request's contents.
var layer4Fetches = setOf("src", "dst", "src_port", "dst_port", "so_id", "so_name", "src_is_local", "dst_is_local")

// contentTrackWarnings are the reference's warnings about the
// `tcp-request content track-sc*` rules of a frontend: in http mode one
// tracking only connection data belongs at the session level; one
// reading the request needs an inspect delay.
func (l *loader) contentTrackWarnings(p *Proxy) []string {
	if !p.hasFE() {
		return nil
	}
	var out []string
	for _, r := range p.Rules {
		if r.Keyword != "tcp-request" || len(r.Action) < 3 || r.Action[0] != "content" ||
			!strings.HasPrefix(r.Action[1], "track-sc") {
			continue
		}
		fetch := r.Action[2]
		if i := strings.IndexAny(fetch, "(,"); i >= 0 {
			fetch = fetch[:i]
		}
		switch {
		case layer4Fetches[fetch] || strings.HasPrefix(fetch, "fc_"):
			if modeOf(p) == "http" {
				out = append(out, fmt.Sprintf("%s '%s' : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests).", proxyWord(p), p.Name))
			}
		case !l.hasInspectDelay(p):
			out = append(out, fmt.Sprintf("%s '%s' : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay' setting. This means that this rule will randomly find its contents. This can be fixed by setting the tcp-request inspect-delay.", proxyWord(p), p.Name))
		}
	}
	return out
}

// hasInspectDelay tells whether the proxy or its defaults section sets
// `tcp-request inspect-delay`.
func (l *loader) hasInspectDelay(p *Proxy) bool {
	sets := func(s *Section) bool {
		for _, d := range s.Lines {
			if d.Keyword == "tcp-request" && len(d.Args) > 1 && d.Args[0] == "inspect-delay" {
				return true
			}
		}
		return false
	}
	if sets(p.Section) {
		return true
	}
	var dflt *Proxy
	for _, sec := range l.cfg.Order {
		if sec == p.Section {
			break
		}
		for _, d := range l.cfg.Defaults {
			if d.Section == sec {
				dflt = d
			}
		}
	}
	if p.From != "" {
		dflt = l.defaults[p.From]
	}
	return dflt != nil && dflt.Section != nil && sets(dflt.Section)
}

// SplitTopLevel cuts "a,b(c,d),e" at the commas outside parentheses (a
// `store` list, where gpc_rate(2,10s) holds one).
func SplitTopLevel(s string) []string { return splitTopLevel(s) }

// PeersTables lists the `table NAME ...` lines of the peers sections,
// each with its full name "PEERS/NAME" (how rules refer to it).
func (c *Config) PeersTables() (names []string, lines []Directive) {
	for _, sec := range c.Others {
		if sec.Kind != "peers" || len(sec.Args) == 0 {
			continue
		}
		for _, d := range sec.Lines {
			if d.Keyword == "table" && len(d.Args) > 0 {
				names, lines = append(names, sec.Args[0]+"/"+d.Args[0]), append(lines, d)
			}
		}
	}
	return names, lines
}

func (c *Config) hasPeersTable(name string) bool {
	names, _ := c.PeersTables()
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// stickTablePeers is the `peers` argument of the proxy's stick-table
// line ("" for none; the last line wins, as for the table itself).
func stickTablePeers(p *Proxy) string {
	name := ""
	for _, d := range p.Section.Lines {
		if d.Keyword != "stick-table" {
			continue
		}
		name = ""
		for i := 0; i+1 < len(d.Args); i++ {
			if d.Args[i] == "peers" {
				name = d.Args[i+1]
			}
		}
	}
	return name
}

// hasPeersSection tells whether a peers section (enabled or not) has
// that name.
func (c *Config) hasPeersSection(name string) bool {
	for _, sec := range c.Others {
		if sec.Kind == "peers" && len(sec.Args) > 0 && sec.Args[0] == name {
			return true
		}
	}
	return false
}
