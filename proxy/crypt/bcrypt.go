package crypt

// bcrypt ($2a$, $2b$, $2x$, $2y$): Eksblowfish as libxcrypt's crypt_blowfish
// computes it. Blowfish's initial P-array and S-boxes are the fractional
// hexadecimal digits of pi; they are computed once here (Machin's formula
// in fixed point) rather than spelled out as 1042 constants.

import (
	"encoding/binary"
	"math/big"
	"sync"
)

const bfAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// bfState is a Blowfish key state.
type bfState struct {
	p [18]uint32
	s [4][256]uint32
}

var (
	bfInitOnce sync.Once
	bfInit     bfState
)

// bfInitial returns Blowfish's initial state: P then the four S-boxes
// hold the 1042 32-bit words of pi's fraction, 0x243F6A88 first.
func bfInitial() *bfState {
	bfInitOnce.Do(func() {
		words := piFractionWords(18 + 4*256)
		copy(bfInit.p[:], words)
		for i := range bfInit.s {
			copy(bfInit.s[i][:], words[18+256*i:])
		}
	})
	return &bfInit
}

// piFractionWords is pi's fractional part as n big-endian 32-bit words.
func piFractionWords(n int) []uint32 {
	const guard = 64 // absorbs the truncation error of each series term
	bits := uint(32*n + guard)
	one := new(big.Int).Lsh(big.NewInt(1), bits)
	// pi = 16 arctan(1/5) - 4 arctan(1/239)
	pi := new(big.Int).Mul(arctanInv(5, one), big.NewInt(16))
	pi.Sub(pi, new(big.Int).Mul(arctanInv(239, one), big.NewInt(4)))
	pi.Sub(pi, new(big.Int).Mul(big.NewInt(3), one))
	pi.Rsh(pi, guard)
	buf := pi.FillBytes(make([]byte, 4*n))
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(buf[4*i:])
	}
	return out
}

// arctanInv is arctan(1/x) scaled by one, by its Taylor series.
func arctanInv(x int64, one *big.Int) *big.Int {
	sum := new(big.Int)
	pow := new(big.Int).Quo(one, big.NewInt(x)) // one / x^(2k+1)
	x2 := big.NewInt(x * x)
	term := new(big.Int)
	for k := int64(0); pow.Sign() != 0; k++ {
		term.Quo(pow, big.NewInt(2*k+1))
		if k%2 == 0 {
			sum.Add(sum, term)
		} else {
			sum.Sub(sum, term)
		}
		pow.Quo(pow, x2)
	}
	return sum
}

func (st *bfState) f(x uint32) uint32 {
	return (st.s[0][x>>24] + st.s[1][x>>16&0xff]) ^ st.s[2][x>>8&0xff] + st.s[3][x&0xff]
}

// encrypt is one Blowfish block encryption.
func (st *bfState) encrypt(l, r uint32) (uint32, uint32) {
	for i := 0; i < 16; i += 2 {
		l ^= st.p[i]
		r ^= st.f(l)
		r ^= st.p[i+1]
		l ^= st.f(r)
	}
	return r ^ st.p[17], l ^ st.p[16]
}

// expand re-keys the state: P is xored with key (18 words), then every P
// and S entry is replaced by successive encryptions of a chain that data
// (4 words, cycled) is xored into, or of zeros when data is nil.
func (st *bfState) expand(key *[18]uint32, data *[4]uint32) {
	for i := range st.p {
		st.p[i] ^= key[i]
	}
	var l, r uint32
	k := 0
	next := func() {
		if data != nil {
			l ^= data[k%4]
			r ^= data[(k+1)%4]
			k += 2
		}
		l, r = st.encrypt(l, r)
	}
	for i := 0; i < 18; i += 2 {
		next()
		st.p[i], st.p[i+1] = l, r
	}
	for b := range st.s {
		for i := 0; i < 256; i += 2 {
			next()
			st.s[b][i], st.s[b][i+1] = l, r
		}
	}
}

