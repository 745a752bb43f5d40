package crypt

// yescrypt ($y$), the default hash of Debian 12's passwd and mkpasswd, as
// libxcrypt computes it: scrypt's SMix reworked with a read-write second
// loop (YESCRYPT_RW) and the pwxform block mixer over per-thread S-boxes.
// Only the parameters libxcrypt accepts without a shared ROM are built:
// classic scrypt (flavor 0), WORM (flavor 1) and the RW flavor with
// pwxform's standard settings (6 rounds, gather 4, simple 2, 12 KiB
// S-boxes); N, r, p and t come from the setting. scrypt's own $7$
// settings run the same code as classic scrypt.

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"strings"
)

// yescrypt flags, as the setting's flavor encodes them.
const (
	ysWORM    = 0x001
	ysRW      = 0x002
	ysFlavors = 0x3fc // RW flavor bits: rounds, gather, simple, S-box size
	// ysRWStandard is the one RW flavor with a defined pwxform: 6 rounds,
	// gather 4, simple 2, 12 KiB S-boxes.
	ysRWStandard = ysRW | 0x004 | 0x010 | 0x020 | 0x080
	ysPrehash    = 0x10000000
)

// pwxform's fixed shape for the standard flavor.
const (
	pwxSimple  = 2
	pwxGather  = 4
	pwxRounds  = 6
	sboxPairs  = 1 << 8 * pwxSimple // 64-bit entries in one S-box
	sboxWords  = 3 * sboxPairs * 2  // three S-boxes in 32-bit words
	sboxMask   = (1<<8 - 1) * pwxSimple * 8
	pwxWords   = pwxGather * pwxSimple * 2 // one pwxform block: 64 bytes
	maxMemory  = 1 << 30                   // libxcrypt's highest cost (-R 11) uses 1 GiB
	ysHashSize = 32
)

// ysParams are a $y$ setting's decoded parameters.
type ysParams struct {
	flags   uint32
	n       uint64
	r, p, t uint32
}

// parseYescrypt splits a "$y$PARAMS$SALT[$HASH]" setting (or scrypt's
// "$7$NRRRRRPPPPPSALT[$HASH]") into its parameters, the prefix kept
// verbatim in the output ("$y$PARAMS$SALT") and the salt.
func parseYescrypt(setting string) (ysParams, string, []byte, error) {
	var pr ysParams
	var rest string
	var err error
	switch {
	case strings.HasPrefix(setting, "$y$"):
		pr, rest, err = parseYParams(setting[3:])
	case strings.HasPrefix(setting, "$7$"):
		if !scryptSaltOK(setting) {
			return pr, "", nil, ErrMalformed
		}
		pr, rest, err = parseScryptParams(setting[3:])
	default:
		return pr, "", nil, ErrUnsupported
	}
	if err != nil {
		return pr, "", nil, err
	}
	saltStr := rest
	if i := strings.LastIndexByte(rest, '$'); i >= 0 {
		saltStr = rest[:i]
	}
	salt := []byte(saltStr) // scrypt uses the salt's text
	if setting[1] == 'y' {
		var ok bool
		if salt, ok = decode64Bytes(saltStr, 64); !ok {
			return pr, "", nil, ErrMalformed
		}
	}
	if err := pr.check(); err != nil {
		return pr, "", nil, err
	}
	prefix := setting[:len(setting)-len(rest)+len(saltStr)]
	return pr, prefix, salt, nil
}

// parseScryptParams reads $7$'s parameters: a digit for log2 N, then r
// and p as 30-bit numbers of 5 digits each.
func parseScryptParams(s string) (ysParams, string, error) {
	pr := ysParams{}
	if len(s) < 11 {
		return pr, "", ErrMalformed
	}
	nLog2 := atoi64(s[0])
	if nLog2 < 1 || nLog2 > 63 {
		return pr, "", ErrMalformed
	}
	pr.n = 1 << nLog2
	var ok bool
	if pr.r, ok = decodeFixed30(s[1:6]); !ok {
		return pr, "", ErrMalformed
	}
	if pr.p, ok = decodeFixed30(s[6:11]); !ok {
		return pr, "", ErrMalformed
	}
	return pr, s[11:], nil
}

// scryptSaltOK applies libxcrypt's check of a $7$ salt: base-64 digits
// and '$' only, up to anything that follows a '$'.
func scryptSaltOK(setting string) bool {
	for i := 14; i < len(setting); i++ {
		if c := setting[i]; c != '$' && atoi64(c) > 63 {
			return setting[i-1] == '$'
		}
	}
	return true
}

