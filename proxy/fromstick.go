package proxy

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/sample"
	"fulcrum/proxy/stick"
)

// The adapter's part for stick tables: `stick-table` lines, track-sc and
// sc-* actions of tcp-request and http-request rules, `stick` rules of
// backends, and the sc_*/src_*/table_* fetches.

func init() {
	actedKeywords["stick-table"] = true
	actedKeywords["stick"] = true
	actedKeywords["table"] = true // in peers sections
	registerStickSamples()
}

// stickTable maps the proxy's `stick-table` line (the last one wins).
func (a *adapter) stickTable(px *haproxy.Proxy) {
	for _, d := range px.Section.Lines {
		if d.Keyword != "stick-table" {
			continue
		}
		spec, unbuilt, err := parseStickTable(px.Name, d.Args)
		if err != nil {
			a.alert(d.Pos, "%v", err)
			continue
		}
		if spec.Peers != "" && !a.hasPeersSection(spec.Peers) {
			a.warn(d.Pos, "stick-table '%s' : peers section '%s' is not enabled here: the table is not replicated.", px.Name, spec.Peers)
		}
		a.addTable(spec, unbuilt, d.Pos)
	}
}

// addTable adds a table to the configuration, with the data the stick
// rules need.
func (a *adapter) addTable(spec stick.Spec, unbuilt []string, pos confparse.Pos) {
	for _, u := range unbuilt {
		a.warn(pos, "stick-table '%s' : data type '%s' is accepted but not acted on yet by Fulcrum: it is not stored.", spec.Name, u)
	}
	if a.stickRulesUse(spec.Name) {
		// Persistence data are stored whatever the store list says.
		spec.Store(stick.ServerID, 0)
		spec.Store(stick.ServerKey, 0)
	}
	a.cfg.Tables = append(a.cfg.Tables, spec)
}

// unbuiltData are data types HAProxy 2.6 stores that Fulcrum does not.
var unbuiltData = map[string]bool{"gpc": true, "gpc_rate": true, "gpt": true}

// peersTables maps the `table` lines of peers sections (tables called
// "PEERS/NAME"), replicated by their section.
func (a *adapter) peersTables() {
	names, lines := a.hc.PeersTables()
	for i, d := range lines {
		spec, unbuilt, err := parseStickTable(names[i], d.Args[1:])
		if err != nil {
			a.alert(d.Pos, "%v", err)
			continue
		}
		spec.Peers, _, _ = strings.Cut(names[i], "/")
		a.addTable(spec, unbuilt, d.Pos)
	}
}

// parseStickTable reads the words of a `stick-table` line; unbuilt lists
// the data types it accepts without storing them.
func parseStickTable(name string, args []string) (stick.Spec, []string, error) {
	var unbuilt []string
	s := stick.Spec{Name: name, Size: -1}
	typed := false
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "nopurge" {
			s.NoPurge = true
			continue
		}
		if i+1 >= len(args) {
			return s, nil, fmt.Errorf("stick-table: missing argument after '%s'.", w)
		}
		i++
		v := args[i]
		switch w {
		case "type":
			k, ok := map[string]stick.KeyType{"ip": stick.IP, "ipv6": stick.IPv6, "integer": stick.Integer,
				"string": stick.String, "binary": stick.Binary}[v]
			if !ok {
				return s, nil, fmt.Errorf("stick-table: unknown type '%s'.", v)
			}
			s.Key, typed = k, true
			if k == stick.String || k == stick.Binary {
				s.KeyLen = stick.DefaultKeyLen
				if i+2 < len(args) && args[i+1] == "len" {
					n, err := strconv.Atoi(args[i+2])
					if err != nil || n <= 0 {
						return s, nil, fmt.Errorf("stick-table: key length must be a positive integer (got '%s').", args[i+2])
					}
					s.KeyLen = n
					i += 2
				}
			}
		case "size":
			n, ok := parseCount(v)
			if !ok {
				return s, nil, fmt.Errorf("stick-table: unexpected character in argument of 'size' ('%s').", v)
			}
			s.Size = n
		case "expire":
			d, ok := parseTime(v)
			if !ok {
				return s, nil, fmt.Errorf("stick-table: invalid time '%s' in argument of 'expire'.", v)
			}
			s.Expire = d
		case "peers":
			s.Peers = v
		case "srvkey", "write-to", "recv-only":
		case "store":
			for _, item := range haproxy.SplitTopLevel(v) {
				dname, arg, hasArg := strings.Cut(item, "(")
				if unbuiltData[dname] {
					unbuilt = append(unbuilt, dname)
					continue
				}
				dt, ok := stick.ParseDataType(dname)
				if !ok {
					return s, nil, fmt.Errorf("stick-table: unknown data type '%s'.", dname)
				}
				if dt.IsRate() != hasArg || hasArg && !strings.HasSuffix(arg, ")") {
					return s, nil, fmt.Errorf("stick-table: data type '%s' needs a period such as '%s(10s)' (rates only).", dname, dname)
				}
				period, ok := parseTime(strings.TrimSuffix(arg, ")"))
				if hasArg && (!ok || period <= 0) {
					return s, nil, fmt.Errorf("stick-table: invalid period '%s' for data type '%s'.", arg, dname)
				}
				s.Store(dt, period)
			}
		default:
			return s, nil, fmt.Errorf("stick-table: unknown argument '%s'.", w)
		}
	}
	if !typed {
		return s, nil, fmt.Errorf("stick-table: missing type.")
	}
	if s.Size < 0 {
		return s, nil, fmt.Errorf("stick-table: missing size.")
	}
	return s, unbuilt, nil
}

