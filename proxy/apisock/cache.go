package apisock

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"fulcrum/proxy/httpcache"
)

func init() {
	register("show cache", "show cache                              : show cache status", (*session).showCache)
}

// showCache lists each cache with its blocks, then its live entries:
// the first four bytes of the key, the secondary key (the
// Accept-Encoding bitmap and the Referer hash), the size, and the
// seconds left, in the reference's format.
func (s *session) showCache(_ []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	var b strings.Builder
	now := httpcache.Now()
	for _, c := range s.srv.engine.Caches() {
		fmt.Fprintf(&b, "%p: %s (shctx:%p, available blocks:%d)\n", c, c.Name, &c.Settings, c.Blocks)
		entries := c.Live(now)
		// The reference walks its tree of entries by key.
		slices.SortStableFunc(entries, func(a, b *httpcache.Entry) int {
			return cmp.Compare(binary.LittleEndian.Uint32(a.Key[:4]), binary.LittleEndian.Uint32(b.Key[:4]))
		})
		for _, e := range entries {
			var vary [8]byte
			binary.LittleEndian.PutUint32(vary[:4], e.Secondary.Encodings)
			binary.LittleEndian.PutUint32(vary[4:], e.Secondary.Referer)
			fmt.Fprintf(&b, "%p hash:%d vary:0x%x size:%d (%d blocks), refcount:0, expire:%d\n",
				e, binary.LittleEndian.Uint32(e.Key[:4]), vary, e.Size(), e.Blocks(), e.Expire-now)
		}
	}
	return b.String()
}
