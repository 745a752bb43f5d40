package stick

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeClock is a manual clock for the tables under test.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// newTable builds a table from a definition in stick-table words: "type
// T [len N] size N [expire MS] [nopurge] [store TYPE[:PERIOD_MS],...]".
func newTable(t *testing.T, def string) (*Table, *fakeClock) {
	t.Helper()
	spec := Spec{Name: "tb", KeyLen: DefaultKeyLen}
	w := strings.Fields(def)
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case "type":
			i++
			spec.Key = map[string]KeyType{"ip": IP, "ipv6": IPv6, "integer": Integer, "string": String, "binary": Binary}[w[i]]
		case "len", "size", "expire":
			i++
			n, _ := strconv.Atoi(w[i])
			switch w[i-1] {
			case "len":
				spec.KeyLen = n
			case "size":
				spec.Size = n
			default:
				spec.Expire = time.Duration(n) * time.Millisecond
			}
		case "nopurge":
			spec.NoPurge = true
		case "store":
			i++
			for _, item := range strings.Split(w[i], ",") {
				name, period, _ := strings.Cut(item, ":")
				d, ok := ParseDataType(name)
				if !ok {
					t.Fatalf("bad data type %q", name)
				}
				ms, _ := strconv.Atoi(period)
				spec.Store(d, time.Duration(ms)*time.Millisecond)
			}
		default:
			t.Fatalf("bad table definition word %q", w[i])
		}
	}
	c := &fakeClock{t: time.Unix(1000, 0)}
	return New(spec, c.now), c
}

func ipKey(t *testing.T, tb *Table, s string) []byte {
	t.Helper()
	k, ok := tb.KeyFromAddr(nil, netip.MustParseAddr(s))
	if !ok {
		t.Fatalf("no key for %s", s)
	}
	return k
}

func TestRateSlidingWindow(t *testing.T) {
	tb, c := newTable(t, "type ip size 10 store http_req_rate:10000,http_req_cnt")
	e := tb.Track(ipKey(t, tb, "10.0.0.1"))
	for i := 0; i < 10; i++ {
		tb.Count(e, EvHTTPReq, 1)
	}
	steps := []struct {
		desc  string
		after time.Duration
		want  uint64
	}{
		{"within the period", 9 * time.Second, 10},
		{"a quarter into the next period", 3500 * time.Millisecond, 7}, // 10 * 7.5/10
		{"half way", 2500 * time.Millisecond, 5},
		{"two periods later", 10 * time.Second, 0},
	}
	for _, s := range steps {
		c.advance(s.after)
		if v, _ := tb.Value(e, HTTPReqRate); v != s.want {
			t.Errorf("%s: rate %d, want %d", s.desc, v, s.want)
		}
	}
	if v, _ := tb.Value(e, HTTPReqCnt); v != 10 {
		t.Errorf("http_req_cnt %d, want 10", v)
	}
	// Counting again after a long pause starts from zero.
	tb.Count(e, EvHTTPReq, 1)
	if v, _ := tb.Value(e, HTTPReqRate); v != 1 {
		t.Errorf("rate after pause %d, want 1", v)
	}
}

func TestConnCurAndNotStored(t *testing.T) {
	tb, _ := newTable(t, "type ip size 10 store conn_cur,conn_cnt")
	e := tb.Track(ipKey(t, tb, "10.0.0.1"))
	tb.Count(e, EvConn, 1)
	tb.Count(e, EvConn, 1)
	tb.Count(e, EvConnEnd, 1)
	if v, _ := tb.Value(e, ConnCur); v != 1 {
		t.Errorf("conn_cur %d, want 1", v)
	}
	if v, _ := tb.Value(e, ConnCnt); v != 2 {
		t.Errorf("conn_cnt %d, want 2", v)
	}
	if _, ok := tb.Value(e, GPC0); ok {
		t.Error("gpc0 reads as stored")
	}
	if got := tb.Inc(e, EvGPC0); got != 0 {
		t.Errorf("sc-inc-gpc0 on a table without gpc0 returned %d", got)
	}
}

