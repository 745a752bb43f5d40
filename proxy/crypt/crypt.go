// Package crypt checks passwords against crypt(3) hashes as glibc's and
// libxcrypt's crypt do for the schemes userlists use: MD5-crypt ($1$),
// SHA-256-crypt ($5$), SHA-512-crypt ($6$), yescrypt ($y$, Debian 12's
// default), scrypt ($7$), bcrypt ($2a$, $2b$, $2x$, $2y$), traditional DES,
// bigcrypt, BSDi extended DES (_), the NT hash ($3$) and sha1crypt
// ($sha1$).
package crypt

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"hash"
	"strconv"
	"strings"
)

// ErrUnsupported is returned for a hash whose scheme or parameters are not
// implemented.
var ErrUnsupported = errors.New("unsupported crypt scheme")

// Schemes names the schemes Check verifies, for messages.
const Schemes = "DES, BSDi DES, bigcrypt, NT, MD5, SHA-1, SHA-256, SHA-512 crypt, bcrypt, scrypt and yescrypt"

// ErrMalformed is returned for a hash that cannot be a valid one.
var ErrMalformed = errors.New("malformed crypt hash")

// Supported tells whether Check can verify hashes like this one.
func Supported(hash string) bool { return schemeOf(hash) != nil }

// Check reports whether password hashes to hash (constant time in the
// comparison).
func Check(password, hash string) (bool, error) {
	got, err := Crypt(password, hash)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1, nil
}

// Crypt hashes password with the scheme and salt of setting (a full hash
// or just its "$id$[rounds=N$]salt" prefix), as crypt(3) does. As with a
// C string, the password ends at its first NUL byte.
func Crypt(password, setting string) (string, error) {
	scheme := schemeOf(setting)
	if scheme == nil {
		return "", ErrUnsupported
	}
	if i := strings.IndexByte(password, 0); i >= 0 {
		password = password[:i]
	}
	return scheme([]byte(password), setting)
}

