// Package stats holds a point-in-time copy of the proxy engine's
// statistics in HAProxy 2.6's field model, and renders it as the reference
// does: the CSV of `show stat` and `;csv`, the typed and JSON forms, the
// `show info` fields, the HTML statistics page and the Prometheus
// exporter. It knows nothing of the engine: the engine fills a Snapshot.
package stats

import (
	"strconv"
	"strings"
)

// Kind is the type of a field value; the zero Kind is an empty field.
type Kind uint8

// Value kinds, named as `show stat typed` names them.
const (
	Empty Kind = iota
	KindStr
	KindU32
	KindS32
	KindU64
)

func (k Kind) String() string {
	return [...]string{"", "str", "u32", "s32", "u64"}[k]
}

// Value is one field value.
type Value struct {
	Kind Kind
	Str  string
	Num  int64
}

// Str, U32, S32 and U64 make values.
func Str(s string) Value      { return Value{Kind: KindStr, Str: s} }
func U32(n int64) Value       { return Value{Kind: KindU32, Num: n} }
func S32(n int64) Value       { return Value{Kind: KindS32, Num: n} }
func U64(n int64) Value       { return Value{Kind: KindU64, Num: n} }
func (v Value) IsEmpty() bool { return v.Kind == Empty }

// String is the value as the CSV prints it.
func (v Value) String() string {
	switch v.Kind {
	case Empty:
		return ""
	case KindStr:
		return v.Str
	}
	return strconv.FormatInt(v.Num, 10)
}

// ObjType is what a row describes.
type ObjType byte

// Object types, with the letters of `show stat typed`.
const (
	Frontend ObjType = 'F'
	Backend  ObjType = 'B'
	Server   ObjType = 'S'
	// Listener rows follow their frontend's under option socket-stats.
	Listener ObjType = 'L'
)

// Row is one line of statistics: a frontend, a listener, a server or a
// backend.
type Row struct {
	Type    ObjType
	ProxyID int // iid
	ID      int // sid: the server's or listener's id, 0 otherwise
	// Maint and Down mark servers in maintenance or stopped, for the
	// `up` and `no-maint` filters.
	Maint, Down bool
	Values      [NumFields]Value
}

// Proxy is the proxy name of the row.
func (r *Row) Proxy() string { return r.Values[Pxname].Str }

// Name is the row's svname (FRONTEND, BACKEND or the server name).
func (r *Row) Name() string { return r.Values[Svname].Str }

// Set stores v in field f.
func (r *Row) Set(f Field, v Value) { r.Values[f] = v }

// Snapshot is the statistics of every proxy, in output order: per proxy
// its frontend, its listeners, its servers, then its backend.
type Snapshot struct {
	Rows []Row
}

// Options select rows as `show stat` arguments and the page's URL flags
// do.
type Options struct {
	// Up hides servers that are down or in maintenance (`up`, `;up`);
	// NoMaint hides servers in maintenance (`no-maint`). Either adds the
	// "(up/total)" count to backend statuses, as the reference does.
	Up, NoMaint bool
	// Scope, when not empty, keeps only proxies whose name contains it
	// (`stats scope`-like `;scope=`); Proxies keeps only these names.
	Scope   string
	Proxies []string
	// ProxyID, when not zero, keeps one proxy (`show stat <iid>`); -1
	// means all. Types is a mask of 1 (frontends), 2 (backends), 4
	// (servers) and 8 (listeners), 0 = all; ServerID keeps one server
	// or listener (-1 = all).
	ProxyID  int
	Types    int
	ServerID int
}

// Select returns the rows opts keep, with the backend status decorated
// as the reference does under the up/no-maint filters.
func (s *Snapshot) Select(opts Options) []Row {
	var out []Row
	for _, r := range s.Rows {
		if !opts.keeps(&r) {
			continue
		}
		if r.Type == Backend && (opts.Up || opts.NoMaint) {
			up, total := s.serverCounts(r.Proxy())
			if st := r.Values[Status]; st.Kind == KindStr {
				r.Values[Status] = Str(st.Str + " (" + strconv.Itoa(up) + "/" + strconv.Itoa(total) + ")")
			}
		}
		out = append(out, r)
	}
	return out
}

func (o *Options) keeps(r *Row) bool {
	if r.Type == Server {
		if o.NoMaint && r.Maint {
			return false
		}
		if o.Up && (r.Maint || r.Down) {
			return false
		}
	}
	if o.Scope != "" && !strings.Contains(r.Proxy(), o.Scope) {
		return false
	}
	if len(o.Proxies) > 0 {
		found := false
		for _, p := range o.Proxies {
			found = found || p == r.Proxy()
		}
		if !found {
			return false
		}
	}
	if o.ProxyID > 0 && r.ProxyID != o.ProxyID {
		return false
	}
	if o.Types != 0 {
		bit := map[ObjType]int{Frontend: 1, Backend: 2, Server: 4, Listener: 8}[r.Type]
		if o.Types&bit == 0 {
			return false
		}
	}
	if o.ServerID > 0 && (r.Type == Server || r.Type == Listener) && r.ID != o.ServerID {
		return false
	}
	return true
}

// serverCounts counts a backend's usable servers and all its servers
// (nbup/nbsrv of the reference's backend status).
func (s *Snapshot) serverCounts(proxy string) (up, total int) {
	for i := range s.Rows {
		r := &s.Rows[i]
		if r.Type != Server || r.Proxy() != proxy {
			continue
		}
		total++
		st := r.Values[Status].Str
		if strings.HasPrefix(st, "UP") || st == "no check" || strings.HasPrefix(st, "DRAIN") || strings.HasPrefix(st, "NOLB") {
			up++
		}
	}
	return up, total
}
