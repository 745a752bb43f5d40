package proxy

import (
	"slices"

	"fulcrum/confparse"
	"fulcrum/haproxy"
)

// serversInOrder maps a proxy's `server` and `server-template` lines in
// the configuration's order, which numbers them (ids, round robin), as
// the reference does. Servers whose line is not found come first, in the
// model's order.
func (a *adapter) serversInOrder(px *haproxy.Proxy) []*Server {
	lineOf := map[confparse.Pos]int{}
	for i, d := range px.Section.Lines {
		if d.Keyword == "server" {
			lineOf[d.Pos] = i
		}
	}
	type entry struct {
		line    int
		servers []*Server
	}
	var entries []entry
	for _, s := range px.Servers {
		line, ok := lineOf[s.Pos]
		if !ok {
			line = -1
		}
		if srv := a.server(px, s.Name, s.Addr, s.Options, s.Pos); srv != nil {
			entries = append(entries, entry{line, []*Server{srv}})
		}
	}
	for i, d := range px.Section.Lines {
		if d.Keyword == "server-template" {
			entries = append(entries, entry{i, a.serverTemplate(px, d)})
		}
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return x.line - y.line })
	var out []*Server
	for _, e := range entries {
		out = append(out, e.servers...)
	}
	return out
}
