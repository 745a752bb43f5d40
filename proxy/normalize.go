package proxy

import (
	"bytes"
	"slices"
)

// uriNormalizers are the `http-request normalize-uri` variants built, by
// name; each takes and returns the request target.
var uriNormalizers = map[string]func([]byte) []byte{
	"path-merge-slashes":   onPath(mergeSlashes),
	"path-strip-dot":       onPath(stripDot),
	"path-strip-dotdot":    onPath(stripDotDot),
	"percent-to-uppercase": percentUpper,
	"query-sort-by-name":   sortQuery,
	"fragment-strip":       stripFragment,
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

func stripFragment(u []byte) []byte {
	if i := bytes.IndexByte(u, '#'); i >= 0 {
		return u[:i]
	}
	return u
}
