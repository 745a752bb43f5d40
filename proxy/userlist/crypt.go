package userlist

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strconv"
	"strings"
)

// Crypt hashes password with the scheme and salt of setting (a crypt(3)
// string: $1$ MD5, $5$ SHA-256 or $6$ SHA-512), as glibc does; ok is
// false for other schemes.
func Crypt(password, setting string) (string, bool) {
	switch {
	case strings.HasPrefix(setting, "$1$"):
		return md5Crypt([]byte(password), setting[3:]), true
	case strings.HasPrefix(setting, "$5$"):
		return shaCrypt(sha256.New, "$5$", password, setting[3:]), true
	case strings.HasPrefix(setting, "$6$"):
		return shaCrypt(sha512.New, "$6$", password, setting[3:]), true
	}
	return "", false
}

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// to64 appends n characters encoding the low bits of v, least
// significant first.
func to64(dst []byte, v uint32, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, itoa64[v&0x3f])
		v >>= 6
	}
	return dst
}

// saltOf cuts the salt at '$' and at max characters.
func saltOf(s string, max int) string {
	if i := strings.IndexByte(s, '$'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// md5Crypt is Poul-Henning Kamp's MD5-based crypt.
func md5Crypt(pw []byte, rest string) string {
	salt := []byte(saltOf(rest, 8))
	alt := md5.Sum(append(append(append([]byte(nil), pw...), salt...), pw...))
	h := md5.New()
	h.Write(pw)
	h.Write([]byte("$1$"))
	h.Write(salt)
	for n := len(pw); n > 0; n -= 16 {
		h.Write(alt[:min(n, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(pw[:1])
		}
	}
	final := h.Sum(nil)
	for i := range 1000 {
		h := md5.New()
		if i&1 != 0 {
			h.Write(pw)
		} else {
			h.Write(final)
		}
		if i%3 != 0 {
			h.Write(salt)
		}
		if i%7 != 0 {
			h.Write(pw)
		}
		if i&1 != 0 {
			h.Write(final)
		} else {
			h.Write(pw)
		}
		final = h.Sum(final[:0])
	}
	out := append([]byte("$1$"), salt...)
	out = append(out, '$')
	for _, t := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = to64(out, uint32(final[t[0]])<<16|uint32(final[t[1]])<<8|uint32(final[t[2]]), 4)
	}
	return string(to64(out, uint32(final[11]), 2))
}

// shaCrypt is Ulrich Drepper's SHA-crypt ($5$ and $6$), with the
// optional "rounds=N$" prefix.
func shaCrypt(newHash func() hash.Hash, magic, password, rest string) string {
	rounds, custom := 5000, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		if n, after, found := strings.Cut(r, "$"); found {
			if v, err := strconv.Atoi(n); err == nil {
				rounds, custom, rest = min(max(v, 1000), 999999999), true, after
			}
		}
	}
	pw, salt := []byte(password), []byte(saltOf(rest, 16))
	sum := func(parts ...[]byte) []byte {
		h := newHash()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	// repeat returns len bytes of d repeated.
	repeat := func(d []byte, n int) []byte {
		out := make([]byte, 0, n)
		for len(out) < n {
			out = append(out, d[:min(len(d), n-len(out))]...)
		}
		return out
	}
	b := sum(pw, salt, pw)
	h := newHash()
	h.Write(pw)
	h.Write(salt)
	h.Write(repeat(b, len(pw)))
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			h.Write(b)
		} else {
			h.Write(pw)
		}
	}
	a := h.Sum(nil)
	dp := newHash()
	for range len(pw) {
		dp.Write(pw)
	}
	p := repeat(dp.Sum(nil), len(pw))
	ds := newHash()
	for range 16 + int(a[0]) {
		ds.Write(salt)
	}
	s := repeat(ds.Sum(nil), len(salt))
	c := a
	for i := range rounds {
		h := newHash()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}
	out := []byte(magic)
	if custom {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	if len(c) == 32 {
		for i := range 10 {
			x, y, z := (i*21)%30, (i*21+10)%30, (i*21+20)%30
			out = to64(out, uint32(c[x])<<16|uint32(c[y])<<8|uint32(c[z]), 4)
		}
		return string(to64(out, uint32(c[31])<<8|uint32(c[30]), 3))
	}
	for i := range 21 {
		x, y, z := (i*22)%63, (i*22+21)%63, (i*22+42)%63
		out = to64(out, uint32(c[x])<<16|uint32(c[y])<<8|uint32(c[z]), 4)
	}
	return string(to64(out, uint32(c[63]), 2))
}
