package httpcache

import (
	"crypto/sha1"
	"strings"
	"testing"

	"fulcrum/proxy/http1"
)

func key(s string) Key { return sha1.Sum([]byte(s)) }

func entry(k string, body int, expire int64) *Entry {
	return &Entry{Key: key(k), Status: 200, Reason: "OK", Body: make([]byte, body), Expire: expire}
}

// TestStoreEvictsLeastRecentlyUsed: a full store makes room by dropping
// the entries used longest ago, whole blocks at a time.
func TestStoreEvictsLeastRecentlyUsed(t *testing.T) {
	c := New(Settings{Name: "c", Blocks: 4})
	for _, k := range []string{"a", "b", "c", "d"} {
		if !c.Store(entry(k, 500, 100), 0, nil) {
			t.Fatalf("%s not stored", k)
		}
	}
	if got := c.Available(); got != 0 {
		t.Fatalf("available blocks %d, want 0", got)
	}
	// a is used: b is now the least recently used.
	if c.Lookup(key("a"), 0, nil) == nil {
		t.Fatal("a not found")
	}
	if !c.Store(entry("e", 1500, 100), 0, nil) { // two blocks
		t.Fatal("e not stored")
	}
	for _, tc := range []struct {
		k    string
		kept bool
	}{{"a", true}, {"b", false}, {"c", false}, {"d", true}, {"e", true}} {
		if got := c.Lookup(key(tc.k), 0, nil) != nil; got != tc.kept {
			t.Errorf("%s kept %v, want %v", tc.k, got, tc.kept)
		}
	}
}

// TestStoreLimits: an object over max-object-size, or larger than the
// whole cache, is refused.
func TestStoreLimits(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		s      Settings
		body   int
		stored bool
	}{
		{"fits", Settings{Blocks: 4, MaxObjectSize: 2000}, 1000, true},
		{"over max-object-size", Settings{Blocks: 4, MaxObjectSize: 2000}, 2000, false},
		{"over the cache", Settings{Blocks: 1}, 1000, false},
		{"no object limit", Settings{Blocks: 8}, 5000, true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := New(tc.s)
			if got := c.Store(entry("k", tc.body, 10), 0, nil); got != tc.stored {
				t.Errorf("stored %v, want %v", got, tc.stored)
			}
		})
	}
}

// TestStoreExpiry: an entry is served until its expiry second, and a
// new one replaces it.
func TestStoreExpiry(t *testing.T) {
	c := New(Settings{Blocks: 4})
	c.Store(entry("k", 10, 100), 40, nil)
	if c.Lookup(key("k"), 99, nil) == nil {
		t.Fatal("not served before expiry")
	}
	if c.Lookup(key("k"), 100, nil) != nil {
		t.Fatal("served at expiry")
	}
	if len(c.Live(100)) != 0 {
		t.Fatal("listed after expiry")
	}
	c.Store(entry("k", 10, 200), 100, nil)
	if got := len(c.Live(150)); got != 1 {
		t.Fatalf("%d live entries, want 1", got)
	}
	if c.Available() != 3 {
		t.Fatalf("available %d, want 3 (the expired entry freed)", c.Available())
	}
	c.Delete(key("k"))
	if c.Lookup(key("k"), 150, nil) != nil || c.Available() != 4 {
		t.Fatal("not deleted")
	}
}

// TestStoreVariants: variants of one key are kept side by side up to
// max-secondary-entries; the same variant replaces itself.
func TestStoreVariants(t *testing.T) {
	c := New(Settings{Blocks: 16, MaxSecondary: 2})
	variant := func(ref uint32) *Entry {
		e := entry("k", 10, 100)
		e.VarySig, e.Secondary = VaryReferer, Secondary{Encodings: encIdentity, Referer: ref}
		return e
	}
	same := func(e *Entry) func(*Entry) bool {
		return func(old *Entry) bool { return old.Secondary == e.Secondary }
	}
	for _, ref := range []uint32{1, 2, 2} {
		e := variant(ref)
		if !c.Store(e, 0, same(e)) {
			t.Fatalf("variant %d not stored", ref)
		}
	}
	if e := variant(3); c.Store(e, 0, same(e)) {
		t.Fatal("a third variant was stored")
	}
	if got := len(c.Live(0)); got != 2 {
		t.Fatalf("%d variants, want 2", got)
	}
	req := Secondary{Encodings: ^uint32(0), Referer: 2}
	if e := c.Lookup(key("k"), 0, func(e *Entry) bool { return e.Matches(req) }); e == nil || e.Secondary.Referer != 2 {
		t.Fatal("variant 2 not found")
	}
}