// decodeFixed30 reads 5 base-64 digits, least significant first.
func decodeFixed30(s string) (uint32, bool) {
	var v uint32
	for i := range 5 {
		c := atoi64(s[i])
		if c > 63 {
			return 0, false
		}
		v |= c << (6 * i)
	}
	return v, true
}

// parseYParams reads $y$'s variable-length parameters up to the '$'
// before the salt and returns what follows that '$'.
func parseYParams(rest string) (ysParams, string, error) {
	pr := ysParams{p: 1}
	var flavor, nLog2, have, g, nromLog2 uint32
	var ok bool
	if flavor, rest, ok = decodeVarUint(rest, 0); !ok {
		return pr, "", ErrMalformed
	}
	switch {
	case flavor < ysRW:
		pr.flags = flavor
	case flavor <= ysRW+ysFlavors>>2:
		pr.flags = ysRW + (flavor-ysRW)<<2
	default:
		return pr, "", ErrMalformed
	}
	if nLog2, rest, ok = decodeVarUint(rest, 1); !ok || nLog2 > 63 {
		return pr, "", ErrMalformed
	}
	pr.n = 1 << nLog2
	if pr.r, rest, ok = decodeVarUint(rest, 1); !ok {
		return pr, "", ErrMalformed
	}
	if rest != "" && rest[0] != '$' {
		if have, rest, ok = decodeVarUint(rest, 1); !ok {
			return pr, "", ErrMalformed
		}
		opt := []struct {
			bit uint32
			min uint32
			dst *uint32
		}{{1, 2, &pr.p}, {2, 1, &pr.t}, {4, 1, &g}, {8, 1, &nromLog2}}
		for _, o := range opt {
			if have&o.bit != 0 {
				if *o.dst, rest, ok = decodeVarUint(rest, o.min); !ok {
					return pr, "", ErrMalformed
				}
			}
		}
		if have&4 != 0 || have&8 != 0 {
			// Hash upgrades (g) and a shared ROM (NROM) are refused by
			// libxcrypt's crypt() too.
			return pr, "", ErrUnsupported
		}
	}
	if rest == "" || rest[0] != '$' {
		return pr, "", ErrMalformed
	}
	return pr, rest[1:], nil
}

// check applies libxcrypt's parameter constraints and our memory ceiling.
func (pr ysParams) check() error {
	switch pr.flags & 3 {
	case 0: // classic scrypt
		if pr.t != 0 {
			return ErrMalformed
		}
	case ysWORM:
	case ysRW:
		if pr.flags != ysRWStandard {
			return ErrUnsupported // other pwxform shapes are undefined
		}
		if pr.n/uint64(pr.p) <= 3 {
			return ErrMalformed
		}
	default:
		return ErrMalformed
	}
	if pr.n <= 3 || pr.n > 1<<32-1 || pr.r == 0 || pr.p == 0 || uint64(pr.r)*uint64(pr.p) >= 1<<30 {
		return ErrMalformed
	}
	if pr.n > maxMemory/128/uint64(pr.r) || uint64(pr.p) > maxMemory/128/uint64(pr.r) ||
		uint64(pr.p)*sboxWords*4 > maxMemory {
		return ErrUnsupported // beyond any cost libxcrypt generates
	}
	if uint64(pr.t)+1 > (1<<63)/pr.n {
		return ErrMalformed
	}
	return nil
}

// yescryptCrypt is crypt(3) for a $y$ setting.
func yescryptCrypt(pw []byte, setting string) (string, error) {
	pr, prefix, salt, err := parseYescrypt(setting)
	if err != nil {
		return "", err
	}
	if pr.flags&ysRW != 0 && pr.n/uint64(pr.p) >= 0x100 && pr.n/uint64(pr.p)*uint64(pr.r) >= 0x20000 {
		// Large RW costs first hash the password with a 64th of N: a
		// cheap pass that makes a large allocation worth its while.
		pre := pr
		pre.flags |= ysPrehash
		pre.n >>= 6
		pre.t = 0
		pw = yescryptKDF(pw, salt, pre)
	}
	sum := yescryptKDF(pw, salt, pr)
	return prefix + "$" + encode64Bytes(sum), nil
}

