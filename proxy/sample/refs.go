package sample

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Refs registers the pattern files a configuration loads (ACL `-f` files
// and map files), so the Runtime API can list and change them: one Ref
// per file, shared by every ACL or map converter that loads it, as the
// reference's pat_ref.
type Refs struct {
	mu   sync.Mutex
	list []*Ref
}

// internalACLs is how many pattern references the reference creates for
// itself (its HTTP client's two ACLs) between the files loaded while
// parsing and those resolved after (use_backend names): they take ids.
const internalACLs = 2

// Ref is one loaded pattern file and its current entries. Changes
// recompile every user.
type Ref struct {
	ID   int
	File string // "" for the inline patterns of one ACL
	// Map and ACL tell how the file is used: by map converters (keys
	// and values), by ACLs (patterns).
	Map, ACL bool
	// Desc describes an inline reference: "acl 'src' file 'x.cfg' line 3".
	Desc string
	late bool // created after parsing: numbered after the internal ACLs

	mu      sync.Mutex
	where   []string // "map at file 'x.cfg' line 3", in load order
	entries []Entry
	users   []refUser
	nextID  uint64
}

// Entry is one line of a pattern file: a key (the pattern) and, for
// maps, a value. ID is stable while the entry lives.
type Entry struct {
	ID         uint64
	Key, Value string
}

// refUser is an ACL or a map compiled from a Ref: check validates a new
// entry, rebuild recompiles from the current entries.
type refUser struct {
	check   func(Entry) error
	rebuild func([]Entry)
}

// List returns the registered files in id order.
func (r *Refs) List() []*Ref {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Ref(nil), r.list...)
}

// InternalIDs are the ids of the reference's own ACL references.
func (r *Refs) InternalIDs() []int {
	first := 0
	for _, ref := range r.List() {
		if !ref.late {
			first++
		}
	}
	return []int{first, first + 1}
}

// addLocked numbers and appends a new reference: early ones keep their
// order before the internal ACLs, late ones come after them.
func (r *Refs) addLocked(ref *Ref, late bool) {
	ref.late = late
	at := len(r.list)
	if !late {
		for at > 0 && r.list[at-1].late {
			at--
		}
	}
	r.list = append(r.list[:at], append([]*Ref{ref}, r.list[at:]...)...)
	for i, x := range r.list {
		x.ID = i
		if x.late {
			x.ID += internalACLs
		}
	}
}

// Find returns the reference named by a file name or "#<id>".
func (r *Refs) Find(name string) *Ref {
	for _, ref := range r.List() {
		if (ref.File != "" && ref.File == name) || name == fmt.Sprintf("#%d", ref.ID) {
			return ref
		}
	}
	return nil
}

// get returns the Ref of file, created (with data parsed into entries)
// on first use. where describes the user for `show map`/`show acl`;
// isMap tells a map converter from an ACL, pairs a file of keys and
// values (maps, ACLs with -M) from one of whole-line patterns.
func (r *Refs) get(file string, isMap, pairs bool, where string, data []byte, late bool) *Ref {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ref := range r.list {
		if ref.File == file {
			ref.mu.Lock()
			ref.where = append(ref.where, where)
			ref.Map = ref.Map || isMap
			ref.ACL = ref.ACL || !isMap
			ref.mu.Unlock()
			return ref
		}
	}
	ref := &Ref{File: file, Map: isMap, ACL: !isMap, where: []string{where}}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(strings.TrimLeft(l, " \t"), "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		key, val := l, ""
		if i := strings.IndexAny(l, " \t"); i >= 0 && pairs {
			key, val = l[:i], strings.TrimRight(strings.TrimLeft(l[i:], " \t"), " \t")
		}
		ref.nextID++
		ref.entries = append(ref.entries, Entry{ID: ref.nextID, Key: key, Value: val})
	}
	r.addLocked(ref, late)
	return ref
}

