package httpcache

import (
	"bytes"
	"strconv"
	"time"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/xxhash"
)

// The reference's rules for what is looked up, stored and served, after
// RFC 7234 as HAProxy 2.6 reads it.

// eachValue calls fn with each comma-separated, trimmed value of the
// name headers until fn returns false.
func eachValue(hs http1.Headers, name string, fn func(v []byte) bool) {
	for i := hs.Index(name, 0); i >= 0; i = hs.Index(name, i+1) {
		for v := range bytes.SplitSeq(hs[i].Value, []byte(",")) {
			if !fn(bytes.TrimSpace(v)) {
				return
			}
		}
	}
}

// first is the whole value of the first name header.
func first(hs http1.Headers, name string) ([]byte, bool) {
	v, ok := hs.Get(name)
	return bytes.TrimSpace(v), ok
}

func hasPrefixFold(v []byte, p string) bool {
	return len(v) >= len(p) && bytes.EqualFold(v[:len(p)], []byte(p))
}

// RequestFlags are what a request allows: Use, looking the cache up;
// Store, storing the response it gets.
type RequestFlags struct {
	Use, Store bool
}

// Request reads a GET or HEAD HTTP/1.1 request's headers: an
// Authorization header forbids both; Cache-Control max-age, no-cache,
// max-stale and min-fresh (or, without Cache-Control, Pragma: no-cache)
// skip the lookup; no-store forbids storing.
func Request(hs http1.Headers) RequestFlags {
	f := RequestFlags{Use: true, Store: true}
	pragma := false
	if v, ok := first(hs, "pragma"); ok && bytes.EqualFold(v, []byte("no-cache")) {
		pragma = true
	}
	if hs.Index("authorization", 0) >= 0 {
		return RequestFlags{}
	}
	cc := false
	eachValue(hs, "cache-control", func(v []byte) bool {
		cc = true
		switch {
		case hasPrefixFold(v, "max-age"), hasPrefixFold(v, "no-cache"), hasPrefixFold(v, "max-stale"), hasPrefixFold(v, "min-fresh"):
			f.Use = false
		case hasPrefixFold(v, "no-store"):
			f.Store = false
		}
		return true
	})
	if !cc && pragma {
		f.Use = false
	}
	return f
}

// Storable tells whether a 200 response to a GET may be stored, given
// what the request allowed: not with Pragma: no-cache or Cache-Control
// private, no-cache, no-store, max-age=0, s-maxage=0 (public allows it
// again), no-cache="set-cookie", nor without freshness information
// (max-age, s-maxage, Expires) or a validator (ETag, Last-Modified).
func Storable(status int, hs http1.Headers, allowed bool) bool {
	if status != 200 {
		return false
	}
	if v, ok := first(hs, "pragma"); ok && bytes.EqualFold(v, []byte("no-cache")) {
		return false
	}
	cacheable, cook, fresh := allowed, allowed, false
	eachValue(hs, "cache-control", func(v []byte) bool {
		switch {
		case bytes.EqualFold(v, []byte("public")):
			cacheable, cook = true, true
		case bytes.EqualFold(v, []byte("private")), bytes.EqualFold(v, []byte("no-cache")),
			bytes.EqualFold(v, []byte("no-store")), bytes.EqualFold(v, []byte("max-age=0")),
			bytes.EqualFold(v, []byte("s-maxage=0")):
			cacheable, cook = false, false
		case hasPrefixFold(v, `no-cache="set-cookie`):
			cook = false
		case hasPrefixFold(v, "s-maxage"), hasPrefixFold(v, "max-age"):
			fresh = true
		}
		return true
	})
	if !fresh && hs.Index("expires", 0) < 0 && hs.Index("etag", 0) < 0 && hs.Index("last-modified", 0) < 0 {
		return false
	}
	return cacheable && cook
}

