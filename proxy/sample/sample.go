package sample

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Type is a sample's data type (HAProxy's SMP_T_*).
type Type uint8

// Sample types. Any is only used in specs: a converter taking Any accepts
// every type unchanged.
const (
	Any Type = iota
	Bool
	Int
	IPv4
	IPv6
	Str
	Bin
	Meth
	// Addr is a spec type: IPv4 or IPv6, whichever the value is.
	Addr
)

var typeNames = [...]string{Any: "any", Bool: "bool", Int: "sint", IPv4: "ipv4", IPv6: "ipv6",
	Str: "str", Bin: "bin", Meth: "meth", Addr: "addr"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Sample is one typed value. Int holds Bool (0/1) and Int; IP holds IPv4
// and IPv6; Bytes holds Str, Bin and Meth. Bytes may point into the
// request buffer: copy it before keeping it past the evaluation.
type Sample struct {
	Type  Type
	Int   int64
	IP    netip.Addr
	Bytes []byte
}

// Result is the outcome of a fetch, an expression or a match; its values
// line up with the engine's three-valued verdict (False, True, Unknown).
type Result uint8

// Results.
const (
	// Miss: no value (the fetch found nothing, a cast or converter
	// failed) or no match.
	Miss Result = iota
	// Found: a value (or a match).
	Found
	// Wait: not decidable yet; more request bytes may change the answer
	// (HAProxy's SMP_F_MAY_CHANGE).
	Wait
)

// Convenience constructors.
func intSample(n int64) Sample  { return Sample{Type: Int, Int: n} }
func strSample(b []byte) Sample { return Sample{Type: Str, Bytes: b} }
func binSample(b []byte) Sample { return Sample{Type: Bin, Bytes: b} }
func boolSample(v bool) Sample {
	if v {
		return Sample{Type: Bool, Int: 1}
	}
	return Sample{Type: Bool}
}

func ipSample(ip netip.Addr) Sample {
	ip = ip.Unmap()
	if ip.Is4() {
		return Sample{Type: IPv4, IP: ip}
	}
	return Sample{Type: IPv6, IP: ip}
}

// canCast reports whether HAProxy's cast table has an entry from -> to.
func canCast(from, to Type) bool {
	if to == Any || from == to || from == Any {
		return true
	}
	if from == Addr {
		return canCast(IPv4, to) || canCast(IPv6, to)
	}
	if to == Addr {
		return from == IPv4 || from == IPv6 || from == Int || from == Str
	}
	switch from {
	case Bool:
		return to == Int || to == Str || to == Bin
	case Int:
		return to == Bool || to == IPv4 || to == IPv6 || to == Str || to == Bin
	case IPv4:
		return to == Int || to == IPv6 || to == Str || to == Bin
	case IPv6:
		return to == IPv4 || to == Str || to == Bin
	case Str:
		return to != Any
	case Bin:
		return to == Str || to == Meth
	case Meth:
		return to == Str || to == Bin
	}
	return false
}

// Cast converts s to type to in place, as HAProxy's sample_casts table
// does; false when the table has no entry or the value does not convert
// (a string that is no number, an IPv6 address that is not v4-mapped...).
// Converting to text allocates.
func (s *Sample) Cast(to Type) bool {
	if to == Any || s.Type == to {
		return true
	}
	if to == Addr {
		if s.Type == IPv4 || s.Type == IPv6 {
			return true
		}
		if s.Type == Str {
			if ip, err := netip.ParseAddr(string(s.Bytes)); err == nil {
				*s = ipSample(ip)
				if ip.Is4In6() {
					s.Type, s.IP = IPv6, ip
				}
				return true
			}
			return false
		}
		to = IPv4
	}
	switch s.Type {
	case Bool, Int:
		switch to {
		case Bool:
			s.Type, s.Int = Bool, b2i(s.Int != 0)
		case Int:
			s.Type = Int
		case IPv4:
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(s.Int))
			*s = Sample{Type: IPv4, IP: netip.AddrFrom4(b)}
		case IPv6:
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(s.Int))
			*s = Sample{Type: IPv6, IP: netip.AddrFrom16(netip.AddrFrom4(b).As16())}
		case Str:
			*s = strSample(strconv.AppendInt(nil, s.Int, 10))
		case Bin:
			b := make([]byte, 8)
			binary.BigEndian.PutUint64(b, uint64(s.Int))
			*s = binSample(b)
		default:
			return false
		}
		return s.Type == to || to == Bool
	case IPv4:
		switch to {
		case Int:
			b := s.IP.As4()
			*s = intSample(int64(binary.BigEndian.Uint32(b[:])))
		case IPv6:
			s.Type, s.IP = IPv6, netip.AddrFrom16(s.IP.As16())
		case Str:
			*s = strSample(s.IP.AppendTo(nil))
		case Bin:
			*s = binSample(s.IP.AsSlice())
		default:
			return false
		}
		return true
	case IPv6:
		switch to {
		case IPv4:
			if !s.IP.Is4In6() && !s.IP.Is4() {
				return false
			}
			s.Type, s.IP = IPv4, s.IP.Unmap()
		case Str:
			*s = strSample(s.IP.AppendTo(nil))
		case Bin:
			b := s.IP.As16()
			*s = binSample(b[:])
		default:
			return false
		}
		return true
	case Str:
		switch to {
		case Bool, Int:
			// c_str2int: an empty string fails, "x" is 0, "12abc" 12.
			if len(s.Bytes) == 0 {
				return false
			}
			n, _ := strToInt(s.Bytes)
			*s = intSample(n)
			if to == Bool {
				s.Type, s.Int = Bool, b2i(n != 0)
			}
		case IPv4:
			ip, err := netip.ParseAddr(string(s.Bytes))
			if err != nil || !ip.Is4() {
				return false
			}
			*s = ipSample(ip)
		case IPv6:
			ip, err := netip.ParseAddr(string(s.Bytes))
			if err != nil {
				return false
			}
			*s = Sample{Type: IPv6, IP: netip.AddrFrom16(ip.As16())}
		case Bin:
			s.Type = Bin
		case Meth:
			s.Type = Meth
		default:
			return false
		}
		return true
	case Bin:
		switch to {
		case Str, Meth:
			s.Type = to
			return true
		}
	case Meth:
		switch to {
		case Str, Bin:
			s.Type = to
			return true
		}
	}
	return false
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// strToInt reads an optionally negative decimal prefix (HAProxy's
// read_int64); ok is false when there is no digit.
func strToInt(b []byte) (int64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		i++
	}
	start := i
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if i == start {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// AppendText appends the sample as a log line or a header value shows
// it: its cast to string (binary samples as their raw bytes).
func (s Sample) AppendText(dst []byte) []byte {
	switch s.Type {
	case Bool, Int:
		return strconv.AppendInt(dst, s.Int, 10)
	case IPv4, IPv6:
		return s.IP.AppendTo(dst)
	}
	return append(dst, s.Bytes...)
}

// appendHex appends b in upper-case hexadecimal (the hex converter).
func appendHex(dst, b []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}