// yescryptKDF computes the 32-byte yescrypt of pw and salt.
func yescryptKDF(pw, salt []byte, pr ysParams) []byte {
	if pr.flags != 0 {
		key := "yescrypt-prehash"
		if pr.flags&ysPrehash == 0 {
			key = "yescrypt"
		}
		pw = hmacSHA256([]byte(key), pw)
	}
	s := 32 * int(pr.r) // words per block
	raw := pbkdf2SHA256(pw, salt, s*4*int(pr.p))
	if pr.flags != 0 {
		pw = append([]byte(nil), raw[:32]...)
	}
	b := make([]uint32, s*int(pr.p))
	for i := range b {
		b[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	m := &ysMixer{r: int(pr.r), flags: pr.flags,
		v: make([]uint32, uint64(s)*pr.n), xy: make([]uint32, 2*s)}
	if pr.flags&ysRW != 0 {
		pw = m.smix(b, pr.n, pr.p, pr.t, pw)
	} else {
		for i := range int(pr.p) {
			m.smix(b[i*s:(i+1)*s], pr.n, 1, pr.t, nil)
		}
	}
	for i, w := range b {
		binary.LittleEndian.PutUint32(raw[4*i:], w)
	}
	dk := pbkdf2SHA256(pw, raw, ysHashSize)
	if pr.flags != 0 && pr.flags&ysPrehash == 0 {
		// SCRAM's StoredKey = H(HMAC(key, "Client Key")).
		sum := sha256.Sum256(hmacSHA256(dk, []byte("Client Key")))
		dk = sum[:]
	}
	return dk
}

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

func pbkdf2SHA256(pw, salt []byte, n int) []byte {
	out, err := pbkdf2.Key(sha256.New, string(pw), salt, 1, n)
	if err != nil {
		// Only refused in FIPS-only mode, which cannot run yescrypt anyway.
		panic("crypt: PBKDF2-SHA256 refused: " + err.Error())
	}
	return out
}

// ysMixer holds one computation's working memory. Blocks are kept in
// yescrypt's "SIMD-shuffled" word order, as the reference does, because
// pwxform and the S-boxes read the words in that order.
type ysMixer struct {
	r     int
	flags uint32
	v     []uint32 // N blocks of 32r words
	xy    []uint32 // scratch for two blocks
	// pwxform state of the thread being mixed.
	sbox       []uint64
	s0, s1, s2 int // offsets of the three S-boxes in sbox
	w          int
}

// smix mixes the p blocks of b (32r words each, natural order) with N
// blocks of memory over t passes. With YESCRYPT_RW it returns the
// password updated from the first thread's S-box setup.
func (m *ysMixer) smix(b []uint32, n uint64, p, t uint32, pw []byte) []byte {
	s := 32 * m.r
	rw := m.flags&ysRW != 0
	nChunk := n / uint64(p)
	nLoopAll := nChunk
	switch {
	case rw && t <= 1:
		if t == 1 {
			nLoopAll *= 2
		}
		nLoopAll = (nLoopAll + 2) / 3
	case rw:
		nLoopAll *= uint64(t) - 1
	case t == 1:
		nLoopAll += (nLoopAll + 1) / 2
	case t > 1:
		nLoopAll *= uint64(t)
	}
	var nLoopRW uint64
	if rw {
		nLoopRW = nLoopAll / uint64(p)
	}
	nChunk &^= 1
	nLoopAll = (nLoopAll + 1) &^ 1
	nLoopRW = (nLoopRW + 1) &^ 1

	var sw []uint32
	if rw {
		sw = make([]uint32, sboxWords)
	}
	saved := make([]pwxState, p)
	for i, vChunk := uint64(0), uint64(0); i < uint64(p); i, vChunk = i+1, vChunk+nChunk {
		np := nChunk
		if i == uint64(p)-1 {
			np = n - vChunk
		}
		bi := b[int(i)*s : int(i+1)*s]
		vi := m.v[vChunk*uint64(s):]
		if rw {
			// The S-boxes are the memory of a small scrypt over the
			// block's first 128 bytes.
			sm := &ysMixer{r: 1, v: sw, xy: m.xy[:64]}
			sm.smix1(bi[:32], sboxWords/32)
			box := make([]uint64, sboxWords/2)
			for k := range box {
				box[k] = uint64(sw[2*k]) | uint64(sw[2*k+1])<<32
			}
			m.sbox, m.s2, m.s1, m.s0, m.w = box, 0, sboxPairs, 2*sboxPairs, 0
			if i == 0 {
				key := make([]byte, 64)
				for k, w := range bi[s-16:] {
					binary.LittleEndian.PutUint32(key[4*k:], w)
				}
				pw = hmacSHA256(key, pw)
			}
		}
		m.smix1With(bi, np, vi, rw)
		m.smix2(bi, p2floor(np), nLoopRW, vi, rw)
		saved[i] = m.save()
	}
	for i := range int(p) {
		m.restore(saved[i])
		m.smix2(b[i*s:(i+1)*s], n, nLoopAll-nLoopRW, m.v, false)
	}
	return pw
}

// pwxState is one thread's pwxform context between the two loops.
type pwxState struct {
	sbox       []uint64
	s0, s1, s2 int
	w          int
}

func (m *ysMixer) save() pwxState {
	return pwxState{m.sbox, m.s0, m.s1, m.s2, m.w}
}

func (m *ysMixer) restore(st pwxState) {
	m.sbox, m.s0, m.s1, m.s2, m.w = st.sbox, st.s0, st.s1, st.s2, st.w
}

// smix1 is the first loop without read-write mixing or pwxform (the
// S-box fill), over m.v.
func (m *ysMixer) smix1(b []uint32, n uint64) {
	m.smix1With(b, n, m.v, false)
}

// shuffle and unshuffle convert a block between natural and SIMD order.
func shuffle(dst, src []uint32) {
	for k := 0; k+16 <= len(src); k += 16 {
		for i := range 16 {
			dst[k+i] = src[k+i*5%16]
		}
	}
}

func unshuffle(dst, src []uint32) {
	for k := 0; k+16 <= len(src); k += 16 {
		for i := range 16 {
			dst[k+i*5%16] = src[k+i]
		}
	}
}

// smix1With fills v[0..n) with successive mixes of b; with rw each step
// also folds in an earlier block chosen by the data.
func (m *ysMixer) smix1With(b []uint32, n uint64, v []uint32, rw bool) {
	s := len(b)
	x := m.xy[:s]
	shuffle(x, b)
	for i := uint64(0); i < n; i++ {
		copy(v[i*uint64(s):], x)
		if rw && i > 1 {
			j := wrap(m.integerify(x), i)
			xorWords(x, v[j*uint64(s):j*uint64(s)+uint64(s)])
		}
		m.blockMix(x)
	}
	unshuffle(b, x)
}

// smix2 runs nLoop data-dependent reads (and, with rw, writes) over the
// first n blocks of v.
func (m *ysMixer) smix2(b []uint32, n, nLoop uint64, v []uint32, rw bool) {
	s := len(b)
	x := m.xy[:s]
	shuffle(x, b)
	for i := uint64(0); i < nLoop; i++ {
		j := m.integerify(x) & (n - 1)
		vj := v[j*uint64(s) : j*uint64(s)+uint64(s)]
		xorWords(x, vj)
		if rw {
			copy(vj, x)
		}
		m.blockMix(x)
	}
	unshuffle(b, x)
}

// integerify reads the last 64-byte block's first 8 bytes (words 0 and 13
// in shuffled order) as a little-endian integer.
func (m *ysMixer) integerify(x []uint32) uint64 {
	last := x[len(x)-16:]
	return uint64(last[13])<<32 | uint64(last[0])
}

// wrap maps x into [0, i): into the last power-of-two window below i.
func wrap(x, i uint64) uint64 {
	n := p2floor(i)
	return x&(n-1) + (i - n)
}

func p2floor(x uint64) uint64 {
	if x == 0 {
		return 0
	}
	return 1 << (63 - bits.LeadingZeros64(x))
}

func xorWords(dst, src []uint32) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// blockMix is BlockMix_pwxform when an S-box is set up, else scrypt's
// BlockMix_salsa20/8.
func (m *ysMixer) blockMix(b []uint32) {
	if m.sbox != nil {
		m.blockMixPwx(b)
		return
	}
	blockMixSalsa8(b, m.xy[len(b):2*len(b)])
}

func blockMixSalsa8(b, y []uint32) {
	r2 := len(b) / 16
	var x [16]uint32
	copy(x[:], b[len(b)-16:])
	for i := range r2 {
		xorWords(x[:], b[i*16:i*16+16])
		salsa20(&x, 8)
		copy(y[i*16:], x[:])
	}
	for i := range r2 / 2 {
		copy(b[i*16:i*16+16], y[2*i*16:])
		copy(b[(i+r2/2)*16:(i+r2/2)*16+16], y[(2*i+1)*16:])
	}
}

func (m *ysMixer) blockMixPwx(b []uint32) {
	r1 := len(b) / pwxWords
	var x [pwxWords]uint32
	copy(x[:], b[(r1-1)*pwxWords:])
	for i := range r1 {
		if r1 > 1 {
			xorWords(x[:], b[i*pwxWords:(i+1)*pwxWords])
		}
		m.pwxform(&x)
		copy(b[i*pwxWords:], x[:])
	}
	// pwxform blocks are exactly one salsa block, so only the last
	// 64 bytes get the final salsa20/2.
	last := (*[16]uint32)(b[len(b)-16:])
	salsa20(last, 2)
}

// pwxform: rounds of 32x32->64 multiplies mixed with two S-box lookups,
// writing results into the third S-box as it goes.
func (m *ysMixer) pwxform(x *[pwxWords]uint32) {
	box := m.sbox
	s0, s1, s2, w := m.s0, m.s1, m.s2, m.w
	for i := range pwxRounds {
		for j := range pwxGather {
			p0 := s0 + int(x[4*j]&sboxMask)/8
			p1 := s1 + int(x[4*j+1]&sboxMask)/8
			for k := range pwxSimple {
				lo, hi := x[4*j+2*k], x[4*j+2*k+1]
				v := (uint64(hi)*uint64(lo) + box[p0+k]) ^ box[p1+k]
				x[4*j+2*k], x[4*j+2*k+1] = uint32(v), uint32(v>>32)
				if i != 0 && i != pwxRounds-1 {
					box[s2+w] = v
					w++
				}
			}
		}
	}
	m.s0, m.s1, m.s2 = s2, s0, s1
	m.w = w & (sboxPairs - 1)
}

// salsa20 applies the Salsa20 core with the given round count to a block
// in shuffled order.
func salsa20(b *[16]uint32, rounds int) {
	var x [16]uint32
	for i := range 16 {
		x[i*5%16] = b[i]
	}
	for i := 0; i < rounds; i += 2 {
		quarter(&x, 0, 4, 8, 12)
		quarter(&x, 5, 9, 13, 1)
		quarter(&x, 10, 14, 2, 6)
		quarter(&x, 15, 3, 7, 11)
		quarter(&x, 0, 1, 2, 3)
		quarter(&x, 5, 6, 7, 4)
		quarter(&x, 10, 11, 8, 9)
		quarter(&x, 15, 12, 13, 14)
	}
	for i := range 16 {
		b[i] += x[i*5%16]
	}
}

// quarter is Salsa20's quarter-round on words a (the diagonal) and b, c, d.
func quarter(x *[16]uint32, a, b, c, d int) {
	x[b] ^= bits.RotateLeft32(x[a]+x[d], 7)
	x[c] ^= bits.RotateLeft32(x[b]+x[a], 9)
	x[d] ^= bits.RotateLeft32(x[c]+x[b], 13)
	x[a] ^= bits.RotateLeft32(x[d]+x[c], 18)
}

// atoi64 is the value of a crypt base-64 digit, or 64 for anything else.
func atoi64(c byte) uint32 {
	if i := strings.IndexByte(itoa64, c); i >= 0 {
		return uint32(i)
	}
	return 64
}

// decodeVarUint reads yescrypt's variable-length integer: the first digit
// tells how many follow, small values take one digit.
func decodeVarUint(s string, min uint32) (uint32, string, bool) {
	if s == "" {
		return 0, s, false
	}
	c := atoi64(s[0])
	if c > 63 {
		return 0, s, false
	}
	s = s[1:]
	start, end, chars, shift := uint32(0), uint32(47), 1, uint32(0)
	v := min
	for c > end {
		v += (end + 1 - start) << shift
		start = end + 1
		end = start + (62-end)/2
		chars++
		shift += 6
	}
	v += (c - start) << shift
	for ; chars > 1; chars-- {
		if s == "" {
			return 0, s, false
		}
		c = atoi64(s[0])
		if c > 63 {
			return 0, s, false
		}
		s = s[1:]
		shift -= 6
		v += c << shift
	}
	return v, s, true
}

// decode64Bytes decodes yescrypt's little-endian base 64 (groups of four
// digits to three bytes, a final group of two or three digits to one or
// two bytes with no stray bits) of at most max bytes.
func decode64Bytes(s string, max int) ([]byte, bool) {
	out := make([]byte, 0, len(s)*3/4)
	for len(s) > 0 {
		n := min(len(s), 4)
		if n == 1 {
			return nil, false
		}
		var v uint32
		for i := range n {
			c := atoi64(s[i])
			if c > 63 {
				return nil, false
			}
			v |= c << (6 * i)
		}
		s = s[n:]
		nb := n * 6 / 8
		for range nb {
			out = append(out, byte(v))
			v >>= 8
		}
		if v != 0 || len(out) > max {
			return nil, false
		}
	}
	return out, true
}

// encode64Bytes is the inverse of decode64Bytes.
func encode64Bytes(src []byte) string {
	out := make([]byte, 0, (len(src)*8+5)/6)
	for i := 0; i < len(src); i += 3 {
		n := min(3, len(src)-i)
		var v uint32
		for k := range n {
			v |= uint32(src[i+k]) << (8 * k)
		}
		out = put64(out, v, (n*8+5)/6)
	}
	return string(out)
}