// parseCount reads a size with an optional k/m/g suffix (powers of 1024).
func parseCount(v string) (int, bool) {
	mul := 1
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 'k', 'K':
			mul = 1 << 10
		case 'm', 'M':
			mul = 1 << 20
		case 'g', 'G':
			mul = 1 << 30
		}
	}
	if mul > 1 {
		v = v[:len(v)-1]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > (1<<31-1)/mul {
		return 0, false
	}
	return n * mul, true
}

// stickRulesUse tells whether some backend's `stick` rules use the table.
func (a *adapter) stickRulesUse(table string) bool {
	for _, px := range a.hc.Proxies {
		if px.Kind != "backend" && px.Kind != "listen" || px.Section == nil {
			continue
		}
		for _, d := range px.Section.Lines {
			if d.Keyword != "stick" {
				continue
			}
			t := px.Name
			for i := 0; i+1 < len(d.Args); i++ {
				if d.Args[i] == "table" {
					t = d.Args[i+1]
				}
			}
			if t == table {
				return true
			}
		}
	}
	return false
}

// hasTable tells whether some proxy of the configuration declares a
// stick-table of that name.
func (a *adapter) hasTable(name string) bool {
	names, _ := a.hc.PeersTables()
	for _, n := range names {
		if n == name {
			return true
		}
	}
	for _, px := range a.hc.Proxies {
		if px.Name != name || px.Section == nil {
			continue
		}
		for _, d := range px.Section.Lines {
			if d.Keyword == "stick-table" {
				return true
			}
		}
	}
	return false
}

