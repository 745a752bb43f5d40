package crypt

// Traditional Unix crypt: the password's first 8 bytes (7 bits each) are
// a DES key that encrypts a zero block 25 times, with a 12-bit salt that
// swaps bit pairs of the expansion. The hash is the 2-character salt and
// 11 characters of the 64-bit result. Go's crypto/des cannot take the
// salt, so the cipher is written out here from the FIPS 46-3 tables,
// with the round function's S-boxes and P merged into lookup tables.

import "encoding/binary"

// Bit positions are 1-based from the most significant bit, as in FIPS 46-3.
var (
	desIP = [64]byte{
		58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
		62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
		57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
		61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7}
	desP = [32]byte{
		16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
		2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25}
	desPC1 = [56]byte{
		57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
		10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
		63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
		14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4}
	desPC2 = [48]byte{
		14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
		41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32}
	desShifts = [16]byte{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}
	// desS[box][row*16+col]
	desS = [8][64]byte{
		{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
			0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
			4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
			15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
		{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
			3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
			0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
			13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
		{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
			13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
			13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
			1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
		{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
			13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
			10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
			3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
		{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
			14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
			4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
			11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
		{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
			10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
			9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
			4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
		{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
			13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
			1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
			6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
		{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
			1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
			7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
			2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
	}
	desFP = inversePermutation(desIP)
)

func inversePermutation(p [64]byte) [64]byte {
	var inv [64]byte
	for i, from := range p {
		inv[from-1] = byte(i + 1)
	}
	return inv
}

// permute picks bits of in (width bits wide) in table order.
func permute(in uint64, width int, table []byte) uint64 {
	var out uint64
	for _, pos := range table {
		out = out<<1 | in>>(width-int(pos))&1
	}
	return out
}

// desSubkeys is the 16-round key schedule of a 64-bit key.
func desSubkeys(key uint64) [16]uint64 {
	var ks [16]uint64
	cd := permute(key, 64, desPC1[:])
	c, d := cd>>28, cd&0xfffffff
	for i, s := range desShifts {
		c = (c<<s | c>>(28-s)) & 0xfffffff
		d = (d<<s | d>>(28-s)) & 0xfffffff
		ks[i] = permute(c<<28|d, 56, desPC2[:])
	}
	return ks
}

// desSP is each S-box's output already through P: f's result is the OR of
// one entry per box.
var desSP = func() (sp [8][64]uint32) {
	for box := range sp {
		for six := range 64 {
			out := uint64(desS[box][six&0x20|six<<4&0x10|six>>1&0xf])
			sp[box][six] = uint32(permute(out<<(28-4*box), 32, desP[:]))
		}
	}
	return sp
}()

// desEncrypt encrypts one block; salt bit i swaps expansion bits i and
// i+24 (counted from the most significant), crypt(3)'s perturbation.
func desEncrypt(block uint64, ks *[16]uint64, salt uint32) uint64 {
	b := permute(block, 64, desIP[:])
	l, r := uint32(b>>32), uint32(b)
	mask := saltMask(salt)
	for _, k := range ks {
		// E: eight overlapping 6-bit windows of r, wrapping around; with
		// r's last bit prepended and its first appended they are plain
		// shifts.
		ext := uint64(r&1)<<33 | uint64(r)<<1 | uint64(r>>31)
		var e uint64
		for i := range 8 {
			e |= (ext >> (28 - 4*i) & 0x3f) << (42 - 6*i)
		}
		swap := (e>>24 ^ e) & mask
		e ^= (swap | swap<<24) ^ k
		var f uint32
		for i := range 8 {
			f |= desSP[i][e>>(42-6*i)&0x3f]
		}
		l, r = r, l^f
	}
	return permute(uint64(r)<<32|uint64(l), 64, desFP[:])
}

// saltMask spreads the salt bits (12, or 24 for BSDi) over the low 24-bit
// half of the expansion: salt bit 0 is the half's most significant bit.
func saltMask(salt uint32) uint64 {
	var m uint64
	for i := range 24 {
		if salt>>i&1 != 0 {
			m |= 1 << (23 - i)
		}
	}
	return m
}

// desSaltOK tells whether setting starts with a traditional DES salt.
func desSaltOK(setting string) bool {
	return len(setting) >= 2 && atoi64(setting[0]) < 64 && atoi64(setting[1]) < 64
}

// desCrypt is the traditional 13-character DES crypt, or bigcrypt when a
// password over 8 bytes meets a setting over 13 characters, as libxcrypt
// decides: each further 8 bytes add 11 characters, hashed with the first
// two of the previous part as salt, up to 16 parts.
func desCrypt(pw []byte, setting string) (string, error) {
	if !desSaltOK(setting) {
		return "", ErrUnsupported
	}
	out := []byte(setting[:2])
	salt := atoi64(setting[0]) | atoi64(setting[1])<<6
	for part := 0; part < 16; part++ {
		ks := desSubkeys(desKey(pw))
		block := desRepeat(0, &ks, salt, 25)
		hash := encodeMSBFirst(nil, itoa64, binary.BigEndian.AppendUint64(nil, block))
		out = append(out, hash...)
		if len(pw) <= 8 || len(setting) <= 13 {
			break
		}
		pw = pw[8:]
		salt = atoi64(hash[0]) | atoi64(hash[1])<<6
	}
	return string(out), nil
}

// desKey is a DES key of up to 8 password bytes, 7 bits each.
func desKey(pw []byte) uint64 {
	var key uint64
	for i := range 8 {
		key <<= 8
		if i < len(pw) {
			key |= uint64(pw[i] << 1)
		}
	}
	return key
}

// desRepeat encrypts block count times (at least once).
func desRepeat(block uint64, ks *[16]uint64, salt uint32, count uint32) uint64 {
	for range max(count, 1) {
		block = desEncrypt(block, ks, salt)
	}
	return block
}

// bsdiCrypt is BSDi's extended DES: "_", 4 characters of round count and
// 4 of salt (24 bits each, least significant first), and a password of
// any length folded 8 bytes at a time into one key.
func bsdiCrypt(pw []byte, setting string) (string, error) {
	if len(setting) < 9 || setting[0] != '_' {
		return "", ErrMalformed
	}
	var count, salt uint32
	for i := range 4 {
		c, s := atoi64(setting[1+i]), atoi64(setting[5+i])
		if c > 63 || s > 63 {
			return "", ErrMalformed
		}
		count |= c << (6 * i)
		salt |= s << (6 * i)
	}
	var chain uint64
	key := desKey(pw)
	for len(pw) > 8 {
		ks := desSubkeys(key)
		chain = desEncrypt(key, &ks, 0)
		pw = pw[8:]
		key = chain ^ desKey(pw)
	}
	ks := desSubkeys(key)
	block := desRepeat(0, &ks, salt, count)
	return string(encodeMSBFirst([]byte(setting[:9]), itoa64, binary.BigEndian.AppendUint64(nil, block))), nil
}
