package proxy

import (
	"strconv"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/httpcache"
)

// cacheSections builds the stores of the configuration's cache sections
// by name, with the reference's defaults: max-age 60s, a 256th of the
// size per object, 10 variants per key.
func (a *adapter) cacheSections() map[string]*httpcache.Cache {
	if a.caches != nil {
		return a.caches
	}
	a.caches = map[string]*httpcache.Cache{}
	for _, sec := range a.hc.Order {
		if sec.Kind != "cache" || len(sec.Args) == 0 {
			continue
		}
		s := httpcache.Settings{Name: sec.Args[0], MaxAge: 60, MaxSecondary: 10}
		if len(s.Name) > 32 {
			s.Name = s.Name[:32] // as the reference truncates it
		}
		for _, d := range sec.Lines {
			arg := ""
			if len(d.Args) > 0 {
				arg = d.Args[0]
			}
			n := leadingInt(arg)
			switch d.Keyword {
			case "total-max-size":
				s.Blocks = n * (1 << 20) / httpcache.BlockSize
			case "max-object-size":
				s.MaxObjectSize = n
			case "max-age":
				s.MaxAge = n
			case "process-vary":
				s.ProcessVary = arg == "on"
			case "max-secondary-entries":
				s.MaxSecondary = n
			}
		}
		if s.MaxObjectSize == 0 {
			s.MaxObjectSize = s.Blocks * httpcache.BlockSize >> 8
		}
		a.caches[sec.Args[0]] = httpcache.New(s)
	}
	return a.caches
}

// leadingInt reads a number as C's atoi does: its leading digits (after
// an optional sign), 0 without any.
func leadingInt(s string) int {
	end := 0
	if end < len(s) && (s[0] == '-' || s[0] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// cacheList is the cache sections' stores in their order.
func (a *adapter) cacheList() []*httpcache.Cache {
	var out []*httpcache.Cache
	for _, sec := range a.hc.Order {
		if c := a.cacheSections()[firstArgOf(sec)]; sec.Kind == "cache" && c != nil {
			out = append(out, c)
		}
	}
	return out
}

// firstArgOf is a section's name, "" when it has none.
func firstArgOf(sec *haproxy.Section) string {
	if len(sec.Args) == 0 {
		return ""
	}
	return sec.Args[0]
}

// cacheRule maps `http-request cache-use NAME` and `http-response
// cache-store NAME`.
func (a *adapter) cacheRule(sc *ruleScope, pos confparse.Pos, w []string) (HTTPRule, bool) {
	act := HTTPCacheUse
	if w[0] == "cache-store" {
		act = HTTPCacheStore
	}
	if (act == HTTPCacheUse) != (sc.kw == "http-request") || act == HTTPCacheStore && sc.kw != "http-response" {
		a.warn(pos, "'%s %s' is not acted on yet by Fulcrum (not a %s action); the rule is ignored.", sc.kw, w[0], sc.kw)
		return HTTPRule{}, false
	}
	name := ""
	if len(w) > 1 {
		name = w[1]
	}
	c := a.cacheSections()[name]
	if c == nil {
		a.alert(confparse.Pos{}, "config: %s '%s': unable to find the cache '%s' referenced by the filter 'cache'.", proxyKind(sc.px), sc.px.Name, name)
		return HTTPRule{}, false
	}
	return HTTPRule{Action: act, Cache: c}, true
}

// proxyKind is how the reference names a proxy's kind in its post-check
// messages.
func proxyKind(px *haproxy.Proxy) string {
	if px.Kind == "listen" {
		return "proxy"
	}
	return px.Kind
}

// cacheFilterChecks checks a proxy's `filter cache` lines: each names a
// cache section and comes before compression (the model checks them
// first; these guard the engine's own configuration).
func (a *adapter) cacheFilterChecks(px *haproxy.Proxy) {
	compression := false
	for _, d := range px.Section.Lines {
		if d.Keyword != "filter" || len(d.Args) == 0 {
			continue
		}
		switch d.Args[0] {
		case "cache":
			name := ""
			if len(d.Args) > 1 {
				name = d.Args[1]
			}
			switch {
			case a.cacheSections()[name] == nil:
				a.alert(confparse.Pos{}, "config: %s '%s': unable to find the cache '%s' referenced by the filter 'cache'.", proxyKind(px), px.Name, name)
			case compression:
				a.alert(confparse.Pos{}, "config: %s '%s': unable to enable the compression filter before the cache '%s'.", proxyKind(px), px.Name, name)
			}
		case "compression":
			compression = true
		}
	}
}
