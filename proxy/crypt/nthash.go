package crypt

// The NT hash ($3$): MD4 of the password as UTF-16LE, in hex. libxcrypt
// widens each byte to 16 bits (Latin-1, not UTF-8 decoding), and so does
// this. MD4 (RFC 1320) is not in Go's standard library; it is written
// out here.

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// ntCrypt is crypt(3) for a "$3$" setting: the setting's rest is unused.
func ntCrypt(pw []byte, _ string) (string, error) {
	wide := make([]byte, 2*len(pw))
	for i, c := range pw {
		wide[2*i] = c
	}
	sum := md4(wide)
	return "$3$$" + hex.EncodeToString(sum[:]), nil
}

// md4 is RFC 1320's MD4 digest.
func md4(msg []byte) [16]byte {
	h := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	// Padding: 0x80, zeros to 56 mod 64, then the bit length (LE).
	padded := append(append([]byte(nil), msg...), 0x80)
	for len(padded)%64 != 56 {
		padded = append(padded, 0)
	}
	padded = binary.LittleEndian.AppendUint64(padded, uint64(len(msg))*8)
	var x [16]uint32
	for blk := 0; blk < len(padded); blk += 64 {
		for i := range x {
			x[i] = binary.LittleEndian.Uint32(padded[blk+4*i:])
		}
		a, b, c, d := h[0], h[1], h[2], h[3]
		for i := range 16 {
			f := b&c | ^b&d
			a, b, c, d = d, bits.RotateLeft32(a+f+x[i], md4Shift[0][i%4]), b, c
		}
		for i := range 16 {
			g := b&c | b&d | c&d
			k := i%4*4 + i/4
			a, b, c, d = d, bits.RotateLeft32(a+g+x[k]+0x5a827999, md4Shift[1][i%4]), b, c
		}
		for i := range 16 {
			k := md4Round3[i]
			a, b, c, d = d, bits.RotateLeft32(a+(b^c^d)+x[k]+0x6ed9eba1, md4Shift[2][i%4]), b, c
		}
		h[0] += a
		h[1] += b
		h[2] += c
		h[3] += d
	}
	var out [16]byte
	for i, v := range h {
		binary.LittleEndian.PutUint32(out[4*i:], v)
	}
	return out
}

var (
	md4Shift  = [3][4]int{{3, 7, 11, 19}, {3, 5, 9, 13}, {3, 9, 11, 15}}
	md4Round3 = [16]int{0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15}
)