// stickAction maps a track-scN, sc-inc-gpcN(N) or sc-set-gpt0(N) action
// (w without its condition) of a rule in proxy px; ok is false when w is
// no such action, and do is nil when it is one that was reported.
// ruleset is the rule's keyword and stage: "tcp-request connection",
// "tcp-request session", "tcp-request content" or "http-request".
func (a *adapter) stickAction(pos confparse.Pos, px string, w []string, ruleset string) (do func(*Session), ok bool) {
	act := w[0]
	switch {
	case strings.HasPrefix(act, "track-sc"):
		slot, msg, _ := haproxy.TrackSlot(act)
		if msg != "" || slot >= stickCounters {
			return nil, false
		}
		if len(w) < 2 {
			a.alert(pos, "'%s' expects a sample expression.", act)
			return nil, true
		}
		tr := &Track{Slot: slot, Table: px, HTTPRequest: ruleset == "http-request",
			Stream: ruleset != "tcp-request connection" && ruleset != "tcp-request session"}
		if len(w) >= 4 && w[2] == "table" {
			tr.Table = w[3]
		}
		if !a.hasTable(tr.Table) {
			return nil, true // the model reported it
		}
		if tr.Key = a.stickKey(pos, w[1]); tr.Key == nil {
			return nil, true
		}
		return tr.Do, true
	case strings.HasPrefix(act, "sc-inc-gpc0(") || strings.HasPrefix(act, "sc-inc-gpc1(") || strings.HasPrefix(act, "sc-set-gpt0("):
		slot, err := strconv.Atoi(strings.TrimSuffix(act[len("sc-inc-gpc0("):], ")"))
		if err != nil || slot < 0 || slot >= stickCounters {
			a.alert(pos, "'%s' : invalid stick counter (expects 0 to %d).", act, stickCounters-1)
			return nil, true
		}
		g := &GPCAction{Slot: slot, Event: stick.EvGPC0}
		switch {
		case strings.HasPrefix(act, "sc-inc-gpc1("):
			g.Event = stick.EvGPC1
		case strings.HasPrefix(act, "sc-set-gpt0("):
			g.SetGPT0 = true
			if v, err := strconv.ParseUint(first(w[1:]), 10, 32); err == nil {
				g.Value = v
				break
			}
			x, err := sample.ParseExpr(first(w[1:]), &sample.Options{ReadFile: os.ReadFile})
			if err != nil {
				a.warn(pos, "'%s %s' : %v; the rule is ignored.", act, first(w[1:]), notBuilt(err))
				return nil, true
			}
			g.Expr = x
		}
		return g.Do, true
	}
	return nil, false
}

// stickKey compiles the key sample of a track-sc or stick rule.
func (a *adapter) stickKey(pos confparse.Pos, expr string) StickKey {
	switch expr {
	case "src": // the usual key, read without the sample machinery
		return func(s *Session, t *stick.Table, buf []byte) ([]byte, bool) { return t.KeyFromAddr(buf, s.Src.Addr()) }
	case "dst":
		return func(s *Session, t *stick.Table, buf []byte) ([]byte, bool) { return t.KeyFromAddr(buf, s.Dst.Addr()) }
	}
	x, err := sample.ParseExpr(expr, &sample.Options{ReadFile: os.ReadFile})
	if err != nil {
		a.warn(pos, "sample '%s' as a stick key : %v; the rule is ignored.", expr, notBuilt(err))
		return nil
	}
	return func(s *Session, t *stick.Table, buf []byte) ([]byte, bool) {
		smp := &s.stk.smp
		if x.Eval(s, smp) != sample.Found {
			return nil, false
		}
		return stickSampleKey(t, buf, smp)
	}
}

// stickSampleKey converts a sample to a table's key type.
func stickSampleKey(t *stick.Table, buf []byte, smp *sample.Sample) ([]byte, bool) {
	switch smp.Type {
	case sample.IPv4, sample.IPv6:
		return t.KeyFromAddr(buf, smp.IP)
	case sample.Int, sample.Bool:
		return t.KeyFromInt(buf, smp.Int)
	case sample.Str, sample.Bin, sample.Meth:
		return t.KeyFromString(buf, string(smp.Bytes))
	}
	return nil, false
}

// stickRules maps a backend's `stick` lines.
func (a *adapter) stickRules(px *haproxy.Proxy, acls map[string][]acl) []StickRule {
	var out []StickRule
	for _, d := range px.Section.Lines {
		if d.Keyword != "stick" || len(d.Args) < 2 {
			continue
		}
		words, condWords := splitCond(d.Args[1:])
		r := StickRule{Table: px.Name}
		switch d.Args[0] {
		case "on":
			r.Match, r.Store = true, true
		case "match":
			r.Match = true
		case "store-request":
			r.Store = true
		case "store-response":
			r.Store, r.Response = true, true
		default:
			continue // the model reported it
		}
		if len(words) >= 3 && words[1] == "table" {
			r.Table = words[2]
		}
		if !a.hasTable(r.Table) {
			continue // the model reported it
		}
		if r.Key = a.stickKey(d.Pos, words[0]); r.Key == nil {
			continue
		}
		cond, ok := a.cond(acls, d.Pos, condWords)
		if !ok {
			continue
		}
		r.Cond = cond
		out = append(out, r)
	}
	return out
}

