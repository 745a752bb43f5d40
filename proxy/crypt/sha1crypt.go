package crypt

// NetBSD's sha1crypt ($sha1$ROUNDS$SALT$HASH), as libxcrypt computes it:
// HMAC-SHA1 keyed with the password, first over "SALT$sha1$ROUNDS",
// then over its own output, ROUNDS times in all.

import (
	"crypto/hmac"
	"crypto/sha1"
	"strconv"
	"strings"
)

// sha1Crypt is crypt(3) for a "$sha1$" setting.
func sha1Crypt(pw []byte, setting string) (string, error) {
	rest := strings.TrimPrefix(setting, "$sha1$")
	digits, rest, ok := strings.Cut(rest, "$")
	if !ok || strings.Trim(digits, "0123456789") != "" {
		return "", ErrMalformed
	}
	var rounds uint64
	if digits != "" { // strtoul reads an empty count as 0
		var err error
		if rounds, err = strconv.ParseUint(digits, 10, 64); err != nil {
			return "", ErrMalformed
		}
	}
	n := 0
	for n < len(rest) && atoi64(rest[n]) < 64 {
		n++
	}
	if n == 0 || n < len(rest) && rest[n] != '$' {
		return "", ErrMalformed
	}
	salt := rest[:n]
	count := strconv.FormatUint(rounds, 10)
	mac := hmac.New(sha1.New, pw)
	mac.Write([]byte(salt + "$sha1$" + count))
	sum := mac.Sum(nil)
	for i := uint64(1); i < rounds; i++ {
		mac.Reset()
		mac.Write(sum)
		sum = mac.Sum(sum[:0])
	}
	out := []byte("$sha1$" + count + "$" + salt + "$")
	for i := 0; i+3 < len(sum); i += 3 {
		out = put64(out, uint32(sum[i])<<16|uint32(sum[i+1])<<8|uint32(sum[i+2]), 4)
	}
	// The last two bytes are padded with the first.
	out = put64(out, uint32(sum[18])<<16|uint32(sum[19])<<8|uint32(sum[0]), 4)
	return string(out), nil
}
