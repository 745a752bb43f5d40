// Package httpcache is the memory store behind HAProxy's `cache`
// sections: whole HTTP responses by key, each with its expiry, in a space
// of 1 KiB blocks bounded by total-max-size, the least recently used
// entries making room for new ones.
package httpcache

import (
	"bytes"
	"container/list"
	"crypto/sha1"
	"strconv"
	"sync"
	"time"

	"fulcrum/proxy/http1"
)

// BlockSize is the reference's unit of cache memory: an entry takes
// whole blocks.
const BlockSize = 1024

// The sizes an entry takes in the reference's memory (its `show cache`
// size): the entry descriptor with the start line's, each block's
// 4-byte info, the end-of-headers block and one data block.
const (
	entryOverhead = 137 + len("HTTP/1.1") + len("200")
	blockInfo     = 4
	endOfTrailers = blockInfo + 1
)

// Settings are a cache section's values.
type Settings struct {
	Name string
	// Blocks is total-max-size in BlockSize units.
	Blocks int
	// MaxObjectSize bounds one entry (bytes).
	MaxObjectSize int
	// MaxAge caps every entry's lifetime (seconds).
	MaxAge int
	// ProcessVary stores responses that vary on the request headers the
	// reference knows (Accept-Encoding, Referer).
	ProcessVary bool
	// MaxSecondary bounds the variants kept under one primary key.
	MaxSecondary int
}

// Key is a request's primary key: the SHA-1 of its absolute URI.
type Key [sha1.Size]byte

// Entry is one stored response.
type Entry struct {
	Key Key
	// Status, Reason and Headers are the stored head (no Age and no
	// Connection header).
	Status  int
	Reason  string
	Headers http1.Headers
	// Body is the body as it is served after the head, with its chunked
	// framing when Chunked.
	Body    []byte
	Chunked bool
	dataLen int // the body's payload
	// Expire is when the entry stops being served (unix seconds).
	Expire int64
	// Validated is when it was stored (unix seconds) and Age the origin's
	// Age then: the Age served is their sum with the time since.
	Validated, Age int64
	// ETag is the stored ETag value ("" = none); LastModified is the
	// time If-Modified-Since compares with (unix seconds).
	ETag         string
	LastModified int64
	// VarySig is the set of varying headers (0 = the entry does not vary)
	// and Secondary the request's values of them.
	VarySig   uint32
	Secondary Secondary

	elem *list.Element
	size int // in blocks
}

// Secondary is a request's secondary key: an Accept-Encoding bitmap and
// a hash of the Referer.
type Secondary struct {
	Encodings uint32
	Referer   uint32
}

// HeadSize is what the stored head takes with the entry's own
// bookkeeping: Size less the body.
func (e *Entry) HeadSize() int {
	n := entryOverhead + len(e.Reason) + 2*blockInfo
	for _, h := range e.Headers {
		n += blockInfo + len(h.Name) + len(h.Value)
	}
	return n
}

// Size is what the entry takes, as the reference counts it: the payload
// of a chunked body, and its end-of-trailers block.
func (e *Entry) Size() int {
	if e.Chunked {
		return e.HeadSize() + e.DataLen() + endOfTrailers
	}
	return e.HeadSize() + len(e.Body)
}

// DataLen is the length of the body's payload.
func (e *Entry) DataLen() int {
	if e.Chunked {
		return e.dataLen
	}
	return len(e.Body)
}

// Blocks is the number of blocks the entry takes.
func (e *Entry) Blocks() int { return e.size }

// Cache is one cache section's store; safe for concurrent use.
type Cache struct {
	Settings
	mu      sync.Mutex
	entries map[Key][]*Entry // variants of a key, oldest first
	lru     list.List        // of *Entry, least recently used first
	used    int              // blocks
	writing map[Key][]*Entry // entries whose body is coming (writing.go)
}

// New makes an empty store.
func New(s Settings) *Cache {
	if s.MaxSecondary <= 0 {
		s.MaxSecondary = 10
	}
	return &Cache{Settings: s, entries: map[Key][]*Entry{}}
}

// Lookup finds a live entry of key; match picks among variants (the
// entry's signature and secondary key). The entry found becomes the most
// recently used.
func (c *Cache) Lookup(key Key, now int64, match func(e *Entry) bool) *Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[key] {
		if e.Expire > now && (e.VarySig == 0 || match(e)) {
			c.lru.MoveToBack(e.elem)
			return e
		}
	}
	return nil
}

// Primary returns the first entry of key (live or not), for the
// signature a variant lookup needs.
func (c *Cache) Primary(key Key, now int64) *Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[key] {
		if e.Expire > now {
			return e
		}
	}
	return nil
}

// Fits tells whether an entry of n bytes may be stored.
func (c *Cache) Fits(n int) bool {
	return c.MaxObjectSize <= 0 || n <= c.MaxObjectSize
}

// blocksFor is the number of blocks an entry of n response bytes takes.
func blocksFor(n int) int { return (n + BlockSize - 1) / BlockSize }

// Store adds e, replacing the live entry of the same key and variant
// (same, nil for a non-varying entry) and evicting the least recently
// used ones until it fits. False when it cannot be stored: too big, or
// too many variants of its key.
func (c *Cache) Store(e *Entry, now int64, same func(old *Entry) bool) bool {
	if e.Chunked {
		e.dataLen = ChunkedDataLen(e.Body)
	}
	n := e.Size()
	if !c.Fits(n) {
		return false
	}
	e.size = blocksFor(n)
	if e.size > c.Blocks {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	live := 0
	for _, old := range c.entries[e.Key] {
		switch {
		case old.Expire <= now || old.VarySig == 0 || e.VarySig == 0 || same != nil && same(old):
			c.remove(old)
		default:
			live++
		}
	}
	if e.VarySig != 0 && live >= c.MaxSecondary {
		return false
	}
	for c.used+e.size > c.Blocks {
		c.remove(c.lru.Front().Value.(*Entry))
	}
	e.elem = c.lru.PushBack(e)
	c.entries[e.Key] = append(c.entries[e.Key], e)
	c.used += e.size
	return true
}

// Delete removes every entry of key (a successful unsafe request on it).
func (c *Cache) Delete(key Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[key] {
		c.remove(e)
	}
}

// remove takes e out; the caller holds mu.
func (c *Cache) remove(e *Entry) {
	dropFrom(c.entries, e)
	c.lru.Remove(e.elem)
	c.used -= e.size
}

// Available is the number of free blocks.
func (c *Cache) Available() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Blocks - c.used
}

// Live lists the entries not expired at now, least recently used first.
func (c *Cache) Live(now int64) []*Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Entry
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*Entry); e.Expire > now {
			out = append(out, e)
		}
	}
	return out
}

// eachChunk calls fn with the data of each chunk of a whole chunked
// body, up to its last chunk (or what cannot be read).
func eachChunk(b []byte, fn func(data []byte)) {
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			return
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		k, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || k <= 0 || k > int64(len(rest)) {
			return
		}
		fn(rest[:k])
		b, _ = bytes.CutPrefix(rest[k:], []byte("\r\n"))
	}
}

// ChunkedDataLen is the payload length of a whole chunked body.
func ChunkedDataLen(b []byte) int {
	n := 0
	eachChunk(b, func(data []byte) { n += len(data) })
	return n
}

// Dechunk is the payload of a whole chunked body.
func Dechunk(b []byte) []byte {
	var out []byte
	eachChunk(b, func(data []byte) { out = append(out, data...) })
	return out
}

// Now is the cache clock: wall-clock seconds, as entries' times are.
func Now() int64 { return time.Now().Unix() }
