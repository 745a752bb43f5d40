package stick

import (
	"sync"
	"time"
)

// Entry is one key's record. Its fields are guarded by its table's lock;
// read them through the Table's methods.
type Entry struct {
	key  string
	id   uint64 // shown as the entry's "pointer"
	exp  int64  // expiry, table milliseconds
	refs int32  // trackers holding it: never expired nor evicted while > 0
	cnt  [numTypes]uint64
	rate [numTypes]freq
	// srvKey is the server_key data (the server's name).
	srvKey string

	prev, next *Entry // touch order: least recently touched first
	dead       bool   // removed from its table
}

// Table is a stick table. All methods are safe for concurrent use.
type Table struct {
	spec  Spec
	clock func() time.Time
	base  time.Time

	mu     sync.Mutex
	m      map[string]*Entry
	head   *Entry // least recently touched
	tail   *Entry
	nextID uint64
	// watch is told of local changes (replication, see replica.go).
	watch func(key string)
}

// New creates an empty table; clock is nil for the wall clock (tests
// inject their own).
func New(spec Spec, clock func() time.Time) *Table {
	if clock == nil {
		clock = time.Now
	}
	return &Table{spec: spec, clock: clock, base: clock(), m: map[string]*Entry{}, nextID: 0x1000}
}

// Spec is the table's definition.
func (t *Table) Spec() Spec { return t.spec }

// Name is the table's name (its proxy's).
func (t *Table) Name() string { return t.spec.Name }

// Stores tells whether the table keeps a data type.
func (t *Table) Stores(d DataType) bool { return t.spec.Stored[d] }

func (t *Table) now() int64 { return t.clock().Sub(t.base).Milliseconds() }

// unlink takes e out of the touch list (if it is in).
func (t *Table) unlink(e *Entry) {
	if e.prev == nil && t.head != e {
		return // not linked yet
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		t.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		t.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// touch renews e's expiry and moves it to the recent end. An entry
// already removed (held by a caller across an eviction) stays out.
func (t *Table) touch(e *Entry, now int64) {
	if e.dead {
		return
	}
	e.exp = now + t.spec.Expire.Milliseconds()
	if t.watch != nil {
		t.watch(e.key)
	}
	if t.tail == e {
		return
	}
	t.unlink(e)
	e.prev = t.tail
	if t.tail != nil {
		t.tail.next = e
	} else {
		t.head = e
	}
	t.tail = e
}

func (t *Table) remove(e *Entry) {
	t.unlink(e)
	delete(t.m, e.key)
	e.dead = true
}

// expired tells whether an entry's time is over (tables without expire
// keep entries until evicted).
func (t *Table) expired(e *Entry, now int64) bool {
	return t.spec.Expire > 0 && e.refs == 0 && now >= e.exp
}

// purge removes expired entries. The touch list is in expiry order, so
// it stops at the first live one (referenced ones are skipped).
func (t *Table) purge(now int64) {
	if t.spec.Expire <= 0 {
		return
	}
	for e := t.head; e != nil && now >= e.exp; {
		next := e.next
		if e.refs == 0 {
			t.remove(e)
		}
		e = next
	}
}

// evict frees room for one entry by removing the least recently touched
// unreferenced entries (a batch of size/256+1), as HAProxy does when a
// table is full. It reports whether room was made.
func (t *Table) evict() bool {
	if t.spec.NoPurge {
		return false
	}
	batch := t.spec.Size>>8 + 1
	freed := 0
	for e := t.head; e != nil && freed < batch; {
		next := e.next
		if e.refs == 0 {
			t.remove(e)
			freed++
		}
		e = next
	}
	return freed > 0
}

// lookupLocked finds a live entry.
func (t *Table) lookupLocked(key []byte, now int64) *Entry {
	e := t.m[string(key)] // no allocation: the compiler keeps the conversion
	if e == nil {
		return nil
	}
	if t.expired(e, now) {
		t.remove(e)
		return nil
	}
	return e
}

// getLocked finds or creates the entry of key; nil when the table is
// full of referenced entries (or nopurge).
func (t *Table) getLocked(key []byte, now int64) *Entry {
	if e := t.lookupLocked(key, now); e != nil {
		return e
	}
	t.purge(now)
	if len(t.m) >= t.spec.Size && !t.evict() {
		return nil
	}
	t.nextID += 0x38
	e := &Entry{key: string(key), id: t.nextID}
	for i := range e.rate {
		e.rate[i].tick = now // periods start with the entry
	}
	t.m[e.key] = e
	t.touch(e, now)
	return e
}

// Lookup returns the live entry of key, or nil. It neither creates nor
// touches it (src_* fetches read without tracking).
func (t *Table) Lookup(key []byte) *Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lookupLocked(key, t.now())
}

// Get returns the entry of key, created if missing, and renews it
// (stick store, sc-inc on src_*); nil when the table is full.
func (t *Table) Get(key []byte) *Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.getLocked(key, now)
	if e != nil {
		t.touch(e, now)
	}
	return e
}

