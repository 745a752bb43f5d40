package haproxycfg

import (
	"fmt"
	"strconv"
	"strings"
)

// Build describes the program a configuration is checked for: what the
// `.if` predicates compare against.
type Build struct {
	Version        string   // e.g. "2.6.12-1+deb12u4"
	Features       []string // "+LUA", "-QUIC", ... as `-vv` lists them
	OpenSSLVersion string   // e.g. "3.0.19"
	SSLLibName     string   // e.g. "OpenSSL"
	Env            Env
	// Line, when set, is told every line kept (outside false `.if`
	// branches), in order, as soon as it is read: the global setenv
	// family changes what Env returns for the lines after it.
	Line func(section, keyword string, args []string)
}

// condError is a failed `.if`/`.elif` expression: the reference's message
// and the 1-based offset in the expression text.
type condError struct {
	msg string
	pos int
}

// condParser evaluates a 2.6 conditional expression: `&&` binds tighter
// than `||`, terms are integers, `!term`, `(expr)` and predicates.
type condParser struct {
	text  string
	i     int
	build *Build
}

// evalCond evaluates the words after `.if`/`.elif`, joined by single
// spaces as the reference does. An empty expression is false.
func evalCond(words []string, b *Build) (bool, *condError) {
	text := strings.Join(words, " ")
	if strings.TrimSpace(text) == "" {
		return false, nil
	}
	p := &condParser{text: text, build: b}
	v, err := p.expr()
	if err != nil {
		return false, err
	}
	p.skip()
	if p.i < len(p.text) {
		return false, &condError{fmt.Sprintf("unexpected character '%c' at the end of conditional expression '%s'", p.text[p.i], text), p.i + 1}
	}
	return v, nil
}

func (p *condParser) skip() {
	for p.i < len(p.text) && isSpace(p.text[p.i]) {
		p.i++
	}
}

func (p *condParser) unparsable(at int) *condError {
	return &condError{fmt.Sprintf("unparsable conditional expression '%s'", p.text), at + 1}
}

func (p *condParser) expr() (bool, *condError) {
	v, err := p.and()
	if err != nil {
		return false, err
	}
	for {
		p.skip()
		if !strings.HasPrefix(p.text[p.i:], "||") {
			return v, nil
		}
		op := p.i
		p.i += 2
		r, err := p.and()
		if err != nil {
			if err.pos > len(p.text) {
				return false, p.unparsable(op)
			}
			return false, err
		}
		v = v || r
	}
}

func (p *condParser) and() (bool, *condError) {
	v, err := p.term()
	if err != nil {
		return false, err
	}
	for {
		p.skip()
		if !strings.HasPrefix(p.text[p.i:], "&&") {
			return v, nil
		}
		op := p.i
		p.i += 2
		r, err := p.term()
		if err != nil {
			if err.pos > len(p.text) {
				return false, p.unparsable(op)
			}
			return false, err
		}
		v = v && r
	}
}

func (p *condParser) term() (bool, *condError) {
	p.skip()
	start := p.i
	if p.i >= len(p.text) {
		return false, p.unparsable(p.i)
	}
	c := p.text[p.i]
	switch {
	case c == '!':
		p.i++
		v, err := p.term()
		return !v, err
	case c == '(':
		p.i++
		v, err := p.expr()
		if err != nil {
			return false, err
		}
		p.skip()
		if p.i >= len(p.text) || p.text[p.i] != ')' {
			return false, &condError{fmt.Sprintf("expected ')' after conditional expression '%s'", p.text[start:]), start + 1}
		}
		p.i++
		return v, nil
	case isDigit(c) || c == '-':
		j := p.i + 1
		for j < len(p.text) && isDigit(p.text[j]) {
			j++
		}
		n, err := strconv.Atoi(p.text[p.i:j])
		if err != nil {
			return false, p.unparsable(start)
		}
		p.i = j
		return n != 0, nil
	case isAlpha(c) || c == '_':
		j := p.i
		for j < len(p.text) && (isAlpha(p.text[j]) || isDigit(p.text[j]) || p.text[j] == '_') {
			j++
		}
		name := p.text[p.i:j]
		pred, ok := predicates[name]
		if !ok || j >= len(p.text) || p.text[j] != '(' {
			return false, p.unparsable(start)
		}
		p.i = j + 1
		args, err := p.args(name, pred.nargs)
		if err != nil {
			return false, err
		}
		return pred.eval(args, p.build), nil
	}
	return false, p.unparsable(start)
}

