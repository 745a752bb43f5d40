package keepalivedconf

import (
	"strconv"
	"strings"
)

// parseLong reads a number like strtol(s, &end, 0): leading blanks, a
// sign, 0x hex or leading-0 octal. It returns the value and the rest.
func parseLong(s string) (int64, string) {
	i := spanBlank(s)
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	base := 10
	digits := i
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && isHex(s[i+2]) {
		base = 16
		digits = i + 2
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	j := digits
	for j < len(s) && digitVal(s[j]) < base {
		j++
	}
	if j == digits {
		if base == 8 {
			return 0, s[i+1:]
		}
		return 0, s // no number: end stays at the start
	}
	v, err := strconv.ParseInt(s[digits:j], base, 64)
	if err != nil {
		v = 1<<63 - 1
	}
	if s[start] == '-' {
		v = -v
	}
	return v, s[j:]
}

func isHex(c byte) bool { return digitVal(c) < 16 }

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// addSeq parses `~SEQ(var, [start,] [step,] end) text`.
func (r *Reader) addSeq(buf string) bool {
	p := buf[4:]
	hex := false
	if strings.HasPrefix(p, "x") {
		p, hex = p[1:], true
	}
	p = p[spanBlank(p):]
	if p == "" || p[0] != '(' {
		return false
	}
	p = p[1:]
	p = p[spanBlank(p):]
	v := strings.IndexAny(p, " \t,)")
	if v < 0 {
		v = len(p)
	}
	variable := p[:v]
	p = p[v:]
	p = p[spanBlank(p):]
	if p == "" || p[0] == ')' || variable == "" {
		r.Report(ClassGeneral, "Invalid ~SEQ definition '"+buf+"'")
		return false
	}
	p = p[1:]
	p = p[spanBlank(p):]
	end := strings.IndexByte(p, ')')
	if end < 0 || end+2 > 3*20+3+1 {
		r.Report(ClassGeneral, "~SEQ parameter strings too long '"+buf+"'")
		return false
	}
	params := p[:end+1]
	rest := p[end+1:]
	saved := r.nextPtr
	r.nextPtr = nil
	params, _ = r.replaceParams(params, false)
	r.nextPtr = saved

	var start, step, last int64
	one, q := parseLong(params)
	q = q[spanBlank(q):]
	switch {
	case strings.HasPrefix(q, ")"):
		last = one
		step, start = 1, 1
		if last < 1 {
			step = -1
		}
		if last < 0 {
			start = -1
		}
	case !strings.HasPrefix(q, ","):
		r.Report(ClassGeneral, "Invalid ~SEQ definition '"+buf+"'")
		return false
	default:
		two, q2 := parseLong(q[1:])
		q2 = q2[spanBlank(q2):]
		if strings.HasPrefix(q2, ")") {
			start, last = one, two
			step = 1
			if start > last {
				step = -1
			}
			break
		}
		if !strings.HasPrefix(q2, ",") {
			r.Report(ClassGeneral, "Invalid ~SEQ definition '"+buf+"'")
			return false
		}
		three, q3 := parseLong(q2[1:])
		q3 = q3[spanBlank(q3):]
		if !strings.HasPrefix(q3, ")") {
			r.Report(ClassGeneral, "Invalid ~SEQ definition '"+buf+"'")
			return false
		}
		start, step, last = one, two, three
		if step == 0 || (start < last && step < 0) || (start > last && step > 0) {
			r.Report(ClassGeneral, "Invalid ~SEQ values '"+buf+"'")
			return false
		}
	}
	if hex && (start < 0 || last < 0) {
		r.Report(ClassGeneral, "~SEQx is only valid for positive numbers '"+buf+"'")
		return false
	}
	if span := (last - start) / step; span < 0 || span >= maxSeqLines {
		r.abort("~SEQ range of more than " + itoa(maxSeqLines) + " lines in '" + buf + "'")
		return true
	}
	rest = rest[spanBlank(rest):]
	r.seqs = append(r.seqs, &sequence{variable: variable, next: start, last: last, step: step, hex: hex, text: rest})
	return true
}

// addLst parses `~LST(var | {v1, v2}, value | {a, b}, ...) text`.
func (r *Reader) addLst(buf string) bool {
	p := buf[4:]
	p = p[spanBlank(p):]
	if p == "" || p[0] != '(' {
		return false
	}
	p = p[1:]
	p = p[spanBlank(p):]
	endc := byte(',')
	if p != "" && p[0] == '{' {
		endc = '}'
		p = p[1:]
		p = p[spanBlank(p):]
	}
	var params []string
	for {
		n := strings.IndexAny(p, " \t,}")
		if n < 0 {
			n = len(p)
		}
		params = append(params, p[:n])
		p = p[n:]
		p = p[spanBlank(p):]
		if p == "" {
			return false
		}
		if p[0] == endc {
			break
		}
		if p[0] != ',' {
			return false
		}
		p = p[1:]
		p = p[spanBlank(p):]
	}
	if p[0] == '}' {
		p = p[1:]
		p = p[spanBlank(p):]
	}
	if p == "" || p[0] != ',' {
		return false
	}
	p = p[1:]
	p = p[spanBlank(p):]
	var sets [][]string
	for {
		endc = ','
		if p != "" && p[0] == '{' {
			endc = '}'
			p = p[1:]
			p = p[spanBlank(p):]
		}
		var set []string
		for {
			n := strings.IndexAny(p, " \t,})")
			if n < 0 {
				n = len(p)
			}
			set = append(set, p[:n])
			p = p[n:]
			p = p[spanBlank(p):]
			if p == "" {
				return false
			}
			if p[0] == endc || (p[0] == ')' && endc == ',') {
				break
			}
			if p[0] != ',' {
				return false
			}
			p = p[1:]
			p = p[spanBlank(p):]
			if len(set) > len(params)-1 {
				r.Report(ClassGeneral, "~LST specification has too many values '"+buf+"'")
				return false
			}
		}
		for len(set) < len(params) {
			set = append(set, "")
		}
		sets = append(sets, set)
		if len(sets) > maxSeqLines {
			r.abort("~LST with more than " + itoa(maxSeqLines) + " value sets")
			return true
		}
		if p[0] == '}' && endc == '}' {
			p = p[1:]
			p = p[spanBlank(p):]
		}
		if p == "" {
			return false
		}
		if p[0] == ')' {
			break
		}
		if p[0] != ',' {
			return false
		}
		p = p[1:]
		p = p[spanBlank(p):]
	}
	p = p[1:]
	p = p[spanBlank(p):]
	r.seqs = append(r.seqs, &sequence{params: params, values: sets, text: p})
	return true
}

// nextSeqLine produces the next line of the innermost ~SEQ or ~LST.
func (r *Reader) nextSeqLine() string {
	s := r.seqs[len(r.seqs)-1]
	if s.params == nil {
		var val string
		if s.hex {
			val = strconv.FormatUint(uint64(s.next), 16)
		} else {
			val = strconv.FormatInt(s.next, 10)
		}
		r.setDefinition(s.variable, val)
		s.next += s.step
		if (s.step > 0 && s.next > s.last) || (s.step < 0 && s.next < s.last) {
			r.seqs = r.seqs[:len(r.seqs)-1]
		}
		return s.text
	}
	set := s.values[s.nextSet]
	for i, name := range s.params {
		r.setDefinition(name, set[i])
	}
	s.nextSet++
	if s.nextSet >= len(s.values) {
		r.seqs = r.seqs[:len(r.seqs)-1]
	}
	return s.text
}

func (r *Reader) setDefinition(name, value string) {
	for _, d := range r.defs {
		if d.name == name && !d.multiline {
			d.value, d.fn = value, nil
			return
		}
	}
	r.defs = append(r.defs, &definition{name: name, value: value})
}
