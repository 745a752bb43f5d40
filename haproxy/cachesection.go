package haproxy

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"fulcrum/confparse"
)

// The checks the reference makes of `cache` sections and of the rules
// and filters that name them, with its words.

// cacheBlockSize is the reference's unit of cache memory.
const cacheBlockSize = 1024

// maxCacheMB is the largest total-max-size (its size in bytes must fit
// 32 bits).
const maxCacheMB = math.MaxUint32 >> 20

// cacheNameMax is the length the reference truncates cache names to.
const cacheNameMax = 32

// cacheHeader checks a cache section's header line: a name, nothing
// after it, not the name of an earlier cache section.
func (l *loader) cacheHeader(pos confparse.Pos, args []string) {
	switch {
	case len(args) == 0:
		l.alert(pos, "'cache' expects a <name> argument")
		l.abort = true
		return
	case len(args) > 1:
		l.alert(pos, fmt.Sprintf("'cache' cannot handle unexpected argument '%s'.", args[1]))
		l.abort = true
		return
	}
	name := CacheName(args[0])
	if name != args[0] {
		l.emit(confparse.Warning, pos, fmt.Sprintf("parsing [%s:%d]: cache name is limited to %d characters, truncate to '%s'.", pos.File, pos.Line, cacheNameMax, name))
	}
	for _, o := range l.cfg.Others {
		if o.Kind == "cache" && len(o.Args) > 0 && CacheName(o.Args[0]) == name && cacheAccepted(o) {
			l.alertTight(pos, fmt.Sprintf("Duplicate cache name '%s'.", name))
			l.abort = true
			return
		}
	}
}

// CacheName is a cache section's name as the reference keeps it.
func CacheName(s string) string {
	if len(s) > cacheNameMax {
		return s[:cacheNameMax]
	}
	return s
}