func TestExpiry(t *testing.T) {
	tb, c := newTable(t, "type ip size 10 expire 10000 store gpc0")
	held := tb.Track(ipKey(t, tb, "10.0.0.1"))
	free := tb.Get(ipKey(t, tb, "10.0.0.2"))
	tb.Inc(free, EvGPC0)
	c.advance(11 * time.Second)
	if tb.Lookup(ipKey(t, tb, "10.0.0.2")) != nil {
		t.Error("unreferenced entry outlived its expiry")
	}
	if tb.Lookup(ipKey(t, tb, "10.0.0.1")) == nil {
		t.Error("tracked entry expired")
	}
	tb.Release(held)
	c.advance(9 * time.Second)
	if tb.Len() != 1 {
		t.Errorf("released entry gone before its renewed expiry (len %d)", tb.Len())
	}
	c.advance(2 * time.Second)
	if tb.Len() != 0 {
		t.Errorf("len %d after expiry, want 0", tb.Len())
	}
}

func TestEvictionOldestUnreferenced(t *testing.T) {
	tb, c := newTable(t, "type string len 8 size 2 expire 60000 store http_req_cnt")
	key := func(s string) []byte { k, _ := tb.KeyFromString(nil, s); return k }
	a := tb.Track(key("a"))
	c.advance(time.Second)
	tb.Get(key("b"))
	c.advance(time.Second)
	if tb.Get(key("c")) == nil {
		t.Fatal("no room made for c")
	}
	if tb.Lookup(key("b")) != nil || tb.Lookup(key("a")) == nil {
		t.Error("eviction did not take the oldest unreferenced entry (b)")
	}
	tb.Track(key("c"))
	if tb.Get(key("d")) != nil {
		t.Error("an entry was created in a table full of referenced entries")
	}
	tb.Release(a)
	if tb.Get(key("d")) == nil || tb.Lookup(key("a")) != nil {
		t.Error("released entry a was not evicted for d")
	}
}

func TestNoPurge(t *testing.T) {
	tb, _ := newTable(t, "type integer size 1 nopurge")
	k1, _ := tb.KeyFromInt(nil, 1)
	k2, _ := tb.KeyFromInt(nil, 2)
	tb.Get(k1)
	if tb.Get(k2) != nil {
		t.Error("nopurge table evicted an entry")
	}
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		desc, def, in, shown string
		ok                   bool
	}{
		{"ipv4 in ip", "type ip size 1", "10.1.2.3", "10.1.2.3", true},
		{"mapped in ip", "type ip size 1", "::ffff:10.1.2.3", "10.1.2.3", true},
		{"ipv6 in ip", "type ip size 1", "2001:db8::1", "", false},
		{"ipv4 in ipv6", "type ipv6 size 1", "127.0.0.1", "::ffff:127.0.0.1", true},
		{"string truncated", "type string len 4 size 1", "abcdef", "abcd", true},
		{"binary padded", "type binary len 4 size 1", ";:", "3B3A0000", true},
		{"integer", "type integer size 1", "807794786", "807794786", true},
		{"integer prefix", "type integer size 1", "12abc", "12", true},
		{"not an integer", "type integer size 1", "x", "", false},
	} {
		tb, _ := newTable(t, tc.def)
		k, ok := tb.KeyFromString(nil, tc.in)
		if ok != tc.ok {
			t.Errorf("%s: ok=%v", tc.desc, ok)
			continue
		}
		if ok && tb.FormatKey(string(k)) != tc.shown {
			t.Errorf("%s: shown %q, want %q", tc.desc, tb.FormatKey(string(k)), tc.shown)
		}
	}
}

