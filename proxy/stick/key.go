package stick

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// Keys are the raw bytes HAProxy stores: 4 bytes for ip, 16 for ipv6, a
// 32-bit integer in the host's (little-endian) order, the string
// truncated to the key length, or the binary value zero-padded to it.
// Show sorts entries by these bytes, as the reference walks its tree. The Key* functions append the key
// of a sample to dst (pass a stack buffer: no allocation) and report
// false when the sample cannot be converted to the table's type.

// KeyFromAddr converts an address sample.
func (t *Table) KeyFromAddr(dst []byte, a netip.Addr) ([]byte, bool) {
	switch t.spec.Key {
	case IP:
		a = a.Unmap()
		if !a.Is4() {
			return nil, false
		}
		b := a.As4()
		return append(dst, b[:]...), true
	case IPv6:
		if !a.IsValid() {
			return nil, false
		}
		b := a.As16()
		return append(dst, b[:]...), true
	case Integer:
		a = a.Unmap()
		if !a.Is4() {
			return nil, false
		}
		b := a.As4()
		return t.KeyFromInt(dst, int64(binary.BigEndian.Uint32(b[:])))
	}
	return t.KeyFromString(dst, a.Unmap().String())
}

// KeyFromString converts a string (or binary) sample.
func (t *Table) KeyFromString(dst []byte, s string) ([]byte, bool) {
	switch t.spec.Key {
	case IP, IPv6:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, false
		}
		return t.KeyFromAddr(dst, a)
	case Integer:
		n, ok := leadingInt(s)
		if !ok {
			return nil, false
		}
		return t.KeyFromInt(dst, n)
	case String:
		if len(s) > t.spec.KeyLen {
			s = s[:t.spec.KeyLen]
		}
		return append(dst, s...), true
	}
	if len(s) > t.spec.KeyLen {
		s = s[:t.spec.KeyLen]
	}
	dst = append(dst, s...)
	for i := len(s); i < t.spec.KeyLen; i++ {
		dst = append(dst, 0)
	}
	return dst, true
}

// KeyFromInt converts an integer sample.
func (t *Table) KeyFromInt(dst []byte, n int64) ([]byte, bool) {
	switch t.spec.Key {
	case Integer:
		return binary.LittleEndian.AppendUint32(dst, uint32(n)), true
	case IP:
		return binary.BigEndian.AppendUint32(dst, uint32(n)), true
	case IPv6:
		var b [16]byte
		b[10], b[11] = 0xff, 0xff
		binary.BigEndian.PutUint32(b[12:], uint32(n))
		return append(dst, b[:]...), true
	}
	return t.KeyFromString(dst, strconv.FormatInt(n, 10))
}

// leadingInt reads an integer the way HAProxy casts strings: optional
// sign, then digits up to the first other character.
func leadingInt(s string) (int64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	return n, err == nil
}

// ParseKey reads a key as the Runtime API gives it (`key K`). As in the
// reference, an ip table takes anything (what is no IPv4 address is
// 0.0.0.0) and an ipv6 table only IPv6 addresses.
func (t *Table) ParseKey(text string) ([]byte, bool) {
	switch t.spec.Key {
	case IP:
		a, err := netip.ParseAddr(text)
		if err != nil || !a.Is4() {
			a = netip.IPv4Unspecified()
		}
		return t.KeyFromAddr(nil, a)
	case IPv6:
		a, err := netip.ParseAddr(text)
		if err != nil || !a.Is6() {
			return nil, false
		}
		return t.KeyFromAddr(nil, a)
	case Integer:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, false
		}
		return t.KeyFromInt(nil, n)
	case Binary:
		b, err := hex.DecodeString(text)
		if err != nil {
			return nil, false
		}
		return t.KeyFromString(nil, string(b))
	}
	return t.KeyFromString(nil, text)
}

// FormatKey renders a stored key as `show table` prints it.
func (t *Table) FormatKey(key string) string {
	switch t.spec.Key {
	case IP:
		if len(key) == 4 {
			return netip.AddrFrom4([4]byte([]byte(key))).String()
		}
	case IPv6:
		if len(key) == 16 {
			return netip.AddrFrom16([16]byte([]byte(key))).String()
		}
	case Integer:
		if len(key) == 4 {
			return strconv.FormatUint(uint64(binary.LittleEndian.Uint32([]byte(key))), 10)
		}
	case Binary:
		return strings.ToUpper(hex.EncodeToString([]byte(key)))
	}
	return key
}
