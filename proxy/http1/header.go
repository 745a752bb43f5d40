package http1

// Header is one header field; Name and Value are slices of the parsed
// buffer (Value without surrounding blanks, obs-folds turned into spaces).
type Header struct {
	Name, Value []byte
}

// Headers is a message's header list in arrival order. It is a plain slice
// so that rules can delete, replace and append entries; appended entries
// may point anywhere.
type Headers []Header

// Get returns the value of the first header called name (ASCII
// case-insensitive) and whether there is one.
func (h Headers) Get(name string) ([]byte, bool) {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return nil, false
}

// Count is how many headers are called name.
func (h Headers) Count(name string) int {
	n := 0
	for i := range h {
		if equalFold(h[i].Name, name) {
			n++
		}
	}
	return n
}

// Index returns the position of the first header called name at or after
// from, or -1.
func (h Headers) Index(name string, from int) int {
	for i := from; i < len(h); i++ {
		if equalFold(h[i].Name, name) {
			return i
		}
	}
	return -1
}

// Del removes every header called name, keeping the order of the others.
func (h *Headers) Del(name string) {
	out := (*h)[:0]
	for _, f := range *h {
		if !equalFold(f.Name, name) {
			out = append(out, f)
		}
	}
	clear((*h)[len(out):])
	*h = out
}

// HasToken reports whether a comma-separated header called name holds
// token (case-insensitive) in any of its occurrences, as Connection,
// Upgrade and Expect are read.
func (h Headers) HasToken(name, token string) bool {
	for i := range h {
		if equalFold(h[i].Name, name) && hasToken(h[i].Value, token) {
			return true
		}
	}
	return false
}

// hasToken scans a comma-separated list for token, ignoring blanks and
// parameters after ';'.
func hasToken(list []byte, token string) bool {
	for len(list) > 0 {
		var elem []byte
		elem, list = nextElem(list)
		if i := indexByte(elem, ';'); i >= 0 {
			elem = trimSPHT(elem[:i])
		}
		if equalFold(elem, token) {
			return true
		}
	}
	return false
}

// nextElem splits off the first comma-separated element, blanks trimmed.
func nextElem(list []byte) (elem, rest []byte) {
	if i := indexByte(list, ','); i >= 0 {
		return trimSPHT(list[:i]), list[i+1:]
	}
	return trimSPHT(list), nil
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}