func TestShow(t *testing.T) {
	tb, c := newTable(t, "type ip size 1024 expire 30000 store gpc0,conn_rate:10000,server_key,server_id")
	e2 := tb.Get(ipKey(t, tb, "10.0.0.2"))
	tb.Inc(e2, EvGPC0)
	tb.Inc(e2, EvGPC0)
	e1 := tb.Track(ipKey(t, tb, "10.0.0.1"))
	tb.Count(e1, EvConn, 1)
	tb.SetServer(e1, 2, "s2")
	c.advance(10 * time.Millisecond)
	var b strings.Builder
	tb.Show(&b, Query{})
	got := maskIDs(b.String())
	want := "# table: tb, type: ip, size:1024, used:2\n" +
		"ID: key=10.0.0.1 use=1 exp=29990 server_id=2 gpc0=0 conn_rate(10000)=1 server_key=s2\n" +
		"ID: key=10.0.0.2 use=0 exp=29990 server_id=0 gpc0=2 conn_rate(10000)=0 server_key=-\n"
	if got != want {
		t.Errorf("show table:\n%s\nwant:\n%s", got, want)
	}
	q, err := tb.ParseQuery([]string{"data.gpc0", "gt", "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	tb.Show(&b, q)
	if strings.Count(b.String(), "\n0x") != 1 || !strings.Contains(b.String(), "key=10.0.0.2") {
		t.Errorf("filtered show:\n%s", b.String())
	}
	if n := tb.ClearQuery(Query{}); n != 1 || tb.Len() != 1 {
		t.Errorf("clear removed %d (len %d), want the one unreferenced entry", n, tb.Len())
	}
}

func TestParseQueryErrors(t *testing.T) {
	tb, _ := newTable(t, "type ip size 1 store gpc0")
	bin, _ := newTable(t, "type binary size 1 store gpc0")
	for _, tc := range []struct {
		desc  string
		tb    *Table
		words string
		clear bool
		want  string
	}{
		{"unknown type", tb, "data.foo gt 1", false, "Filter entry #1: Unknown data type"},
		{"not stored", tb, "data.gpc1 gt 1", false, "Filter entry #1: Data type not stored in this table"},
		{"no operator", tb, "data.gpc0", false, `Filter entry #1: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"`},
		{"bad value", tb, "data.gpc0 gt x", false, "Filter entry #1: Require a valid integer value to compare against"},
		{"other word", tb, "foo", false, `Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>`},
		{"binary key", bin, "key 00", false, "Showing keys from tables of type other than ip, ipv6, string and integer is not supported"},
		{"binary key clear", bin, "key 00", true, "Removing keys from tables of type other than ip, ipv6, string and integer is not supported"},
	} {
		_, err := tc.tb.ParseQuery(strings.Fields(tc.words), tc.clear)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.desc, err, tc.want)
		}
	}
}

// maskIDs replaces the entry ids ("0x...:") by "ID:".
func maskIDs(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "0x") {
			if j := strings.Index(l, ":"); j > 0 {
				lines[i] = "ID" + l[j:]
			}
		}
	}
	return strings.Join(lines, "\n")
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tb, _ := newTable(t, "type ip size 10 store http_req_cnt")
	a := netip.MustParseAddr("10.0.0.1")
	var buf [16]byte
	k, _ := tb.KeyFromAddr(buf[:0], a)
	tb.Get(k)
	allocs := testing.AllocsPerRun(100, func() {
		k, _ := tb.KeyFromAddr(buf[:0], a)
		e := tb.Track(k)
		tb.Count(e, EvHTTPReq, 1)
		tb.Release(e)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per tracked lookup, want 0", allocs)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"data.gpc0 gt 1", "key 10.0.0.1", "data.conn_rate(10s) eq", "key", "data."} {
		f.Add(s)
	}
	tb, _ := newTable(&testing.T{}, "type ip size 10 store gpc0,conn_rate:10000")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := tb.ParseQuery(strings.Fields(s), false)
		if err == nil {
			var b strings.Builder
			tb.Show(&b, q)
			tb.ClearQuery(q)
		}
	})
}

func TestSetQuery(t *testing.T) {
	tb, _ := newTable(t, "type integer size 10 store gpc0,gpt0,http_req_rate:10000")
	for _, tc := range []struct{ desc, words, err string }{
		{"set two values", "key 8 data.gpc0 2 data.http_req_rate 4", ""},
		{"no key value", "key", "Key value expected"},
		{"bad key", "key x data.gpc0 1", "Invalid key"},
		{"unknown type", "key 7 data.foo 1", "Unknown data type"},
		{"not stored", "key 7 data.gpc1 1", "Data type not stored in this table"},
		{"no value", "key 7 data.gpc0", "Require a valid integer value to store"},
		{"not data", "key 9 foo 1", `"data.<type>" followed by a value expected`},
	} {
		err := tb.SetQuery(strings.Fields(tc.words))
		if got := fmt.Sprint(err); tc.err == "" && err != nil || tc.err != "" && got != tc.err {
			t.Errorf("%s: %v, want %q", tc.desc, err, tc.err)
		}
	}
	k, _ := tb.ParseKey("8")
	e := tb.Lookup(k)
	if e == nil {
		t.Fatal("set table created no entry")
	}
	if v, _ := tb.Value(e, GPC0); v != 2 {
		t.Errorf("gpc0 %d, want 2", v)
	}
	if v, _ := tb.Value(e, HTTPReqRate); v != 4 {
		t.Errorf("http_req_rate %d, want 4", v)
	}
}