// directive reads "word=N" (N possibly quoted): found tells the word
// is there with a value, n is -1 when the value is no number.
func directive(v []byte, word string) (n int64, found bool) {
	if !hasPrefixFold(v, word) || len(v) <= len(word) || v[len(word)] != '=' {
		return 0, false
	}
	s := v[len(word)+1:]
	if len(s) > 0 && s[0] == '"' {
		s = s[1:]
	}
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && s[end] == '-') {
		end++
	}
	n, err := strconv.ParseInt(string(s[:end]), 10, 64)
	if err != nil || n < 0 {
		return -1, true
	}
	return n, true
}

// MaxAge is how long a response may be served (the section's max-age
// capping s-maxage, max-age, or Expires less now) and its own announced
// lifetime (0 when it announces none); a negative effective age means
// it is stale already.
func MaxAge(hs http1.Headers, cacheMax int, now int64) (effective, announced int64) {
	smax, max := int64(-1), int64(-1)
	bad := false
	eachValue(hs, "cache-control", func(v []byte) bool {
		if n, ok := directive(v, "s-maxage"); ok {
			if n < 0 {
				bad = true
				return false
			}
			smax = n
		}
		if n, ok := directive(v, "max-age"); ok {
			if n < 0 {
				bad = true
				return false
			}
			max = n
		}
		return true
	})
	if bad {
		return -1, 0
	}
	limit := int64(cacheMax)
	switch {
	case smax > 0:
		return min(smax, limit), smax
	case max > 0:
		return min(max, limit), max
	}
	if smax == -1 && max == -1 {
		if v, ok := first(hs, "expires"); ok {
			exp := int64(0)
			if t, ok := ParseDate(v); ok && t >= now {
				exp = t - now
			}
			return min(exp, limit), exp
		}
	}
	return limit, 0
}