// Fetches over stick tables: sc_*, sc0_* .. sc2_*, src_*, table_*.

// stickData are the fetch suffixes that read one data type.
var stickData = map[string]stick.DataType{"get_gpc0": stick.GPC0, "get_gpc1": stick.GPC1, "get_gpt0": stick.GPT0,
	"gpc0_rate": stick.GPC0Rate, "gpc1_rate": stick.GPC1Rate, "conn_cnt": stick.ConnCnt, "conn_cur": stick.ConnCur,
	"conn_rate": stick.ConnRate, "sess_cnt": stick.SessCnt, "sess_rate": stick.SessRate,
	"http_req_cnt": stick.HTTPReqCnt, "http_req_rate": stick.HTTPReqRate, "http_err_cnt": stick.HTTPErrCnt,
	"http_err_rate": stick.HTTPErrRate, "bytes_in_rate": stick.BytesInRate, "bytes_out_rate": stick.BytesOutRate,
	"kbytes_in": stick.BytesInCnt, "kbytes_out": stick.BytesOutCnt,
	"http_fail_cnt": stick.HTTPFailCnt, "http_fail_rate": stick.HTTPFailRate}

// stickOp is what a fetch does with the entry it finds.
type stickOp struct {
	data   stick.DataType
	inc    stick.Event // inc_gpc0/1
	clr    bool        // clr_gpc0/1: reset, return the previous value
	isInc  bool
	kbytes bool
	// trackers reads the entry's reference count (table_trackers).
	trackers bool
}

func stickOps() map[string]stickOp {
	ops := map[string]stickOp{}
	for name, d := range stickData {
		ops[name] = stickOp{data: d, kbytes: strings.HasPrefix(name, "kbytes")}
	}
	ops["inc_gpc0"] = stickOp{data: stick.GPC0, inc: stick.EvGPC0, isInc: true}
	ops["inc_gpc1"] = stickOp{data: stick.GPC1, inc: stick.EvGPC1, isInc: true}
	ops["clr_gpc0"] = stickOp{data: stick.GPC0, clr: true}
	ops["clr_gpc1"] = stickOp{data: stick.GPC1, clr: true}
	return ops
}

// apply runs the fetch's operation on an entry (nil: no entry, reads 0).
func (op stickOp) apply(t *stick.Table, e *stick.Entry) (int, Verdict) {
	if op.trackers {
		if e == nil {
			return 0, True
		}
		// The reference counts the reference its own lookup holds.
		return t.Refs(e) + 1, True
	}
	if !t.Stores(op.data) {
		return 0, False // not stored: no sample
	}
	if e == nil {
		return 0, True
	}
	switch {
	case op.isInc:
		return int(t.Inc(e, op.inc)), True
	case op.clr:
		v, _ := t.Value(e, op.data)
		t.Set(e, op.data, 0)
		return int(v), True
	}
	v, _ := t.Value(e, op.data)
	if op.kbytes {
		v >>= 10
	}
	return int(v), True
}

