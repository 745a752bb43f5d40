package stick

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Query is the optional part of `show table NAME ...` and `clear table
// NAME ...`: one key, or up to four data filters (all must hold).
type Query struct {
	Key     []byte
	HasKey  bool
	Filters []Filter
}

// Filter is `data.<type> <op> <value>`.
type Filter struct {
	Type  DataType
	Op    string // eq ne le ge lt gt
	Value uint64
}

// maxFilters is how many data filters the reference takes.
const maxFilters = 4

// ParseQuery reads the words after the table name; clear selects the
// wording of `clear table`. Errors are the reference's messages.
func (t *Table) ParseQuery(words []string, clear bool) (Query, error) {
	var q Query
	if len(words) == 0 {
		return q, nil
	}
	if words[0] == "key" {
		if t.spec.Key == Binary {
			verb := "Showing"
			if clear {
				verb = "Removing"
			}
			return q, fmt.Errorf("%s keys from tables of type other than ip, ipv6, string and integer is not supported", verb)
		}
		if len(words) < 2 {
			return q, fmt.Errorf("Key value expected")
		}
		k, ok := t.ParseKey(words[1])
		if !ok {
			return q, fmt.Errorf("Unable to parse key")
		}
		q.Key, q.HasKey = k, true
		return q, nil
	}
	for i := 0; i < len(words) && len(q.Filters) < maxFilters; i += 3 {
		name, isData := strings.CutPrefix(words[i], "data.")
		if !isData {
			return q, fmt.Errorf("Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>")
		}
		n := len(q.Filters) + 1
		dt, ok := ParseDataType(name)
		if !ok {
			return q, fmt.Errorf("Filter entry #%d: Unknown data type", n)
		}
		if !t.spec.Stored[dt] {
			return q, fmt.Errorf("Filter entry #%d: Data type not stored in this table", n)
		}
		op := ""
		if i+1 < len(words) {
			op = words[i+1]
		}
		switch op {
		case "eq", "ne", "le", "ge", "lt", "gt":
		default:
			return q, fmt.Errorf("Filter entry #%d: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"", n)
		}
		var v uint64
		var err error = strconv.ErrSyntax
		if i+2 < len(words) {
			v, err = strconv.ParseUint(words[i+2], 10, 64)
		}
		if err != nil {
			return q, fmt.Errorf("Filter entry #%d: Require a valid integer value to compare against", n)
		}
		q.Filters = append(q.Filters, Filter{Type: dt, Op: op, Value: v})
	}
	return q, nil
}

func (f Filter) holds(v uint64) bool {
	switch f.Op {
	case "eq":
		return v == f.Value
	case "ne":
		return v != f.Value
	case "le":
		return v <= f.Value
	case "ge":
		return v >= f.Value
	case "lt":
		return v < f.Value
	}
	return v > f.Value
}

func (t *Table) matchLocked(e *Entry, q Query, now int64) bool {
	if q.HasKey {
		return e.key == string(q.Key)
	}
	for _, f := range q.Filters {
		if f.Type == ServerKey || !f.holds(t.valueLocked(e, f.Type, now)) {
			return false
		}
	}
	return true
}

// Header is the `# table: ...` line of show table (without newline).
func (t *Table) Header() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purge(t.now())
	return t.headerLocked()
}

func (t *Table) headerLocked() string {
	return fmt.Sprintf("# table: %s, type: %s, size:%d, used:%d", t.spec.Name, t.spec.Key, t.spec.Size, len(t.m))
}

// Show writes what the reference's `show table NAME [query]` prints: the
// header line and one line per matching entry, in key order. The
// Runtime API adds the blank line that ends a response.
func (t *Table) Show(w io.Writer, q Query) error {
	var b bytes.Buffer
	t.mu.Lock()
	now := t.now()
	t.purge(now)
	b.WriteString(t.headerLocked())
	b.WriteByte('\n')
	entries := make([]*Entry, 0, len(t.m))
	for _, e := range t.m {
		if t.matchLocked(e, q, now) {
			entries = append(entries, e)
		}
	}
	// The reference walks its tree in key byte order (big-endian
	// addresses and integers sort numerically).
	slices.SortFunc(entries, func(x, y *Entry) int { return strings.Compare(x.key, y.key) })
	for _, e := range entries {
		t.formatLocked(&b, e, now)
	}
	t.mu.Unlock()
	_, err := w.Write(b.Bytes())
	return err
}

func (t *Table) formatLocked(b *bytes.Buffer, e *Entry, now int64) {
	exp := int64(0)
	if t.spec.Expire > 0 {
		exp = e.exp - now
		if exp < 0 {
			exp = 0
		}
	}
	fmt.Fprintf(b, "0x%x: key=%s use=%d exp=%d", e.id, t.FormatKey(e.key), e.refs, exp)
	for d := DataType(0); d < numTypes; d++ {
		if !t.spec.Stored[d] {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(d.String())
		switch {
		case d == ServerKey && e.srvKey == "":
			b.WriteString("=-")
		case d == ServerKey:
			b.WriteString("=" + e.srvKey)
		case d.IsRate():
			fmt.Fprintf(b, "(%d)=%d", t.spec.Period[d].Milliseconds(), t.valueLocked(e, d, now))
		default:
			fmt.Fprintf(b, "=%d", e.cnt[d])
		}
	}
	b.WriteByte('\n')
}

// ClearQuery is `clear table NAME [query]`: it removes the unreferenced
// entries matching q (all of them without a key or filter).
func (t *Table) ClearQuery(q Query) int {
	if q.HasKey {
		return t.Clear(q.Key)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	n := 0
	for e := t.head; e != nil; {
		next := e.next
		if e.refs == 0 && t.matchLocked(e, q, now) {
			t.remove(e)
			n++
		}
		e = next
	}
	return n
}

// SetQuery is `set table NAME key K [data.<type> <value>]...`: it creates
// the entry if needed and sets each value (a rate's current period
// count). Errors are the reference's messages.
func (t *Table) SetQuery(words []string) error {
	if len(words) == 0 {
		return nil // the reference silently does nothing
	}
	if words[0] != "key" || len(words) < 2 {
		return fmt.Errorf("Key value expected")
	}
	key, ok := t.ParseKey(words[1])
	if !ok {
		return fmt.Errorf("Invalid key")
	}
	// The entry exists from here on, even when a data word is wrong.
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.getLocked(key, now)
	if e == nil {
		return fmt.Errorf("Unable to allocate a new entry")
	}
	t.touch(e, now)
	for i := 2; i < len(words); i += 2 {
		name, isData := strings.CutPrefix(words[i], "data.")
		if !isData {
			return fmt.Errorf("\"data.<type>\" followed by a value expected")
		}
		d, ok := ParseDataType(name)
		if !ok {
			return fmt.Errorf("Unknown data type")
		}
		if !t.spec.Stored[d] {
			return fmt.Errorf("Data type not stored in this table")
		}
		var v uint64
		var err error = strconv.ErrSyntax
		if i+1 < len(words) {
			v, err = strconv.ParseUint(words[i+1], 10, 64)
		}
		if err != nil {
			return fmt.Errorf("Require a valid integer value to store")
		}
		switch {
		case d == ServerKey:
		case d.IsRate():
			e.rate[d] = freq{tick: now, curr: v}
		default:
			e.cnt[d] = v
		}
	}
	return nil
}