// inline registers the patterns written on one ACL line, which the
// reference also lists (and lets the Runtime API change) as a reference
// without a file.
func (r *Refs) inline(fetch, where string, words []string, late bool) *Ref {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref := &Ref{ACL: true, Desc: fmt.Sprintf("acl '%s' %s", fetch, where)}
	for _, w := range words {
		ref.nextID++
		ref.entries = append(ref.entries, Entry{ID: ref.nextID, Key: w})
	}
	r.addLocked(ref, late)
	return ref
}

// Users describes who loads the file, as the reference's `show map`.
func (ref *Ref) Users() []string {
	ref.mu.Lock()
	defer ref.mu.Unlock()
	return append([]string(nil), ref.where...)
}

// Entries returns the current entries in order.
func (ref *Ref) Entries() []Entry {
	ref.mu.Lock()
	defer ref.mu.Unlock()
	return append([]Entry(nil), ref.entries...)
}

func (ref *Ref) subscribe(u refUser) []Entry {
	ref.mu.Lock()
	defer ref.mu.Unlock()
	ref.users = append(ref.users, u)
	return append([]Entry(nil), ref.entries...)
}

// changeLocked recompiles every user after a change (ref.mu held).
func (ref *Ref) changeLocked() {
	list := append([]Entry(nil), ref.entries...)
	for _, u := range ref.users {
		u.rebuild(list)
	}
}

// changes serialises changes to every Ref: an ACL loading two files
// reads the other file's entries while one changes.
var changes sync.Mutex

// Add appends an entry once every user accepts it.
func (ref *Ref) Add(key, value string) error {
	changes.Lock()
	defer changes.Unlock()
	ref.mu.Lock()
	defer ref.mu.Unlock()
	e := Entry{ID: ref.nextID + 1, Key: key, Value: value}
	for _, u := range ref.users {
		if err := u.check(e); err != nil {
			return err
		}
	}
	ref.nextID++
	ref.entries = append(ref.entries, e)
	ref.changeLocked()
	return nil
}

// match reports whether e is selected by a key or "#<id>" (an entry id
// as `show map` prints it).
func (e Entry) match(key string) bool {
	return e.Key == key || key == fmt.Sprintf("#%#x", e.ID)
}

// Set changes the value of every entry with key; false when none has it.
func (ref *Ref) Set(key, value string) (bool, error) {
	changes.Lock()
	defer changes.Unlock()
	ref.mu.Lock()
	defer ref.mu.Unlock()
	found := false
	for _, e := range ref.entries {
		if e.match(key) {
			found = true
			e.Value = value
			for _, u := range ref.users {
				if err := u.check(e); err != nil {
					return true, err
				}
			}
		}
	}
	if !found {
		return false, nil
	}
	for i := range ref.entries {
		if ref.entries[i].match(key) {
			ref.entries[i].Value = value
		}
	}
	ref.changeLocked()
	return true, nil
}

// Del removes every entry with key; false when none has it.
func (ref *Ref) Del(key string) bool {
	changes.Lock()
	defer changes.Unlock()
	ref.mu.Lock()
	defer ref.mu.Unlock()
	kept := ref.entries[:0:0]
	for _, e := range ref.entries {
		if !e.match(key) {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(ref.entries) {
		return false
	}
	ref.entries = kept
	ref.changeLocked()
	return true
}

// Clear removes every entry.
func (ref *Ref) Clear() {
	changes.Lock()
	defer changes.Unlock()
	ref.mu.Lock()
	defer ref.mu.Unlock()
	ref.entries = nil
	ref.changeLocked()
}

// compiledMap is one version of a map's table.
type compiledMap struct {
	keys   *patterns
	values []Sample
}

// compileMap builds a map table from entries.
func compileMap(method string, out Type, entries []Entry) (*compiledMap, error) {
	c := &compiledMap{keys: &patterns{method: method}}
	for _, e := range entries {
		v, err := mapValue(e.Value, out)
		if err != nil {
			return nil, err
		}
		if err := c.keys.add(e.Key, nil, nil); err != nil {
			return nil, err
		}
		c.values = append(c.values, v)
	}
	c.keys.index()
	return c, nil
}

// mapTable is a map's current table, swapped whole on changes.
type mapTable = atomic.Pointer[compiledMap]
