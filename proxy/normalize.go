package proxy

import (
	"bytes"
	"slices"
	"strings"
)

// uriNormalizers are the `http-request normalize-uri` variants built, by
// name; each takes and returns the request target.
var uriNormalizers = map[string]func([]byte) []byte{
	"path-merge-slashes":        onPath(mergeSlashes),
	"path-strip-dot":            onPath(stripDot),
	"path-strip-dotdot":         onPath(stripDotDot),
	"percent-to-uppercase":      percentUpper,
	"query-sort-by-name":        sortQuery,
	"fragment-strip":            stripFragment,
	"fragment-encode":           encodeFragment,
	"percent-decode-unreserved": percentDecodeUnreserved,
	"path-strip-dotdot full":    onPath(stripDotDotFull),
}

// uriNormalizer finds the normalizer of `normalize-uri NAME [OPTION]`.
func uriNormalizer(args []string) (func([]byte) []byte, bool) {
	f, ok := uriNormalizers[strings.Join(args, " ")]
	return f, ok
}

// onPath applies f to the part of an origin-form target before '?'.
func onPath(f func([]byte) []byte) func([]byte) []byte {
	return func(u []byte) []byte {
		if len(u) == 0 || u[0] != '/' {
			return u
		}
		p, q := u, []byte(nil)
		if i := bytes.IndexByte(u, '?'); i >= 0 {
			p, q = u[:i], u[i:]
		}
		return join(f(p), q)
	}
}

func mergeSlashes(p []byte) []byte {
	out := make([]byte, 0, len(p))
	for i, c := range p {
		if c == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		out = append(out, c)
	}
	return out
}

// stripDot removes "." segments.
func stripDot(p []byte) []byte {
	segs := bytes.Split(p[1:], []byte("/"))
	out := segs[:0]
	for i, s := range segs {
		if string(s) == "." {
			if i == len(segs)-1 {
				out = append(out, nil) // keep the trailing slash
			}
			continue
		}
		out = append(out, s)
	}
	return append([]byte("/"), bytes.Join(out, []byte("/"))...)
}

// stripDotDotFull is stripDotDot that also drops ".." segments with
// nothing before them.
func stripDotDotFull(p []byte) []byte {
	p = stripDotDot(p)
	for bytes.HasPrefix(p, []byte("/../")) || string(p) == "/.." {
		p = p[3:]
		if len(p) == 0 {
			p = []byte("/")
		}
	}
	return p
}

// stripDotDot resolves ".." segments against the previous one; a ".."
// with nothing before it stays.
func stripDotDot(p []byte) []byte {
	segs := bytes.Split(p[1:], []byte("/"))
	var out [][]byte
	for i, s := range segs {
		if string(s) == ".." && len(out) > 0 && string(out[len(out)-1]) != ".." {
			out = out[:len(out)-1]
			if i == len(segs)-1 {
				out = append(out, nil)
			}
			continue
		}
		out = append(out, s)
	}
	return append([]byte("/"), bytes.Join(out, []byte("/"))...)
}

func percentUpper(u []byte) []byte {
	out := bytes.Clone(u)
	for i := 0; i+2 < len(out); i++ {
		if out[i] == '%' && isHex(out[i+1]) && isHex(out[i+2]) {
			out[i+1], out[i+2] = upperHex(out[i+1]), upperHex(out[i+2])
		}
	}
	return out
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// sortQuery orders the query's parameters by name, keeping the order of
// equal names.
func sortQuery(u []byte) []byte {
	i := bytes.IndexByte(u, '?')
	if i < 0 {
		return u
	}
	params := bytes.Split(u[i+1:], []byte("&"))
	name := func(p []byte) []byte { n, _, _ := bytes.Cut(p, []byte("=")); return n }
	slices.SortStableFunc(params, func(a, b []byte) int { return bytes.Compare(name(a), name(b)) })
	return join(u[:i+1], bytes.Join(params, []byte("&")))
}

// percentDecodeUnreserved decodes %XX sequences of unreserved characters
// (letters, digits, '-', '.', '_', '~').
func percentDecodeUnreserved(u []byte) []byte {
	out := make([]byte, 0, len(u))
	for i := 0; i < len(u); i++ {
		if u[i] == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]) {
			c := unhex(u[i+1])<<4 | unhex(u[i+2])
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
				out = append(out, c)
				i += 2
				continue
			}
		}
		out = append(out, u[i])
	}
	return out
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// encodeFragment turns the fragment's '#' into "%23".
func encodeFragment(u []byte) []byte {
	if i := bytes.IndexByte(u, '#'); i >= 0 {
		return join(u[:i], []byte("%23"), u[i+1:])
	}
	return u
}

func stripFragment(u []byte) []byte {
	if i := bytes.IndexByte(u, '#'); i >= 0 {
		return u[:i]
	}
	return u
}
