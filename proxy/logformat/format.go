package logformat

import (
	"errors"
	"fmt"
	"strings"
)

// Flags are a node's modifiers: `%{+Q,-X}var`.
type Flags uint8

// Modifier flags.
const (
	// Quote surrounds text values with double quotes.
	Quote Flags = 1 << iota
	// Hex writes addresses, ports, timestamps and counters in hex.
	Hex
	// Escape backslash-escapes '"', '\' and ']' (RFC 5424 values).
	Escape
)

// Sample evaluates a compiled `%[expr]` node: it appends the value's text
// to dst; ok is false when the sample has no value.
type Sample func(dst []byte, v *Values) (out []byte, ok bool)

// SampleCompiler compiles the expression of a `%[...]` node. Its error
// text follows the reference's "failed to parse sample expression <...> : "
// prefix.
type SampleCompiler func(expr string) (Sample, error)

// UnavailableError is a sample compiler's answer for a fetch that reads
// what no longer exists when a line is written (HTTP headers).
type UnavailableError struct{ Needs string }

func (e *UnavailableError) Error() string { return "needs " + e.Needs }

// Options drive the compilation of one format.
type Options struct {
	// HTTP is true for an http-mode proxy; otherwise the HTTP-only
	// variables are refused, as the reference refuses them.
	HTTP bool
	// Sample compiles `%[...]` expressions; nil uses BasicSamples.
	Sample SampleCompiler
	// RuleValue is for values of http-request rules, where the
	// reference does not quote samples (+Q quotes variables only).
	RuleValue bool
}

type nodeKind uint8

const (
	nodeText      nodeKind = iota
	nodeSeparator          // a run of spaces: one space, unless one was just written
	nodeVar
	nodeSample
)

type node struct {
	kind   nodeKind
	text   string
	v      Var
	flags  Flags
	sample Sample
}

// Format is a compiled log-format string, safe for concurrent Render
// calls.
type Format struct {
	src   string
	nodes []node
	uses  [varCount]bool
}

// String returns the format as written.
func (f *Format) String() string { return f.src }

// Uses reports whether the format references variable v (so the engine
// can skip work nobody logs).
func (f *Format) Uses(v Var) bool { return f != nil && v < varCount && f.uses[v] }

// ErrSyntax marks every compilation error; errors.Is(err, ErrSyntax).
var ErrSyntax = errors.New("log-format syntax error")

type syntaxError struct{ msg string }

func (e *syntaxError) Error() string        { return e.msg }
func (e *syntaxError) Is(target error) bool { return target == ErrSyntax }

func errorf(format string, args ...any) error {
	return &syntaxError{fmt.Sprintf(format, args...)}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

// Compile parses a log-format string. Errors carry the reference's
// wording after its "failed to parse log-format : " prefix.
func Compile(s string, o Options) (*Format, error) {
	if o.Sample == nil {
		o.Sample = BasicSamples
	}
	f := &Format{src: s}
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			f.nodes = append(f.nodes, node{kind: nodeText, text: text.String()})
			text.Reset()
		}
	}
	var defaults Flags
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			// Runs of spaces separate fields: the reference writes one,
			// and none after an empty capture list or at the start.
			flush()
			f.nodes = append(f.nodes, node{kind: nodeSeparator})
			for i < len(s) && s[i] == ' ' {
				i++
			}
			continue
		case c != '%':
			text.WriteByte(c)
			i++
			continue
		}
		start := i
		i++
		if i >= len(s) {
			return nil, errorf("truncated line after '%%'.")
		}
		if s[i] == '%' {
			text.WriteByte('%')
			i++
			continue
		}
		flags := defaults
		if s[i] == '{' {
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return nil, errorf("truncated line after '%s'.", s[i+1:])
			}
			flags = parseFlags(s[i+1:i+1+end], flags)
			i += end + 2
			if i >= len(s) || s[i] != '[' && !isAlpha(s[i]) {
				return nil, errorf("parse argument modifier without variable name near '%s'.", s[start:i])
			}
		}
		switch {
		case s[i] == '[':
			n, next, err := compileSample(s, i+1, o.Sample)
			if err != nil {
				return nil, err
			}
			flush()
			n.flags = flags
			if o.RuleValue {
				n.flags &^= Quote
			}
			f.nodes = append(f.nodes, n)
			i = next
		case isAlpha(s[i]):
			j := i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			name := s[i:j]
			v, ok := varByName[name]
			if !ok {
				return nil, errorf("no such format variable '%s'. If you wanted to emit the '%%' character verbatim, you need to use '%%%%'.", name)
			}
			if vars[v].httpOnly && !o.HTTP {
				return nil, errorf("format variable '%s' is reserved for HTTP mode.", name)
			}
			i = j
			if v == VarGlobalOpts {
				defaults = flags
				continue
			}
			flush()
			f.nodes = append(f.nodes, node{kind: nodeVar, v: v, flags: flags})
			f.uses[v] = true
		default:
			return nil, errorf("unexpected variable name near '%c' at position %d line : '%s'. Maybe you want to write a single '%%', use the syntax '%%%%'.", s[i], i, s)
		}
	}
	flush()
	return f, nil
}

// parseFlags applies "+Q,-X,..." to base; unknown names and words
// without a sign change nothing, as in the reference.
func parseFlags(args string, base Flags) Flags {
	for _, a := range strings.Split(args, ",") {
		if len(a) < 2 || a[0] != '+' && a[0] != '-' {
			continue
		}
		var fl Flags
		switch a[1:] {
		case "Q":
			fl = Quote
		case "X":
			fl = Hex
		case "E":
			fl = Escape
		}
		if a[0] == '+' {
			base |= fl
		} else {
			base &^= fl
		}
	}
	return base
}

// compileSample reads the expression starting at s[i] (after '['): up to
// a ']' or blank outside parentheses. It returns the node and the index
// after the ']'.
func compileSample(s string, i int, compile SampleCompiler) (node, int, error) {
	rest := s[i:]
	depth, j := 0, i
scan:
	for ; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ']', ' ', '\t':
			if depth == 0 {
				break scan
			}
		}
	}
	expr := s[i:j]
	if expr == "" {
		return node{}, 0, errorf("failed to parse sample expression <%s> : missing fetch method.", rest)
	}
	smp, err := compile(expr)
	var ue *UnavailableError
	switch {
	case errors.As(err, &ue):
		return node{}, 0, errorf("sample fetch <%s> may not be reliably used here because it needs '%s' which is not available here.", rest, ue.Needs)
	case err != nil:
		return node{}, 0, errorf("failed to parse sample expression <%s> : %s", rest, err.Error())
	}
	if j >= len(s) {
		return node{}, 0, errorf("missing ']' after '%s'.", expr)
	}
	if s[j] != ']' {
		return node{}, 0, errorf("expected ']' after '%s', but found '%c'.", expr, s[j])
	}
	return node{kind: nodeSample, text: expr, sample: smp}, j + 1, nil
}