// args reads exactly n comma-separated arguments and the closing ')'.
func (p *condParser) args(name string, n int) ([]string, *condError) {
	var args []string
	for k := 1; ; k++ {
		j := p.i
		for j < len(p.text) && p.text[j] != ',' && p.text[j] != ')' {
			j++
		}
		if j >= len(p.text) {
			return nil, &condError{fmt.Sprintf("expected ')' in argument %d of predicate '%s' used in conditional expression", k, name), len(p.text) + 1}
		}
		args = append(args, p.text[p.i:j])
		p.i = j
		if p.text[j] == ')' {
			if len(args) < n {
				return nil, &condError{fmt.Sprintf("missing arguments (got %d/%d), type 'string' expected in argument %d of predicate '%s' used in conditional expression", len(args), n, len(args), name), j + 1}
			}
			p.i++
			return args, nil
		}
		if len(args) == n {
			return nil, &condError{fmt.Sprintf("expected ')' before '%s' in argument %d of predicate '%s' used in conditional expression", p.text[j:], k, name), j + 1}
		}
		p.i++
	}
}

type predicate struct {
	nargs int
	eval  func(args []string, b *Build) bool
}

// predicates are exactly those of HAProxy 2.6 (`enabled()` came later).
var predicates = map[string]predicate{
	"defined": {1, func(a []string, b *Build) bool {
		if b.Env == nil {
			return false
		}
		_, ok := b.Env(a[0])
		return ok
	}},
	"feature": {1, func(a []string, b *Build) bool {
		for _, f := range b.Features {
			if f == "+"+a[0] {
				return true
			}
		}
		return false
	}},
	"streq":                   {2, func(a []string, _ *Build) bool { return a[0] == a[1] }},
	"strneq":                  {2, func(a []string, _ *Build) bool { return a[0] != a[1] }},
	"version_atleast":         {1, func(a []string, b *Build) bool { return versionCmp(b.Version, a[0]) >= 0 && validVersion(a[0]) }},
	"version_before":          {1, func(a []string, b *Build) bool { return versionCmp(b.Version, a[0]) < 0 && validVersion(a[0]) }},
	"openssl_version_atleast": {1, func(a []string, b *Build) bool { return versionCmp(b.OpenSSLVersion, a[0]) >= 0 && validVersion(a[0]) }},
	"openssl_version_before":  {1, func(a []string, b *Build) bool { return versionCmp(b.OpenSSLVersion, a[0]) < 0 && validVersion(a[0]) }},
	"ssllib_name_startswith":  {1, func(a []string, b *Build) bool { return strings.HasPrefix(b.SSLLibName, a[0]) }},
}

func validVersion(v string) bool { return v != "" && isDigit(v[0]) }

// versionCmp compares the leading dotted numbers of two versions.
func versionCmp(a, b string) int {
	na, nb := versionNums(a), versionNums(b)
	for i := 0; i < len(na) || i < len(nb); i++ {
		var x, y int
		if i < len(na) {
			x = na[i]
		}
		if i < len(nb) {
			y = nb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionNums(v string) []int {
	var out []int
	for _, part := range strings.Split(v, ".") {
		j := 0
		for j < len(part) && isDigit(part[j]) {
			j++
		}
		if j == 0 {
			break
		}
		n, _ := strconv.Atoi(part[:j])
		out = append(out, n)
		if j < len(part) {
			break
		}
	}
	return out
}

// EvalCondition evaluates a `.if` expression given as one string, as
// `haproxy -cc` does. The error carries the reference's message.
func EvalCondition(expr string, b *Build) (bool, error) {
	ok, err := evalCond(strings.Fields(expr), b)
	if err != nil {
		return false, fmt.Errorf("%s", err.msg)
	}
	return ok, nil
}