// registerStickSamples adds the sc_*, scN_*, src_*, table_cnt/avl
// fetches and the table_* converters to the sample registry.
func registerStickSamples() {
	sessionOf := func(c *sample.Call) *Session { s, _ := c.Env.(*Session); return s }
	intResult := func(out *sample.Sample, n int, v Verdict) sample.Result {
		*out = sample.Sample{Type: sample.Int, Int: int64(n)}
		return sample.Result(v)
	}
	optTable := []sample.ArgType{sample.ArgStr}
	tableConv := func(name string, op stickOp) {
		sample.RegisterConverter(sample.Converter{Name: name, Args: optTable, MinArgs: 1, In: sample.Any, Out: sample.Int,
			Fn: func(c *sample.Call, args []sample.Arg, smp *sample.Sample) bool {
				n, v := sessionOf(c).tableConv(args[0].Str, smp, op)
				*smp = sample.Sample{Type: sample.Int, Int: int64(n)}
				return v == True
			}})
	}
	for name, op := range stickOps() {
		sample.RegisterFetch(sample.Fetch{Name: "sc_" + name, Args: []sample.ArgType{sample.ArgInt, sample.ArgStr},
			MinArgs: 1, Out: sample.Int, Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
				n, v := sessionOf(c).scFetch(int(c.Args[0].Int), c.Args[1].Str, op)
				return intResult(out, n, v)
			}})
		for slot := 0; slot < stickCounters; slot++ {
			sample.RegisterFetch(sample.Fetch{Name: fmt.Sprintf("sc%d_%s", slot, name), Args: optTable, Out: sample.Int,
				Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
					n, v := sessionOf(c).scFetch(slot, c.Args[0].Str, op)
					return intResult(out, n, v)
				}})
		}
		sample.RegisterFetch(sample.Fetch{Name: "src_" + name, Args: optTable, Out: sample.Int,
			Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
				n, v := sessionOf(c).srcFetch(c.Args[0].Str, op)
				return intResult(out, n, v)
			}})
		if !op.isInc && !op.clr {
			tableConv("table_"+strings.TrimPrefix(name, "get_"), op)
		}
	}
	tableConv("table_server_id", stickOp{data: stick.ServerID})
	tableConv("table_trackers", stickOp{trackers: true})
	for _, name := range []string{"table_expire", "table_idle"} {
		idle := name == "table_idle"
		sample.RegisterConverter(sample.Converter{Name: name, Args: []sample.ArgType{sample.ArgStr, sample.ArgInt},
			MinArgs: 1, In: sample.Any, Out: sample.Int, Fn: func(c *sample.Call, args []sample.Arg, smp *sample.Sample) bool {
				n, ok := sessionOf(c).tableTime(args[0].Str, smp, idle)
				if !ok && !args[1].Set {
					return false // no entry and no default
				}
				if !ok {
					n = args[1].Int
				}
				*smp = sample.Sample{Type: sample.Int, Int: n}
				return true
			}})
	}
	sample.RegisterFetch(sample.Fetch{Name: "src_updt_conn_cnt", Args: optTable, Out: sample.Int,
		Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
			s := sessionOf(c)
			t := s.table(c.Args[0].Str)
			if t == nil || !t.Stores(stick.ConnCnt) {
				return sample.Miss
			}
			key, ok := t.KeyFromAddr(s.stk.keyBuf[:0], s.Src.Addr())
			e := t.Get(key)
			if !ok || e == nil {
				return sample.Miss
			}
			return intResult(out, int(t.Add(e, stick.ConnCnt, 1)), True)
		}})
	sample.RegisterFetch(sample.Fetch{Name: "sc_trackers", Args: []sample.ArgType{sample.ArgInt, sample.ArgStr},
		MinArgs: 1, Out: sample.Int, Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
			n, v := sessionOf(c).scTrackers(int(c.Args[0].Int))
			return intResult(out, n, v)
		}})
	sample.RegisterFetch(sample.Fetch{Name: "sc_tracked", Args: []sample.ArgType{sample.ArgInt, sample.ArgStr},
		MinArgs: 1, Out: sample.Bool, Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
			_, v := sessionOf(c).scTrackers(int(c.Args[0].Int))
			*out = sample.Sample{Type: sample.Bool, Int: int64(v)}
			return sample.Found
		}})
	for slot := 0; slot < stickCounters; slot++ {
		sample.RegisterFetch(sample.Fetch{Name: fmt.Sprintf("sc%d_trackers", slot), Args: optTable, Out: sample.Int,
			Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
				n, v := sessionOf(c).scTrackers(slot)
				return intResult(out, n, v)
			}})
		sample.RegisterFetch(sample.Fetch{Name: fmt.Sprintf("sc%d_tracked", slot), Args: optTable, Out: sample.Bool,
			Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
				_, v := sessionOf(c).scTrackers(slot)
				*out = sample.Sample{Type: sample.Bool, Int: int64(v)}
				return sample.Found
			}})
	}
	for _, f := range []struct {
		name string
		fn   func(*stick.Table) int
	}{{"table_cnt", (*stick.Table).Len}, {"table_avl", (*stick.Table).Available}} {
		sample.RegisterFetch(sample.Fetch{Name: f.name, Args: optTable, Out: sample.Int,
			Fn: func(c *sample.Call, out *sample.Sample) sample.Result {
				t := sessionOf(c).table(c.Args[0].Str)
				if t == nil {
					return sample.Miss
				}
				return intResult(out, f.fn(t), True)
			}})
	}
	sample.RegisterConverter(sample.Converter{Name: "in_table", Args: optTable, MinArgs: 1, In: sample.Any, Out: sample.Bool,
		Fn: func(c *sample.Call, args []sample.Arg, smp *sample.Sample) bool {
			_, e, _ := sessionOf(c).lookupSample(args[0].Str, smp)
			*smp = sample.Sample{Type: sample.Bool}
			if e != nil {
				smp.Int = 1
			}
			return true
		}})
}

