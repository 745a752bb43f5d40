package sample

import (
	"fmt"
	"strings"
)

// Template is a string with `%[expr]` sample expressions in it, as in
// header values, `http-request return lf-string` or dynamic
// `use_backend %[...]` names. Other log-format variables (%ci, %{+Q}...)
// belong to the log-format parser, which can use ParseExpr for the
// `%[...]` parts.
type Template struct {
	parts []part
}

type part struct {
	lit  string
	expr *Expr // nil for a literal
}

// ParseTemplate compiles text; "%%" is a literal '%'. Any other '%'
// sequence is an error naming it, so that a caller can warn about what
// it does not evaluate.
func ParseTemplate(text string, o *Options) (*Template, error) {
	t := &Template{}
	var lit strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		if i+1 < len(text) && text[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(text) || text[i+1] != '[' {
			end := min(i+3, len(text))
			return nil, fmt.Errorf("log-format variable '%s' is not a sample expression", text[i:end])
		}
		x, rest, err := parseExpr(text[i+2:], o, func(c byte) bool { return c == ']' })
		if err != nil {
			return nil, err
		}
		if rest == "" {
			return nil, fmt.Errorf("missing closing ']' in '%s'", text[i:])
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
		t.parts = append(t.parts, part{expr: x})
		i = len(text) - len(rest)
	}
	if lit.Len() > 0 || len(t.parts) == 0 {
		t.parts = append(t.parts, part{lit: lit.String()})
	}
	return t, nil
}

// Literal reports whether the template holds no expression, and its
// text.
func (t *Template) Literal() (string, bool) {
	if len(t.parts) == 1 && t.parts[0].expr == nil {
		return t.parts[0].lit, true
	}
	return "", false
}

// Append evaluates the template and appends it to dst; an expression
// without a value adds nothing.
func (t *Template) Append(dst []byte, env Env) []byte {
	for _, p := range t.parts {
		if p.expr == nil {
			dst = append(dst, p.lit...)
			continue
		}
		dst, _ = p.expr.AppendString(dst, env)
	}
	return dst
}

// String evaluates the template.
func (t *Template) String(env Env) string { return string(t.Append(nil, env)) }