// bcryptKey cycles the password and its NUL terminator into 18 words, as
// crypt_blowfish does; $2x$ reproduces the old sign-extension bug of
// bytes over 0x7f, and $2a$ adds its anti-collision tweak for passwords
// that bug would have hashed alike. It returns the key and the tweak for
// the first word of the initial P-array.
func bcryptKey(pw []byte, minor byte) ([18]uint32, uint32) {
	var key [18]uint32
	var sign, diff uint32
	pos := 0
	for i := range key {
		var good, buggy uint32
		for j := range 4 {
			var c byte
			if pos < len(pw) {
				c = pw[pos]
				pos++
			} else {
				pos = 0 // past the NUL: start over
			}
			good = good<<8 | uint32(c)
			buggy = buggy<<8 | uint32(int32(int8(c)))
			if j > 0 {
				sign |= buggy & 0x80
			}
		}
		diff |= good ^ buggy
		key[i] = good
		if minor == 'x' {
			key[i] = buggy
		}
	}
	if minor != 'a' || diff != 0 || sign == 0 {
		return key, 0
	}
	return key, 0x10000
}

// bcryptCrypt is crypt(3) for a "$2?$CC$SALT[HASH]" setting.
func bcryptCrypt(pw []byte, setting string) (string, error) {
	if len(setting) < 29 || setting[0] != '$' || setting[1] != '2' || setting[3] != '$' || setting[6] != '$' {
		return "", ErrMalformed
	}
	minor := setting[2]
	if minor != 'a' && minor != 'b' && minor != 'x' && minor != 'y' {
		return "", ErrMalformed
	}
	d1, d2 := setting[4]-'0', setting[5]-'0'
	cost := int(d1)*10 + int(d2)
	if d1 > 9 || d2 > 9 || cost < 4 || cost > 31 {
		return "", ErrMalformed
	}
	saltBytes, ok := bfDecode16(setting[7:29])
	if !ok {
		return "", ErrMalformed
	}
	var salt [4]uint32
	for i := range salt {
		salt[i] = binary.BigEndian.Uint32(saltBytes[4*i:])
	}
	key, tweak := bcryptKey(pw, minor)
	st := *bfInitial()
	st.p[0] ^= tweak
	st.expand(&key, &salt)
	var saltKey [18]uint32
	for i := range saltKey {
		saltKey[i] = salt[i%4]
	}
	for range 1 << cost {
		st.expand(&key, nil)
		st.expand(&saltKey, nil)
	}
	var ctext [24]byte
	copy(ctext[:], "OrpheanBeholderScryDoubt")
	for i := 0; i < 24; i += 8 {
		l, r := binary.BigEndian.Uint32(ctext[i:]), binary.BigEndian.Uint32(ctext[i+4:])
		for range 64 {
			l, r = st.encrypt(l, r)
		}
		binary.BigEndian.PutUint32(ctext[i:], l)
		binary.BigEndian.PutUint32(ctext[i+4:], r)
	}
	out := []byte(setting[:7])
	out = encodeMSBFirst(out, bfAlphabet, saltBytes[:])
	out = encodeMSBFirst(out, bfAlphabet, ctext[:23]) // 23 of 24 bytes, as ever
	return string(out), nil
}

// bfDecode16 decodes bcrypt's 22-character salt; the last character's
// low 4 bits fall outside the 16 bytes and are ignored.
func bfDecode16(s string) ([16]byte, bool) {
	var out [16]byte
	var acc uint32
	n, k := 0, 0
	for i := range len(s) {
		c := indexByte(bfAlphabet, s[i])
		if c < 0 {
			return out, false
		}
		acc = acc<<6 | uint32(c)
		n += 6
		for n >= 8 && k < len(out) {
			n -= 8
			out[k] = byte(acc >> n)
			k++
		}
	}
	return out, true
}

func indexByte(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// encodeMSBFirst appends src in base 64 with the bits taken most
// significant first, 6 at a time, a last partial digit padded with zero
// bits: traditional DES's and bcrypt's encoding (with their alphabets).
func encodeMSBFirst(dst []byte, alphabet string, src []byte) []byte {
	var acc uint32
	n := 0
	for _, b := range src {
		acc = acc<<8 | uint32(b)
		n += 8
		for n >= 6 {
			n -= 6
			dst = append(dst, alphabet[acc>>n&0x3f])
		}
	}
	if n > 0 {
		dst = append(dst, alphabet[acc<<(6-n)&0x3f])
	}
	return dst
}
