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
	for i := 0; i+1 < len(words); i++ {
		if words[i] == "usesrc" && strings.HasPrefix(words[i+1], "hdr_ip(") {
			// An HTTP header's address: not built, the source address is bound.
			a.warn(pos, "'server %s/%s' : 'usesrc %s' is not acted on yet by Fulcrum: the source address is used.", px.Name, name, words[i+1])
			words = append(words[:i:i], words[i+2:]...)
			break
		}
	}
	src, err := srcbind.Parse(words)
	if err != nil {
		a.alert(pos, "'server %s/%s' : 'source' : %v.", px.Name, name, err)
		return nil
	}
	return src
}