// TestRemovedEntryStaysOut: an unreferenced entry a caller still holds
// when it is evicted is not relinked by a later update, and a new entry
// of the same key is not disturbed.
func TestRemovedEntryStaysOut(t *testing.T) {
	tb, _ := newTable(t, "type integer size 1 store gpc0")
	k1, _ := tb.KeyFromInt(nil, 1)
	k2, _ := tb.KeyFromInt(nil, 2)
	old := tb.Get(k1)
	tb.Get(k2) // evicts k1
	tb.Inc(old, EvGPC0)
	fresh := tb.Get(k1) // evicts k2, new entry for k1
	tb.Get(k2)          // evicts fresh
	if tb.Len() != 1 || tb.Lookup(k2) == nil {
		t.Errorf("table corrupted: len %d", tb.Len())
	}
	if fresh == old {
		t.Error("evicted entry came back")
	}
}

// TestConcurrentUse: trackers, readers and the dump at once keep the
// counts exact (run with -race).
func TestConcurrentUse(t *testing.T) {
	tb, _ := newTable(t, "type ip size 4 expire 60000 store http_req_cnt,conn_cur")
	const workers, rounds = 8, 200
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			k := ipKey(t, tb, fmt.Sprintf("10.0.0.%d", w%2))
			for i := 0; i < rounds; i++ {
				e := tb.Track(k)
				tb.Count(e, EvConn, 1)
				tb.Count(e, EvHTTPReq, 1)
				tb.Value(e, HTTPReqCnt)
				tb.Count(e, EvConnEnd, 1)
				tb.Release(e)
				if i%50 == 0 {
					tb.Show(io.Discard, Query{})
				}
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	for i := 0; i < 2; i++ {
		e := tb.Lookup(ipKey(t, tb, fmt.Sprintf("10.0.0.%d", i)))
		if v, _ := tb.Value(e, HTTPReqCnt); v != workers/2*rounds {
			t.Errorf("10.0.0.%d: http_req_cnt %d, want %d", i, v, workers/2*rounds)
		}
		if v, _ := tb.Value(e, ConnCur); v != 0 {
			t.Errorf("10.0.0.%d: conn_cur %d, want 0", i, v)
		}
	}
}

// TestShowOrder: entries come in the reference's tree order: integers by
// their little-endian bytes (256 before 3), addresses numerically.
func TestShowOrder(t *testing.T) {
	for _, tc := range []struct {
		desc, def string
		keys      []string
		want      []string
	}{
		{"integers", "type integer size 10", []string{"3", "256", "5"}, []string{"256", "3", "5"}},
		{"addresses", "type ip size 10", []string{"10.0.0.10", "10.0.0.9", "9.0.0.1"}, []string{"9.0.0.1", "10.0.0.9", "10.0.0.10"}},
		{"strings", "type string size 10", []string{"b", "a", "ab"}, []string{"a", "ab", "b"}},
	} {
		tb, _ := newTable(t, tc.def)
		for _, k := range tc.keys {
			key, _ := tb.ParseKey(k)
			tb.Get(key)
		}
		var b strings.Builder
		tb.Show(&b, Query{})
		var got []string
		for _, l := range strings.Split(b.String(), "\n") {
			if _, rest, ok := strings.Cut(l, "key="); ok {
				got = append(got, strings.Fields(rest)[0])
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: order %q, want %q", tc.desc, got, tc.want)
		}
	}
}

// TestEvictionBatch: a full table frees size/256+1 entries at once.
func TestEvictionBatch(t *testing.T) {
	tb, _ := newTable(t, "type integer size 256")
	for i := int64(1); i <= 256; i++ {
		k, _ := tb.KeyFromInt(nil, i)
		tb.Get(k)
	}
	k, _ := tb.KeyFromInt(nil, 999)
	tb.Get(k)
	if n := tb.Len(); n != 255 {
		t.Errorf("len %d after one insert into a full table of 256, want 255 (two evicted)", n)
	}
}

func TestApply(t *testing.T) {
	tb, _ := newTable(t, "type ip size 10 store conn_cur,http_err_cnt,bytes_in_cnt,bytes_out_rate:1000")
	e := tb.Track(ipKey(t, tb, "10.0.0.1"))
	tb.Count(e, EvConn, 1)
	tb.Apply(e, Update{Err: true, In: 10, Out: 20})
	tb.Apply(e, Update{In: 5, End: true})
	for _, c := range []struct {
		d    DataType
		want uint64
	}{{ConnCur, 0}, {HTTPErrCnt, 1}, {BytesInCnt, 15}, {BytesOutRate, 20}} {
		if v, _ := tb.Value(e, c.d); v != c.want {
			t.Errorf("%s = %d, want %d", c.d, v, c.want)
		}
	}
	if tb.Refs(e) != 0 {
		t.Errorf("use=%d after the end, want 0", tb.Refs(e))
	}
}