// Track returns the entry of key with a reference held (it will not
// expire or be evicted until Release); nil when the table is full.
func (t *Table) Track(key []byte) *Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.getLocked(key, now)
	if e != nil {
		e.refs++
		t.touch(e, now)
	}
	return e
}

// Release drops a reference taken by Track and renews the entry.
func (t *Table) Release(e *Entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.refs > 0 {
		e.refs--
	}
	t.touch(e, t.now())
}

// Event is something counted on tracked entries.
type Event uint8

// Events and the data types each updates.
const (
	EvConn     Event = iota // conn_cnt, conn_rate, conn_cur
	EvConnEnd               // conn_cur down
	EvSess                  // sess_cnt, sess_rate
	EvHTTPReq               // http_req_cnt, http_req_rate
	EvHTTPErr               // http_err_cnt, http_err_rate
	EvBytesIn               // bytes_in_cnt, bytes_in_rate
	EvBytesOut              // bytes_out_cnt, bytes_out_rate
	EvGPC0                  // gpc0, gpc0_rate
	EvGPC1                  // gpc1, gpc1_rate
	EvHTTPFail              // http_fail_cnt, http_fail_rate
)

var eventTypes = [...][2]DataType{
	EvConn: {ConnCnt, ConnRate}, EvSess: {SessCnt, SessRate}, EvHTTPReq: {HTTPReqCnt, HTTPReqRate},
	EvHTTPErr: {HTTPErrCnt, HTTPErrRate}, EvBytesIn: {BytesInCnt, BytesInRate},
	EvBytesOut: {BytesOutCnt, BytesOutRate}, EvGPC0: {GPC0, GPC0Rate}, EvGPC1: {GPC1, GPC1Rate},
	EvHTTPFail: {HTTPFailCnt, HTTPFailRate}}

// Count records n occurrences of ev on e and renews it.
func (t *Table) Count(e *Entry, ev Event, n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.countLocked(e, ev, n, now)
	t.touch(e, now)
}

func (t *Table) countLocked(e *Entry, ev Event, n uint64, now int64) {
	switch ev {
	case EvConnEnd:
		if e.cnt[ConnCur] > 0 {
			e.cnt[ConnCur]--
		}
		return
	case EvConn:
		e.cnt[ConnCur]++
	}
	ts := eventTypes[ev]
	if t.spec.Stored[ts[0]] {
		e.cnt[ts[0]] += n
	}
	if t.spec.Stored[ts[1]] {
		e.rate[ts[1]].add(now, t.spec.Period[ts[1]].Milliseconds(), n)
	}
}

// Update is what the end of a request or connection counts on a tracked
// entry, applied under one lock.
type Update struct {
	Err     bool   // an HTTP error (http_err_cnt, http_err_rate)
	Fail    bool   // a server's failure (http_fail_cnt, http_fail_rate)
	In, Out uint64 // bytes from the client and to it
	// End: the tracking ends (conn_cur down, the reference dropped).
	End bool
}