// currentProxy is the proxy whose rules are running: the backend once
// one is chosen in http mode, else the frontend.
func (s *Session) currentProxy() string {
	if s.http != nil && s.http.be != nil {
		return s.http.be.cfg.Name
	}
	return s.Frontend
}

// table is a fetch's table argument, or the current proxy's table.
func (s *Session) table(name string) *stick.Table {
	if s == nil || s.Engine == nil {
		return nil
	}
	if name == "" {
		name = s.currentProxy()
	}
	return s.Engine.StickTable(name)
}

// scFetch reads a tracked slot; with a table argument, the slot's key is
// looked up in that table instead.
func (s *Session) scFetch(slot int, table string, op stickOp) (int, Verdict) {
	if s == nil || slot < 0 || slot >= stickCounters {
		return 0, False
	}
	c := s.stk.sc[slot]
	if c.e == nil {
		return 0, False
	}
	if table == "" {
		return op.apply(c.t, c.e)
	}
	t := s.table(table)
	if t == nil {
		return 0, False
	}
	return op.apply(t, t.Lookup([]byte(c.t.EntryKey(c.e))))
}

// lookupSample finds the entry of a converter's input sample in a table
// (e nil when absent); ok is false without such a table or key.
func (s *Session) lookupSample(table string, smp *sample.Sample) (t *stick.Table, e *stick.Entry, ok bool) {
	if t = s.table(table); t == nil {
		return nil, nil, false
	}
	var buf [64]byte
	key, ok := stickSampleKey(t, buf[:0], smp)
	if !ok {
		return nil, nil, false
	}
	return t, t.Lookup(key), true
}

// tableConv is a table_* converter: the sample as a key of the table.
func (s *Session) tableConv(table string, smp *sample.Sample, op stickOp) (int, Verdict) {
	t, e, ok := s.lookupSample(table, smp)
	if !ok {
		return 0, False
	}
	return op.apply(t, e)
}

// tableTime is table_expire / table_idle: the entry's remaining time or
// idle time in ms; ok is false without an entry.
func (s *Session) tableTime(table string, smp *sample.Sample, idle bool) (int64, bool) {
	t, e, ok := s.lookupSample(table, smp)
	if !ok || e == nil {
		return 0, false
	}
	rem, idl := t.Times(e)
	if idle {
		return idl, true
	}
	return rem, true
}

// srcFetch reads the entry of the source address.
func (s *Session) srcFetch(table string, op stickOp) (int, Verdict) {
	t := s.table(table)
	if t == nil {
		return 0, False
	}
	var buf [16]byte
	key, ok := t.KeyFromAddr(buf[:0], s.Src.Addr())
	if !ok {
		return 0, False
	}
	if op.isInc {
		return op.apply(t, t.Get(key))
	}
	return op.apply(t, t.Lookup(key))
}

func (s *Session) scTrackers(slot int) (int, Verdict) {
	if s == nil {
		return 0, False
	}
	if slot < 0 || slot >= stickCounters || s.stk.sc[slot].e == nil {
		return 0, False
	}
	return s.stk.sc[slot].t.Refs(s.stk.sc[slot].e), True
}
