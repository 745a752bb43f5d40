package httpcache

// Entries being written: the reference inserts an entry when its
// response starts and fills it as the body comes; while it is
// incomplete, another response for the same key and variant is not
// stored (it would waste space), so the first writer's entry is kept.

// sameVariant tells whether a and b are the same key and variant.
func sameVariant(a, b *Entry) bool {
	return a.Key == b.Key && a.VarySig == b.VarySig && a.Secondary == b.Secondary
}

// BeginWrite registers e as being written; false when another entry of
// the same key and variant is, and e must not be stored. Every true
// return needs its EndWrite.
func (c *Cache) BeginWrite(e *Entry) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.writing[e.Key] {
		if sameVariant(w, e) {
			return false
		}
	}
	if c.writing == nil {
		c.writing = map[Key][]*Entry{}
	}
	c.writing[e.Key] = append(c.writing[e.Key], e)
	return true
}

// EndWrite unregisters e, stored or given up.
func (c *Cache) EndWrite(e *Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dropFrom(c.writing, e)
}

// dropFrom takes e out of the entries of its key in m.
func dropFrom(m map[Key][]*Entry, e *Entry) {
	vs := m[e.Key]
	for i, x := range vs {
		if x == e {
			vs = append(vs[:i:i], vs[i+1:]...)
			break
		}
	}
	if len(vs) == 0 {
		delete(m, e.Key)
	} else {
		m[e.Key] = vs
	}
}
