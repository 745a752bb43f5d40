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
		RegisterFetch(Fetch{Name: side.prefix + "hdrs", Out: Str, HTTP: true, Fn: func(c *Call, out *Sample) Result {
			hs, found := headers(c)
			if found != Found {
				return found
			}
			b := c.Buf[:0]
			for _, h := range hs {
				if hidden(h) {
					continue
				}
				b = appendLower(b, h.Name)
				b = append(append(append(b, ':', ' '), h.Value...), '\r', '\n')
			}
			c.Buf = append(b, '\r', '\n')
			*out = strSample(c.Buf)
			return Found
		}})
		RegisterFetch(Fetch{Name: side.prefix + "hdrs_bin", Out: Bin, HTTP: true, Fn: func(c *Call, out *Sample) Result {
			hs, found := headers(c)
			if found != Found {
				return found
			}
			b := c.Buf[:0]
			for _, h := range hs {
				if hidden(h) {
					continue
				}
				b = spop.AppendVarint(b, uint64(len(h.Name)))
				b = appendLower(b, h.Name)
				b = spop.AppendVarint(b, uint64(len(h.Value)))
				b = append(b, h.Value...)
			}
			c.Buf = append(b, 0, 0)
			*out = binSample(c.Buf)
			return Found
		}})
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