// strtoul reads a whole unsigned number as C's strtoul does (a leading
// minus wraps around); false when it is not one.
func strtoul(s string) (uint64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	digits := s
	if neg || len(s) > 0 && s[0] == '+' {
		digits = s[1:]
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// cacheValue checks the value of a cache keyword given one; false when
// the reference refuses the line (it then stops reading the file).
func (l *loader) cacheValue(d line) bool {
	v := d.arg(0)
	refuse := func(msg string) bool {
		l.emit(confparse.Warning, d.pos, fmt.Sprintf("parsing [%s:%d]: %s", d.pos.File, d.pos.Line, msg))
		l.fileFatal = true
		l.abort = true
		return false
	}
	switch d.kw {
	case "total-max-size":
		n, ok := strtoul(v)
		switch {
		case !ok:
			return refuse(fmt.Sprintf("total-max-size wrong value '%s'", v))
		case n > maxCacheMB:
			return refuse(fmt.Sprintf("\"total-max-size\" (%s) must not be greater than %d", v, maxCacheMB))
		}
	case "max-object-size":
		if _, ok := strtoul(v); !ok {
			return refuse(fmt.Sprintf("max-object-size wrong value '%s'", v))
		}
	case "max-secondary-entries":
		if n, ok := strtoul(v); !ok || uint32(n) == 0 {
			return refuse(fmt.Sprintf("max-secondary-entries wrong value '%s'", v))
		}
	case "process-vary":
		if v != "on" && v != "off" {
			l.emit(confparse.Warning, d.pos, fmt.Sprintf(`parsing [%s:%d]: 'process-vary' expects "on" or "off" (enable or disable vary processing).`, d.pos.File, d.pos.Line))
		}
	}
	return true
}

// cacheSizes are a cache section's size in blocks and its object size
// limit, as the reference reads them.
func cacheSizes(sec *Section) (blocks, maxObj uint64) {
	for _, d := range sec.Lines {
		n, _ := strtoul(firstArg(d))
		switch d.Keyword {
		case "total-max-size":
			blocks = uint32Of(n * (1 << 20) / cacheBlockSize)
		case "max-object-size":
			maxObj = uint32Of(n)
		}
	}
	return blocks, maxObj
}

// cacheAccepted tells a cache section the reference keeps: one with a
// size that its object limit fits.
func cacheAccepted(sec *Section) bool {
	blocks, maxObj := cacheSizes(sec)
	return blocks > 0 && maxObj <= blocks*cacheBlockSize/2
}

// closeCache checks a cache section once read: a size, and objects of
// at most half of it.
func (l *loader) closeCache() {
	blocks, maxObj := cacheSizes(l.sec)
	name := CacheName(l.sec.Args[0])
	switch {
	case blocks == 0:
		l.emit(confparse.Alert, confparse.Pos{}, fmt.Sprintf("Size not specified for cache '%s'", name))
		l.fileFatal = true
	case maxObj > blocks*cacheBlockSize/2:
		l.emit(confparse.Alert, confparse.Pos{}, fmt.Sprintf("\"max-object-size\" is limited to an half of \"total-max-size\" => %d", blocks*cacheBlockSize/2))
		l.fileFatal = true
	}
}

func uint32Of(n uint64) uint64 { return uint64(uint32(n)) }

// firstArg is a line's first argument, "" when it has none.
func firstArg(d Directive) string {
	if args := argsOf(d.Args); len(args) > 0 {
		return args[0]
	}
	return ""
}

// implicitCache tells a cache-use or cache-store rule, which declares a
// cache filter of the cache it names unless one is declared already.
func implicitCache(d Directive) (name string, ok bool) {
	args := argsOf(d.Args)
	if len(args) > 1 && (d.Keyword == "http-request" && args[0] == "cache-use" || d.Keyword == "http-response" && args[0] == "cache-store") {
		return args[1], true
	}
	return "", false
}

// cacheFilter checks a `filter cache NAME` line: one explicit
// declaration per cache and proxy.
func (l *loader) cacheFilter(px *Proxy, d line) {
	if d.arg(0) != "cache" || len(d.args) < 2 {
		return
	}
	for _, o := range px.Section.Lines {
		if o.Pos == d.pos {
			break
		}
		if args := argsOf(o.Args); o.Keyword == "filter" && len(args) > 1 && args[0] == "cache" && args[1] == d.args[1] {
			l.alert(d.pos, fmt.Sprintf("'filter' : '%s: multiple explicit declarations of the cache filter '%s''", px.Name, d.args[1]))
			return
		}
	}
}

// cacheRefs checks the caches the proxies name: each must exist, and be
// declared with `filter cache` when the proxy has other filters (that
// each comes before compression is compressionFilters' check).
func (l *loader) cacheRefs(alert func(confparse.Pos, string)) {
	caches := map[string]bool{}
	for _, o := range l.cfg.Others {
		if o.Kind == "cache" && len(o.Args) > 0 && cacheAccepted(o) {
			caches[CacheName(o.Args[0])] = true
		}
	}
	type filter struct {
		name     string // "" for another filter than a cache
		implicit bool   // declared by a cache rule
		other    bool   // a filter a cache may not implicitly go with
	}
	for _, p := range l.cfg.Proxies {
		var filters []filter
		find := func(name string) int {
			for i, f := range filters {
				if f.name == name {
					return i
				}
			}
			return -1
		}
		for _, d := range p.Section.Lines {
			args := argsOf(d.Args)
			switch {
			case d.Keyword == "filter" && len(args) > 0 && args[0] == "cache" && len(args) > 1:
				if i := find(args[1]); i >= 0 && filters[i].implicit {
					filters[i].implicit = false // the explicit one takes its place
					continue
				}
				filters = append(filters, filter{name: args[1]})
			case d.Keyword == "filter" && len(args) > 0:
				filters = append(filters, filter{other: args[0] != "compression" && args[0] != "fcgi-app"})
			default:
				if name, ok := implicitCache(d); ok && find(name) < 0 {
					filters = append(filters, filter{name: name, implicit: true})
				}
			}
		}
		for _, f := range filters {
			if f.name == "" {
				continue
			}
			if !caches[f.name] {
				alert(confparse.Pos{}, fmt.Sprintf("config: %s '%s': unable to find the cache '%s' referenced by the filter 'cache'.", proxyWord(p), p.Name, f.name))
				continue
			}
			if f.implicit && slices.ContainsFunc(filters, func(o filter) bool { return o.other }) {
				alert(confparse.Pos{}, fmt.Sprintf("config: %s '%s': require an explicit filter declaration to use the cache '%s'.", proxyWord(p), p.Name, f.name))
			}
		}
	}
}