// ParseDate reads an HTTP date (IMF-fixdate, RFC 850 or asctime) as unix
// seconds.
func ParseDate(v []byte) (int64, bool) {
	for _, layout := range [...]string{time.RFC1123, "Monday, 02-Jan-06 15:04:05 MST", time.ANSIC} {
		if t, err := time.Parse(layout, string(v)); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

// LastModified is what If-Modified-Since is compared with: the
// Last-Modified date, else the Date, else now.
func LastModified(hs http1.Headers, now int64) int64 {
	for _, name := range [...]string{"last-modified", "date"} {
		if v, ok := first(hs, name); ok {
			if t, ok := ParseDate(v); ok && t != 0 {
				return t
			}
		}
	}
	return now
}

// NotModified tells whether a conditional request gets a 304 from e:
// an If-None-Match value of "*" or weakly equal to the entry's ETag, or,
// without If-None-Match, an If-Modified-Since not before the entry's
// last modification.
func NotModified(hs http1.Headers, e *Entry) bool {
	found, match := false, false
	eachValue(hs, "if-none-match", func(v []byte) bool {
		found = true
		if string(v) == "*" {
			match = true
			return false
		}
		if e.ETag == "" {
			return false
		}
		match = weakEqual([]byte(e.ETag), v)
		return !match
	})
	if found {
		return match
	}
	if v, ok := first(hs, "if-modified-since"); ok {
		if t, ok := ParseDate(v); ok {
			return e.LastModified <= t
		}
	}
	return false
}

// weakEqual compares two entity tags, W/ prefixes ignored.
func weakEqual(a, b []byte) bool {
	a, _ = bytes.CutPrefix(a, []byte("W/"))
	b, _ = bytes.CutPrefix(b, []byte("W/"))
	return len(a) > 1 && a[0] == '"' && bytes.Equal(a, b)
}

// The headers a response may vary on, as signature bits (HAProxy 2.6
// knows these two).
const (
	VaryAcceptEncoding uint32 = 1 << iota
	VaryReferer
)

// VarySignature reads the response's Vary header: ok is false when it
// names a header other than those the reference handles.
func VarySignature(hs http1.Headers) (sig uint32, ok bool) {
	ok = true
	eachValue(hs, "vary", func(v []byte) bool {
		switch {
		case bytes.EqualFold(v, []byte("accept-encoding")):
			sig |= VaryAcceptEncoding
		case bytes.EqualFold(v, []byte("referer")):
			sig |= VaryReferer
		default:
			ok = false
		}
		return ok
	})
	return sig, ok
}

// Content codings as bits of an Accept-Encoding bitmap.
const (
	encGzip uint32 = 1 << iota
	encDeflate
	encBr
	encCompress
	encAES128GCM
	encExi
	encPack200Gzip
	encZstd
	encIdentity
	encStar
	encOther
)

var encodings = []struct {
	name string
	bit  uint32
}{{"aes128gcm", encAES128GCM}, {"br", encBr}, {"compress", encCompress}, {"deflate", encDeflate},
	{"exi", encExi}, {"gzip", encGzip}, {"identity", encIdentity}, {"pack200-gzip", encPack200Gzip},
	{"x-gzip", encGzip}, {"x-compress", encCompress}, {"zstd", encZstd}, {"*", encStar}}

// encoding reads one coding with its optional weight; ok is false for
// one the reference does not know.
func encoding(v []byte) (bit uint32, zeroWeight, ok bool) {
	for _, e := range encodings {
		if rest, found := bytes.CutPrefix(v, []byte(e.name)); found {
			rest = bytes.TrimLeft(rest, " \t")
			if len(rest) == 0 {
				return e.bit, false, true
			}
			if rest[0] != ';' {
				return 0, false, false
			}
			return e.bit, string(bytes.TrimLeft(rest[1:], " \t")) == "q=0", true
		}
	}
	return 0, false, false
}

// maxAcceptEncodings: a request listing this many codings is not keyed.
const maxAcceptEncodings = 16

// acceptedEncodings is the request's Accept-Encoding bitmap; false
// when it lists too many codings.
func acceptedEncodings(hs http1.Headers) (uint32, bool) {
	accepted, refused := encIdentity, ^uint32(0)
	count := 0
	eachValue(hs, "accept-encoding", func(v []byte) bool {
		if count == maxAcceptEncodings {
			return false
		}
		count++
		if len(v) == 0 {
			return true
		}
		bit, zero, ok := encoding(bytes.ToLower(v))
		switch {
		case !ok:
			accepted |= encOther
		case zero:
			refused &^= bit
		default:
			accepted |= bit
		}
		return true
	})
	if accepted&encStar != 0 {
		accepted = ^uint32(0)
	}
	accepted &= refused
	if count == 0 {
		accepted = ^uint32(0)
	}
	return accepted, count < maxAcceptEncodings
}

// RequestSecondary is the request's secondary key for the headers of
// sig; false when none can be built.
func RequestSecondary(hs http1.Headers, sig uint32) (Secondary, bool) {
	var s Secondary
	if sig&VaryAcceptEncoding != 0 {
		enc, ok := acceptedEncodings(hs)
		if !ok {
			return s, false
		}
		s.Encodings = enc
	}
	if v, ok := hs.Get("referer"); ok && sig&VaryReferer != 0 {
		s.Referer = xxhash.Sum32(v, 0) | 1 // a present header never hashes as an absent one
	}
	return s, true
}

// ResponseEncodings is the bitmap of a response's content codings
// (identity when it has none); false when one is unknown.
func ResponseEncodings(hs http1.Headers) (uint32, bool) {
	var bits uint32
	ok := true
	eachValue(hs, "content-encoding", func(v []byte) bool {
		bit, _, known := encoding(v)
		if !known || len(v) == 0 {
			ok = false
			return false
		}
		bits |= bit
		return true
	})
	if bits == 0 {
		bits = encIdentity
	}
	return bits, ok
}

// Matches tells whether a request's secondary key (built for the
// entry's signature) selects the entry: the entry's codings are all
// accepted, and the other headers are the same.
func (e *Entry) Matches(req Secondary) bool {
	if e.Secondary.Encodings&encOther != 0 || e.Secondary.Encodings&req.Encodings != e.Secondary.Encodings {
		return false
	}
	return e.Secondary.Referer == req.Referer
}
