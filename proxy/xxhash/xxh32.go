package xxhash

import (
	"encoding/binary"
	"math/bits"
)

// The XXH32 primes.
const (
	p32a uint32 = 2654435761
	p32b uint32 = 2246822519
	p32c uint32 = 3266489917
	p32d uint32 = 668265263
	p32e uint32 = 374761393
)

func round32(acc, lane uint32) uint32 {
	return bits.RotateLeft32(acc+lane*p32b, 13) * p32a
}

// Sum32 is XXH32 of b with seed (HAProxy keys DNS answer records with
// it, which orders them).
func Sum32(b []byte, seed uint32) uint32 {
	n := len(b)
	var h uint32
	if n >= 16 {
		v1, v2, v3, v4 := seed+p32a+p32b, seed+p32b, seed, seed-p32a
		for len(b) >= 16 {
			v1 = round32(v1, binary.LittleEndian.Uint32(b))
			v2 = round32(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = round32(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = round32(v4, binary.LittleEndian.Uint32(b[12:]))
			b = b[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = seed + p32e
	}
	h += uint32(n)
	for len(b) >= 4 {
		h = bits.RotateLeft32(h+binary.LittleEndian.Uint32(b)*p32c, 17) * p32d
		b = b[4:]
	}
	for _, c := range b {
		h = bits.RotateLeft32(h+uint32(c)*p32e, 11) * p32a
	}
	h ^= h >> 15
	h *= p32b
	h ^= h >> 13
	h *= p32c
	h ^= h >> 16
	return h
}
