package stick

// Replication support for peers: a watcher told of every local change,
// a snapshot of an entry's data and the merge of a remote one. Remote
// merges do not call the watcher, so a learned entry is not sent back.

// NumTypes is the number of data types a table can store.
const NumTypes = int(numTypes)

// Rate is a frequency counter's state: how long ago (ms) its current
// period started, and its current and previous periods' counts.
type Rate struct {
	Age        int64
	Curr, Prev uint64
}

// Data is an entry's content as peers exchange it.
type Data struct {
	Cnt    [numTypes]uint64 // plain values (server_id, counters)
	Rate   [numTypes]Rate   // frequency counters
	SrvKey string
	// Expire is the time left in ms (0 in a table without expire).
	Expire int64
}

// Watch sets the function told the key of every entry changed locally
// (created, counted, set, renewed). It runs under the table's lock: it
// must only record the key.
func (t *Table) Watch(f func(key string)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watch = f
}

// Keys lists the live entries' keys, least recently touched first.
func (t *Table) Keys() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.purge(now)
	keys := make([]string, 0, len(t.m))
	for e := t.head; e != nil; e = e.next {
		keys = append(keys, e.key)
	}
	return keys
}

// Snapshot copies the data of key's live entry.
func (t *Table) Snapshot(key string) (Data, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.lookupLocked([]byte(key), now)
	if e == nil {
		return Data{}, false
	}
	var d Data
	d.Cnt = e.cnt
	for i := range e.rate {
		r := &e.rate[i]
		d.Rate[i] = Rate{Age: now - r.tick, Curr: r.curr, Prev: r.prev}
	}
	d.SrvKey = e.srvKey
	if t.spec.Expire > 0 {
		d.Expire = max(e.exp-now, 0)
	}
	return d, true
}

// Merge stores a remote entry's data: the types in have are replaced,
// and the entry expires after expire ms (the table's expiry when < 0).
// It reports false when the table is full.
func (t *Table) Merge(key []byte, d *Data, have *[numTypes]bool, expire int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	w := t.watch
	t.watch = nil // not a local change
	e := t.getLocked(key, now)
	t.watch = w
	if e == nil {
		return false
	}
	for i := range have {
		if !have[i] || !t.spec.Stored[i] {
			continue
		}
		if DataType(i).IsRate() {
			r := d.Rate[i]
			e.rate[i] = freq{tick: now - r.Age, curr: r.Curr, prev: r.Prev}
		} else if DataType(i) == ServerKey {
			e.srvKey = d.SrvKey
		} else {
			e.cnt[i] = d.Cnt[i]
		}
	}
	if expire < 0 {
		expire = t.spec.Expire.Milliseconds()
	}
	// Renew (move to the recent end), then set the given expiry.
	t.watch = nil
	t.touch(e, now)
	t.watch = w
	e.exp = now + expire
	return true
}
