package keepalivedconf

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
)

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isNameChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '_'
}

// stdDefinitions installs the reference's built-in definitions.
func (r *Reader) stdDefinitions() {
	r.defs = append(r.defs,
		&definition{name: "_PWD", fn: func(string) string {
			// The reference changes into the directory of each file it
			// reads, so its working directory is the current file's.
			if n := len(r.stack); n > 0 && r.stack[n-1].path != "" {
				if abs, err := filepath.Abs(filepath.Dir(r.stack[n-1].path)); err == nil {
					return abs
				}
			}
			return r.opt.dir()
		}},
		&definition{name: "_INSTANCE", fn: func(string) string { return r.opt.ConfigID }},
		&definition{name: "_RANDOM", maxParams: 2, fn: randomValue},
		&definition{name: "_HASH", value: "#"},
		&definition{name: "_BANG", value: "!"},
	)
}

func randomValue(params string) string {
	lo, hi := uint64(0), uint64(32767)
	f := strings.Fields(params)
	if len(f) > 0 {
		lo, _ = strconv.ParseUint(f[0], 10, 64)
	}
	if len(f) > 1 {
		hi, _ = strconv.ParseUint(f[1], 10, 64)
	}
	if hi < lo {
		return strconv.FormatUint(lo, 10)
	}
	return strconv.FormatUint(lo+rand.Uint64N(hi-lo+1), 10)
}

// findDefinition looks up the name starting at s (after the `$`). For a
// use (not a definition) it checks the reference's rules for what may
// follow the name, and returns the length of the text replaced after `$`.
func (r *Reader) findDefinition(s string, definition bool) (*definition, int) {
	braces := false
	if !definition && s != "" && s[0] == '{' {
		braces = true
		s = s[1:]
	}
	if s == "" || !(isAlpha(s[0]) || s[0] == '_') {
		return nil, 0
	}
	n := 1
	for n < len(s) && isNameChar(s[n]) {
		n++
	}
	name := s[:n]
	p := n
	params := ""
	consumed := n
	if braces {
		pStart, pEnd := -1, -1
		for p < len(s) && (s[p] == ' ' || isDigit(s[p])) {
			if s[p] != ' ' {
				if pStart < 0 {
					pStart = p
				}
				pEnd = p
			}
			p++
		}
		if pStart >= 0 && pEnd+1 != p {
			return nil, 0
		}
		if p >= len(s) || s[p] != '}' {
			return nil, 0
		}
		if pStart >= 0 {
			params = s[pStart : pEnd+1]
		}
		consumed = p + 2 // "{" ... "}"
	} else if p < len(s) && s[p] != ' ' && s[p] != '\t' && s[p] != ',' && s[p] != ')' {
		return nil, 0
	}
	allowMulti := definition || (!braces && n == len(s)) || (braces && p+1 == len(s))
	for _, d := range r.defs {
		if d.name == name && (allowMulti || !d.multiline) {
			if params != "" && d.maxParams == 0 {
				return nil, 0
			}
			d.params = params
			return d, consumed
		}
	}
	return nil, 0
}

// checkDefinition handles a `$NAME=value` line.
func (r *Reader) checkDefinition(buf string) *definition {
	if len(buf) < 2 || !(isAlpha(buf[1]) || buf[1] == '_') {
		return nil
	}
	p := 2
	for p < len(buf) && buf[p] != '=' {
		if !isNameChar(buf[p]) {
			return nil
		}
		p++
	}
	if p >= len(buf) {
		return nil
	}
	name := buf[1:p]
	var d *definition
	for _, e := range r.defs {
		if e.name == name {
			d = e
			break
		}
	}
	if d == nil {
		d = &definition{name: name}
		r.defs = append(r.defs, d)
	}
	d.fn = nil
	val := buf[p+1:]
	val = strings.TrimLeft(val, " \t")
	d.multiline = false
	if strings.HasSuffix(val, "\\") {
		n := len(val)
		for n >= 2 && isBlank(val[n-2]) {
			n--
		}
		if n < 2 {
			val = ""
		} else {
			val = val[:n-1] + "\n"
		}
		d.multiline = true
	}
	d.value = val
	return d
}

// replaceParams substitutes $NAME and ${NAME} in buf. When a multi-line
// definition is used, its first line replaces the reference and the other
// lines are queued to be read next.
func (r *Reader) replaceParams(buf string, queue bool) (string, bool) {
	found := false
	pos := 0
	var multi *string
	if r.nextPtr != nil {
		m := *r.nextPtr
		multi = &m
	}
	newNext := r.nextPtr
	for rounds := 0; ; rounds++ {
		if rounds > maxLine*4 {
			r.abort("definition expansion does not end (a definition refers to itself?)")
			return "", false
		}
		i := strings.IndexByte(buf[pos:], '$')
		if i < 0 || pos+i+1 >= len(buf) {
			break
		}
		at := pos + i
		d, consumed := r.findDefinition(buf[at+1:], false)
		if d == nil {
			pos = at + 1
			continue
		}
		found = true
		newNext = multi
		if d.multiline && multi != nil && queue {
			r.multiStack = append(r.multiStack, multiEnt{ptr: *multi, seqDepth: r.multiSeqDep})
		}
		if d.multiline {
			r.multiSeqDep = len(r.seqs)
		}
		if d.fn != nil {
			d.value = d.fn(d.params)
		}
		repl := d.value
		if d.multiline {
			first, rest, _ := strings.Cut(d.value, "\n")
			repl = first
			multi = &rest
			newNext = multi
		}
		if len(buf)-(consumed+1)+len(repl) >= maxLine {
			return buf, false
		}
		buf = buf[:at] + repl + buf[at+1+consumed:]
		if t := strings.TrimLeft(d.value, " \t"); strings.HasPrefix(t, "~") {
			break
		}
		// The reference rescans from the start of the replaced text.
	}
	if found && queue {
		r.nextPtr = newNext
	}
	return buf, found
}
