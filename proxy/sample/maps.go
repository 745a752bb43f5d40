package sample

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Map is a loaded map file: keys compiled as patterns of one match
// method, and their values.
type Map struct {
	Name  string
	table mapTable // swapped whole when the Runtime API changes the file
}

// Lookup returns the value of the first key s matches (the longest
// network for ip maps).
func (m *Map) Lookup(s Sample) (Sample, bool) {
	t := m.table.Load()
	i := t.keys.match(&s)
	if i < 0 || i >= len(t.values) {
		return Sample{}, false
	}
	return t.values[i], true
}

// loadMap reads "KEY VALUE" lines: the key is the first word, the value
// the rest of the line; blank lines and '#' comments are skipped.
func loadMap(name, method string, out Type, o *Options) (*Map, error) {
	cacheKey := method + "\x00" + out.String() + "\x00" + name
	if m, ok := o.maps[cacheKey]; ok {
		return m, nil
	}
	if o.ReadFile == nil {
		return nil, fmt.Errorf("failed to load map file '%s'", name)
	}
	data, err := o.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("failed to load map file '%s' : %v", name, err)
	}
	m := &Map{Name: name}
	t := &compiledMap{keys: &patterns{method: method}}
	for n, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(strings.TrimLeft(l, " \t"), "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		key, val := l, ""
		if i := strings.IndexAny(l, " \t"); i >= 0 {
			key, val = l[:i], strings.TrimRight(strings.TrimLeft(l[i:], " \t"), " \t")
		}
		v, err := mapValue(val, out)
		if err != nil {
			return nil, fmt.Errorf("map file '%s' line %d : %v", name, n+1, err)
		}
		if err := t.keys.add(key, nil, nil); err != nil {
			return nil, fmt.Errorf("map file '%s' line %d : %v", name, n+1, err)
		}
		t.values = append(t.values, v)
	}
	t.keys.index()
	m.table.Store(t)
	if o.Refs != nil {
		ref := o.Refs.get(name, true, true, "map at "+o.Where, data, o.Late)
		entries := ref.subscribe(refUser{
			check: func(e Entry) error { _, err := compileMap(method, out, []Entry{e}); return err },
			rebuild: func(list []Entry) {
				if c, err := compileMap(method, out, list); err == nil {
					m.table.Store(c)
				}
			},
		})
		if c, err := compileMap(method, out, entries); err == nil {
			m.table.Store(c)
		}
	}
	if o.maps == nil {
		o.maps = map[string]*Map{}
	}
	o.maps[cacheKey] = m
	return m, nil
}

// mapValue converts a map value or a default to the map's output type.
func mapValue(v string, t Type) (Sample, error) {
	switch t {
	case Int:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Sample{}, fmt.Errorf("'%s' is not an integer", v)
		}
		return intSample(n), nil
	case Addr:
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return Sample{}, fmt.Errorf("'%s' is not an IP address", v)
		}
		return ipSample(ip), nil
	}
	return strSample([]byte(v)), nil
}

func init() {
	methods := map[string]Type{"str": Str, "beg": Str, "sub": Str, "dir": Str, "dom": Str, "end": Str,
		"reg": Str, "ip": Addr, "int": Int}
	outs := map[string]Type{"str": Str, "int": Int, "ip": Addr}
	for m, in := range methods {
		for o, out := range outs {
			// map_str_str is spelled map_str.
			name := "map_" + m + "_" + o
			if o == "str" {
				name = "map_" + m
			}
			RegisterConverter(mapConverter(name, m, in, out))
		}
	}
	RegisterConverter(mapConverter("map", "str", Str, Str))
}

func mapConverter(name, method string, in, out Type) Converter {
	return Converter{Name: name, Args: []ArgType{ArgMap, ArgStr}, MinArgs: 1, In: in, Out: out,
		mapMatch: method,
		Check: func(a []Arg) error {
			if a[1].Set {
				if _, err := mapValue(a[1].Str, out); err != nil {
					return fmt.Errorf("default value : %v", err)
				}
			}
			return nil
		},
		Fn: func(_ *Call, a []Arg, s *Sample) bool {
			if v, ok := a[0].Map.Lookup(*s); ok {
				*s = v
				return true
			}
			if !a[1].Set {
				return false
			}
			*s, _ = mapValue(a[1].Str, out)
			return true
		}}
}
