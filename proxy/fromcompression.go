package proxy

import (
	"slices"
	"strconv"

	"fulcrum/haproxy"
	"fulcrum/proxy/httpcomp"
)

func init() {
	// `filter` lines other than `filter compression` are warned about
	// by filterNotices.
	actedKeywords["compression"], actedKeywords["filter"] = true, true
	// The transaction keeps what they tell: they work in log formats.
	logTimeFetches["res.comp"], logTimeFetches["res.comp_algo"] = true, true
}

// actsOnCompGlobal tells the global compression keywords the adapter
// maps.
func actsOnCompGlobal(keyword string) bool { return keyword == "tune.comp.maxlevel" }

// compression maps px's `compression` lines (its defaults' included,
// given in lines) and `filter compression` onto the engine; nil when it
// has neither, as the reference's proxy then has no compression settings.
func (a *adapter) compression(px *haproxy.Proxy, lines []haproxy.Directive) *Compression {
	var c *Compression
	settings := func() *Compression {
		if c == nil {
			c = &Compression{Level: a.compLevel()}
		}
		return c
	}
	own := px.Section.Lines
	for _, d := range lines {
		switch {
		case d.Keyword == "compression" && len(d.Args) > 0:
			c := settings()
			switch d.Args[0] {
			case "algo":
				// Each one goes in front of those before it.
				for _, w := range d.Args[1:] {
					if algo, ok := httpcomp.ParseAlgo(w); ok {
						c.Algos = slices.Insert(c.Algos, 0, algo)
					}
				}
			case "type":
				c.Types = append(c.Types, d.Args[1:]...)
			case "offload":
				// Ignored in defaults (the model warns).
				c.Offload = c.Offload || slices.ContainsFunc(own, func(o haproxy.Directive) bool { return o.Pos == d.Pos })
			}
		case d.Keyword == "filter" && first(d.Args) == "compression":
			settings()
		}
	}
	return c
}

// compLevel is the global tune.comp.maxlevel (the last one), 1 without.
func (a *adapter) compLevel() int {
	level := 1
	if sec := a.hc.Global.Section; sec != nil {
		for _, d := range sec.Lines {
			if n, err := strconv.Atoi(first(d.Args)); d.Keyword == "tune.comp.maxlevel" && err == nil {
				level = n
			}
		}
	}
	return level
}

// filterNotices warns about every `filter` of px the engine does not
// run: all but compression.
func (a *adapter) filterNotices(px *haproxy.Proxy) {
	if px.Section == nil {
		return
	}
	for _, d := range px.Section.Lines {
		if d.Keyword == "filter" && first(d.Args) != "compression" {
			a.warnOnce(d.Pos, "'filter %s' is not acted on yet by Fulcrum.", first(d.Args))
		}
	}
}
