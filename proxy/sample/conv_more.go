package sample

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strconv"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/xxhash"
)

// Less common converters, checked against the reference like the others.

func init() {
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	for _, c := range []Converter{
		{Name: "cut_crlf", In: Str, Out: Str, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			if i := bytes.IndexAny(s.Bytes, "\r\n"); i >= 0 {
				s.Bytes = s.Bytes[:i]
			}
			return true
		}},
		{Name: "hex2i", In: Str, Out: Int, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			n, err := strconv.ParseUint(string(s.Bytes), 16, 64)
			if err != nil {
				return false
			}
			*s = intSample(int64(n))
			return true
		}},
		{Name: "htonl", In: Int, Out: Bin, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			*s = binSample(binary.BigEndian.AppendUint32(nil, uint32(s.Int)))
			return true
		}},
		{Name: "host_only", In: Str, Out: Str, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			s.Bytes, _ = splitHostPort(s.Bytes)
			return true
		}},
		{Name: "port_only", In: Str, Out: Int, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			_, port := splitHostPort(s.Bytes)
			n, _ := strToInt(port)
			*s = intSample(n)
			return true
		}},
		{Name: "iif", Args: []ArgType{ArgStr, ArgStr}, MinArgs: 2, In: Bool, Out: Str, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			v := a[1].Str
			if s.Int != 0 {
				v = a[0].Str
			}
			*s = strSample([]byte(v))
			return true
		}},
		{Name: "http_date", Args: []ArgType{ArgInt, ArgStr}, In: Int, Out: Str, Check: func(a []Arg) error {
			switch a[1].Str {
			case "", "s", "ms", "us":
				return nil
			}
			return errors.New("expects 's', 'ms' or 'us' as unit")
		}, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			// The sub-second part shows for ms and us units.
			layout := "Mon, 02 Jan 2006 15:04:05 GMT"
			t := time.Unix(s.Int+a[0].Int, 0)
			switch a[1].Str {
			case "ms":
				t, layout = time.UnixMilli(s.Int+a[0].Int), "Mon, 02 Jan 2006 15:04:05.000 GMT"
			case "us":
				t, layout = time.UnixMicro(s.Int+a[0].Int), "Mon, 02 Jan 2006 15:04:05.000000 GMT"
			}
			*s = strSample([]byte(t.UTC().Format(layout)))
			return true
		}},
		{Name: "sha1", In: Bin, Out: Bin, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			h := sha1.Sum(s.Bytes)
			*s = binSample(h[:])
			return true
		}},
		{Name: "sha2", Args: []ArgType{ArgInt}, In: Bin, Out: Bin, Check: func(a []Arg) error {
			switch a[0].Int {
			case 0, 224, 256, 384, 512:
				return nil
			}
			return errors.New("unsupported number of bits: '" + a[0].Str + "'")
		}, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			var h []byte
			switch a[0].Int {
			case 224:
				x := sha256.Sum224(s.Bytes)
				h = x[:]
			case 384:
				x := sha512.Sum384(s.Bytes)
				h = x[:]
			case 512:
				x := sha512.Sum512(s.Bytes)
				h = x[:]
			default:
				x := sha256.Sum256(s.Bytes)
				h = x[:]
			}
			*s = binSample(h)
			return true
		}},
		{Name: "crc32c", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			h := crc32.Checksum(s.Bytes, castagnoli)
			if a[0].Int != 0 {
				h = balance.FullHash(h)
			}
			*s = intSample(int64(h))
			return true
		}},
		{Name: "ub64enc", In: Bin, Out: Str, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			*s = strSample([]byte(base64.RawURLEncoding.EncodeToString(s.Bytes)))
			return true
		}},
		{Name: "ub64dec", In: Str, Out: Bin, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			b, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(s.Bytes, "=")))
			if err != nil {
				return false
			}
			*s = binSample(b)
			return true
		}},
		{Name: "xxh64", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			*s = intSample(int64(xxhash.Sum64(s.Bytes, uint64(a[0].Int))))
			return true
		}},
		{Name: "url_dec", Args: []ArgType{ArgInt}, In: Str, Out: Str, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			b, ok := urlDecode(s.Bytes, a[0].Int != 0)
			s.Bytes = b
			return ok
		}},
	} {
		RegisterConverter(c)
	}
}

// splitHostPort splits "host:port" and "[v6]:port" at the last colon
// (a bare "::1" is host ":" and port "1", as in HAProxy).
func splitHostPort(v []byte) (host, port []byte) {
	if len(v) > 0 && v[0] == '[' {
		if i := bytes.IndexByte(v, ']'); i >= 0 {
			host, rest := v[:i+1], v[i+1:]
			if len(rest) > 0 && rest[0] == ':' {
				return host, rest[1:]
			}
			return host, nil
		}
	}
	i := bytes.LastIndexByte(v, ':')
	if i < 0 {
		return v, nil
	}
	return v[:i], v[i+1:]
}

// urlDecode decodes %XX sequences (and '+' as a space with form); a bad
// sequence fails.
func urlDecode(v []byte, form bool) ([]byte, bool) {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '%':
			if i+2 >= len(v) {
				return nil, false
			}
			n, err := strconv.ParseUint(string(v[i+1:i+3]), 16, 8)
			if err != nil {
				return nil, false
			}
			out = append(out, byte(n))
			i += 2
		case c == '+' && form:
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out, true
}