// Apply counts u on e and renews it.
func (t *Table) Apply(e *Entry, u Update) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if u.Err {
		t.countLocked(e, EvHTTPErr, 1, now)
	}
	if u.Fail {
		t.countLocked(e, EvHTTPFail, 1, now)
	}
	if u.In > 0 {
		t.countLocked(e, EvBytesIn, u.In, now)
	}
	if u.Out > 0 {
		t.countLocked(e, EvBytesOut, u.Out, now)
	}
	if u.End {
		t.countLocked(e, EvConnEnd, 1, now)
		if e.refs > 0 {
			e.refs--
		}
	}
	t.touch(e, now)
}

// Inc is sc-inc-gpc0/1: it counts one event and returns the counter's
// new value (0 when the table does not store it).
func (t *Table) Inc(e *Entry, ev Event) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.countLocked(e, ev, 1, now)
	t.touch(e, now)
	return e.cnt[eventTypes[ev][0]]
}

// Set stores a plain value (gpt0, server_id, a counter from `set table`);
// it reports whether the table stores that type.
func (t *Table) Set(e *Entry, d DataType, v uint64) bool {
	if !t.spec.Stored[d] || d.IsRate() || d == ServerKey {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.cnt[d] = v
	t.touch(e, t.now())
	return true
}

// Add adds n to a plain counter (src_updt_conn_cnt) and returns its new
// value; 0 when the table does not store it.
func (t *Table) Add(e *Entry, d DataType, n uint64) uint64 {
	if !t.spec.Stored[d] || d.IsRate() || d == ServerKey {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.cnt[d] += n
	t.touch(e, t.now())
	return e.cnt[d]
}

// Times returns how long e has before it expires (0 in a table without
// expire) and how long since it was last updated, in milliseconds.
func (t *Table) Times(e *Entry) (remaining, idle int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	last := e.exp - t.spec.Expire.Milliseconds()
	if t.spec.Expire > 0 {
		remaining = max(e.exp-now, 0)
	}
	return remaining, max(now-last, 0)
}

// SetServer records server persistence: server_id and server_key.
func (t *Table) SetServer(e *Entry, id int, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.cnt[ServerID] = uint64(id)
	e.srvKey = name
	t.touch(e, t.now())
}

// Server returns the stored server_id and server_key (0, "" when unset).
func (t *Table) Server(e *Entry) (int, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(e.cnt[ServerID]), e.srvKey
}

// Value reads a data type of e; ok is false when the table does not store
// it. Rates are over their period at the current time.
func (t *Table) Value(e *Entry, d DataType) (v uint64, ok bool) {
	if !t.spec.Stored[d] {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.valueLocked(e, d, t.now()), true
}

func (t *Table) valueLocked(e *Entry, d DataType, now int64) uint64 {
	if d.IsRate() {
		return e.rate[d].read(now, t.spec.Period[d].Milliseconds())
	}
	return e.cnt[d]
}

// EntryKey is the stored key of e.
func (t *Table) EntryKey(e *Entry) string { return e.key }

// Refs is the number of trackers holding e (`use=` in show table).
func (t *Table) Refs(e *Entry) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(e.refs)
}

// Len is the number of live entries (table_cnt).
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purge(t.now())
	return len(t.m)
}

// Available is the room left (table_avl).
func (t *Table) Available() int {
	n := t.spec.Size - t.Len()
	if n < 0 {
		n = 0
	}
	return n
}

// Clear removes the entry of key (`clear table T key K`), or every
// unreferenced entry when key is nil. It returns how many it removed.
func (t *Table) Clear(key []byte) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	if key != nil {
		if e := t.m[string(key)]; e != nil && e.refs == 0 {
			t.remove(e)
			n++
		}
		return n
	}
	for e := t.head; e != nil; {
		next := e.next
		if e.refs == 0 {
			t.remove(e)
			n++
		}
		e = next
	}
	return n
}
