package sample

import (
	"fulcrum/proxy/http1"
	"fulcrum/proxy/spop"
)

// req.hdrs, res.hdrs: the header block as text, one "name: value" line
// each (names lower-cased, as HAProxy's internal message holds them),
// ending with the empty line (a Connection header the parser drops
// left out, as everywhere); req.hdrs_bin, res.hdrs_bin: the same as
// varint-prefixed names and values, ending with an empty name and value.
// SPOE agents (WAFs, bouncers) take them whole.
func init() {
	for _, side := range []struct {
		prefix string
		res    bool
	}{{"req.", false}, {"res.", true}} {
		res := side.res
		headers := func(c *Call) (http1.Headers, Result) {
			if res {
				if r := c.Env.HTTPResponse(); r != nil {
					return r.Headers, Found
				}
				return nil, Miss
			}
			r, found := request(c)
			if found != Found {
				return nil, found
			}
			return r.Headers, Found
		}
		// block builds the whole header block: each visible header, then
		// the end marker.
		block := func(name string, out Type, add func(b []byte, h http1.Header) []byte, end ...byte) {
			RegisterFetch(Fetch{Name: side.prefix + name, Out: out, HTTP: true, Fn: func(c *Call, s *Sample) Result {
				hs, found := headers(c)
				if found != Found {
					return found
				}
				b := c.Buf[:0]
				for _, h := range hs {
					if !hidden(h) {
						b = add(b, h)
					}
				}
				c.Buf = append(b, end...)
				*s = Sample{Type: out, Bytes: c.Buf}
				return Found
			}})
		}
		block("hdrs", Str, func(b []byte, h http1.Header) []byte {
			b = appendLower(b, h.Name)
			return append(append(append(b, ':', ' '), h.Value...), '\r', '\n')
		}, '\r', '\n')
		block("hdrs_bin", Bin, func(b []byte, h http1.Header) []byte {
			b = appendLower(spop.AppendVarint(b, uint64(len(h.Name))), h.Name)
			return append(spop.AppendVarint(b, uint64(len(h.Value))), h.Value...)
		}, 0, 0)
	}
}

func appendLower(dst, s []byte) []byte {
	for _, ch := range s {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}

// UniqueIDEnv is an Env that knows the request's unique ID (from the
// frontend's unique-id-format).
type UniqueIDEnv interface {
	// UniqueID is the ID; ok is false without a unique-id-format.
	UniqueID() (id []byte, ok bool)
}

// unique-id: the request's unique ID, as SPOE agents take it to tie
// their logs to HAProxy's.
func init() {
	RegisterFetch(Fetch{Name: "unique-id", Out: Str, HTTP: true, Fn: func(c *Call, out *Sample) Result {
		env, ok := c.Env.(UniqueIDEnv)
		if !ok {
			return Miss
		}
		id, ok := env.UniqueID()
		if !ok {
			return Miss
		}
		*out = strSample(id)
		return Found
	}})
}
