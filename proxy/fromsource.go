package proxy

import (
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/srcbind"
)

// sourceOf maps the `source` a server's connections and checks bind: the
// server's own option, else the last `source` line of its backend (or
// defaults), else none.
func (a *adapter) sourceOf(px *haproxy.Proxy, name string, opts map[string]string, pos confparse.Pos) *srcbind.Source {
	words := strings.Fields(opts["source"])
	if _, ok := opts["source"]; ok {
		if u, ok := opts["usesrc"]; ok {
			// server-template lines keep "usesrc" as an option of its own.
			words = append(words, "usesrc", u)
		}
	} else {
		for _, d := range a.linesOf(px) {
			if d.Keyword == "source" {
				words, pos = d.Args, d.Pos
			}
		}
	}
	if len(words) == 0 {
		return nil
	}
	src, err := srcbind.Parse(words)
	if err != nil {
		a.alert(pos, "'server %s/%s' : 'source' : %v.", px.Name, name, err)
		return nil
	}
	return src
}