func hdrs(lines ...string) http1.Headers {
	var hs http1.Headers
	for _, l := range lines {
		n, v, _ := strings.Cut(l, ":")
		hs = append(hs, http1.Header{Name: []byte(n), Value: []byte(strings.TrimSpace(v))})
	}
	return hs
}

// TestMaxAge: the section's max-age caps what the response announces.
func TestMaxAge(t *testing.T) {
	now := int64(2_000_000_000)
	for _, tc := range []struct {
		desc                string
		hs                  http1.Headers
		effective, announce int64
	}{
		{"none", hdrs(), 60, 0},
		{"max-age", hdrs("Cache-Control: max-age=30"), 30, 30},
		{"capped", hdrs("Cache-Control: max-age=300"), 60, 300},
		{"s-maxage first", hdrs("Cache-Control: max-age=30, s-maxage=10"), 10, 10},
		{"quoted", hdrs(`Cache-Control: max-age="20"`), 20, 20},
		{"bad", hdrs("Cache-Control: max-age=x"), -1, 0},
		{"expires", hdrs("Expires: Wed, 18 May 2033 03:33:30 GMT"), 10, 10},
		{"expired", hdrs("Expires: Thu, 01 Dec 1994 16:00:00 GMT"), 0, 0},
		{"bad expires", hdrs("Expires: soon"), 0, 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			e, a := MaxAge(tc.hs, 60, now)
			if e != tc.effective || a != tc.announce {
				t.Errorf("MaxAge = %d, %d; want %d, %d", e, a, tc.effective, tc.announce)
			}
		})
	}
}

// TestAcceptedEncodings reads Accept-Encoding as the reference does.
func TestAcceptedEncodings(t *testing.T) {
	for _, tc := range []struct {
		desc string
		hs   http1.Headers
		want uint32
	}{
		{"absent: all", hdrs(), ^uint32(0)},
		{"gzip", hdrs("Accept-Encoding: gzip"), encIdentity | encGzip},
		{"refused identity", hdrs("Accept-Encoding: gzip, identity;q=0"), encGzip},
		{"star", hdrs("Accept-Encoding: *, br;q=0"), ^encBr},
		{"unknown", hdrs("Accept-Encoding: foo"), encIdentity | encOther},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got, _ := acceptedEncodings(tc.hs); got != tc.want {
				t.Errorf("got %#x, want %#x", got, tc.want)
			}
		})
	}
}

// FuzzPolicy feeds arbitrary header values to the rules that read them:
// nothing may panic.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{"max-age=10", `s-maxage="5"`, "no-cache=\"set-cookie\"", "gzip;q=0, *", "W/\"x\"", "Thu, 01 Dec 1994 16:00:00 GMT", ",,", "max-age=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		hs := hdrs("Cache-Control: "+v, "Pragma: "+v, "Expires: "+v, "Vary: "+v, "Accept-Encoding: "+v,
			"Content-Encoding: "+v, "If-None-Match: "+v, "If-Modified-Since: "+v, "Age: "+v, "Referer: "+v)
		Request(hs)
		Storable(200, hs, true)
		MaxAge(hs, 60, 0)
		VarySignature(hs)
		sec, _ := RequestSecondary(hs, ^uint32(0))
		ResponseEncodings(hs)
		ChunkedDataLen([]byte(v))
		e := &Entry{ETag: v, Secondary: sec}
		NotModified(hs, e)
		e.Matches(sec)
	})
}

// TestChunkedDataLen counts the payload of chunked bodies.
func TestChunkedDataLen(t *testing.T) {
	for _, tc := range []struct {
		desc, body string
		want       int
	}{
		{"one chunk", "b\r\nchunky body\r\n0\r\n\r\n", 11},
		{"two chunks, extension", "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 5},
		{"empty", "0\r\n\r\n", 0},
		{"cut short", "10\r\nabc", 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := ChunkedDataLen([]byte(tc.body)); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}