// schemeOf picks the hash function for a setting by its prefix, as
// libxcrypt does; a setting with no known prefix is traditional DES if
// it starts with two salt characters.
func schemeOf(setting string) func(pw []byte, setting string) (string, error) {
	switch {
	case strings.HasPrefix(setting, "$1$"):
		return func(pw []byte, setting string) (string, error) { return md5Crypt(pw, setting[3:]), nil }
	case strings.HasPrefix(setting, "$5$"):
		return func(pw []byte, setting string) (string, error) { return shaCrypt(pw, setting[3:], sha256Scheme) }
	case strings.HasPrefix(setting, "$6$"):
		return func(pw []byte, setting string) (string, error) { return shaCrypt(pw, setting[3:], sha512Scheme) }
	case strings.HasPrefix(setting, "$y$"), strings.HasPrefix(setting, "$7$"):
		return yescryptCrypt
	case strings.HasPrefix(setting, "$2a$"), strings.HasPrefix(setting, "$2b$"), strings.HasPrefix(setting, "$2x$"),
		strings.HasPrefix(setting, "$2y$"):
		return bcryptCrypt
	case strings.HasPrefix(setting, "$sha1$"):
		return sha1Crypt
	case strings.HasPrefix(setting, "$3$"):
		return ntCrypt
	case strings.HasPrefix(setting, "_"):
		return bsdiCrypt
	case desSaltOK(setting):
		return desCrypt
	}
	return nil
}

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// put64 appends n base-64 digits of v, least significant first.
func put64(dst []byte, v uint32, n int) []byte {
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

// md5Crypt is Poul-Henning Kamp's MD5-based scheme.
func md5Crypt(pw []byte, rest string) string {
	salt := saltOf(rest, 8)
	alt := md5.Sum([]byte(string(pw) + salt + string(pw)))
	ctx := md5.New()
	ctx.Write(pw)
	ctx.Write([]byte("$1$"))
	ctx.Write([]byte(salt))
	for n := len(pw); n > 0; n -= 16 {
		ctx.Write(alt[:min(n, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(pw[:1])
		}
	}
	final := ctx.Sum(nil)
	final = mixRounds(ctx, 1000, final, pw, []byte(salt))
	out := []byte("$1$" + salt + "$")
	f := func(a, b, c int) uint32 { return uint32(final[a])<<16 | uint32(final[b])<<8 | uint32(final[c]) }
	out = put64(out, f(0, 6, 12), 4)
	out = put64(out, f(1, 7, 13), 4)
	out = put64(out, f(2, 8, 14), 4)
	out = put64(out, f(3, 9, 15), 4)
	out = put64(out, f(4, 10, 5), 4)
	out = put64(out, uint32(final[11]), 2)
	return string(out)
}

// shaScheme is one of Ulrich Drepper's SHA-crypt variants.
type shaScheme struct {
	id    string
	new   func() hash.Hash
	order [][3]int // byte triples of the final encoding
	tail  []int    // the last, shorter group: byte indexes high to low
}

var sha256Scheme = shaScheme{id: "$5$", new: sha256.New,
	order: [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26},
		{27, 7, 17}, {18, 28, 8}, {9, 19, 29}},
	tail: []int{31, 30}}

var sha512Scheme = shaScheme{id: "$6$", new: sha512.New,
	order: [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48},
		{28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}},
	tail: []int{63}}

const (
	roundsDefault = 5000
	roundsMin     = 1000
	roundsMax     = 999999999
)

func shaCrypt(pw []byte, rest string, sc shaScheme) (string, error) {
	rounds, custom := roundsDefault, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, found := strings.Cut(r, "$")
		n, err := strconv.ParseUint(num, 10, 64)
		if !found || err != nil || n == 0 {
			return "", ErrMalformed
		}
		rounds, custom, rest = int(min(max(n, roundsMin), roundsMax)), true, after
	}
	salt := []byte(saltOf(rest, 16))

	b := sc.new()
	b.Write(pw)
	b.Write(salt)
	b.Write(pw)
	bsum := b.Sum(nil)
	size := len(bsum)

	a := sc.new()
	a.Write(pw)
	a.Write(salt)
	n := len(pw)
	for ; n > size; n -= size {
		a.Write(bsum)
	}
	a.Write(bsum[:n])
	for n = len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(bsum)
		} else {
			a.Write(pw)
		}
	}
	asum := a.Sum(nil)

	dp := sc.new()
	for range len(pw) {
		dp.Write(pw)
	}
	p := repeatTo(dp.Sum(nil), len(pw))
	ds := sc.new()
	for range 16 + int(asum[0]) {
		ds.Write(salt)
	}
	s := repeatTo(ds.Sum(nil), len(salt))

	asum = mixRounds(sc.new(), rounds, asum, p, s)

	out := []byte(sc.id)
	if custom {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	for _, t := range sc.order {
		out = put64(out, uint32(asum[t[0]])<<16|uint32(asum[t[1]])<<8|uint32(asum[t[2]]), 4)
	}
	if len(sc.tail) == 2 {
		out = put64(out, uint32(asum[sc.tail[0]])<<8|uint32(asum[sc.tail[1]]), 3)
	} else {
		out = put64(out, uint32(asum[sc.tail[0]]), 2)
	}
	return string(out), nil
}

// repeatTo repeats sum to n bytes.
func repeatTo(sum []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out)+len(sum) <= n {
		out = append(out, sum...)
	}
	return append(out, sum[:n-len(out)]...)
}

// mixRounds is the stretching loop both schemes share: each round hashes
// the previous sum with the password bytes p and the salt bytes s in an
// order set by the round number.
func mixRounds(h hash.Hash, rounds int, sum, p, s []byte) []byte {
	for i := 0; i < rounds; i++ {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(sum)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(sum)
		} else {
			h.Write(p)
		}
		sum = h.Sum(sum[:0])
	}
	return sum
}
