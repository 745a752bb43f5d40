package balance

import "strconv"

// Hash computes HAProxy's hash of key with fn (gen_hash in backend.c).
func Hash(fn HashFunc, key []byte) uint32 {
	switch fn {
	case DJB2:
		return hashDJB2(key)
	case WT6:
		return hashWT6(key)
	case CRC32:
		return hashCRC32(key)
	case None:
		// The key is already a number (HAProxy 2.7+ "none").
		n, _ := strconv.ParseInt(string(key), 10, 64)
		return uint32(n)
	}
	return hashSDBM(key)
}

func hashSDBM(key []byte) uint32 {
	var h uint32
	for _, c := range key {
		h = uint32(c) + (h << 6) + (h << 16) - h
	}
	return h
}

func hashDJB2(key []byte) uint32 {
	h := uint32(5381)
	for _, c := range key {
		h = (h << 5) + h + uint32(c)
	}
	return h
}

func hashWT6(key []byte) uint32 {
	h0, h1 := uint32(0xa53c965a), uint32(0x5ca6953a)
	step0, step1 := uint32(6), uint32(18)
	for _, c := range key {
		t := uint32(c)
		h0 = ^(h0 ^ t)
		h1 = ^(h1 + t)
		t = (h1 << step0) | (h1 >> (32 - step0))
		h1 = (h0 << step1) | (h0 >> (32 - step1))
		h0 = t
		t = ((h0 >> 16) ^ h1) & 0xffff
		step0 = t & 0x1f
		step1 = t >> 11
	}
	return h0 ^ h1
}

func hashCRC32(key []byte) uint32 {
	h := ^uint32(0)
	for _, c := range key {
		h ^= uint32(c)
		for range 8 {
			if h&1 != 0 {
				h = (h >> 1) ^ 0xedb88320
			} else {
				h >>= 1
			}
		}
	}
	return ^h
}

// FullHash is Bob Jenkins' full avalanche integer hash times a large prime,
// HAProxy's full_hash: it spreads ring points and avalanche keys.
func FullHash(a uint32) uint32 {
	a = (a + 0x7ed55d16) + (a << 12)
	a = (a ^ 0xc761c23c) ^ (a >> 19)
	a = (a + 0x165667b1) + (a << 5)
	a = (a + 0xd3a2646c) ^ (a << 9)
	a = (a + 0xfd7046c5) + (a << 3)
	a = (a ^ 0xb55a4f09) ^ (a >> 16)
	return a * 3221225473
}
