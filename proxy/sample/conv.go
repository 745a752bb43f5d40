package sample

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"fulcrum/proxy/balance"
)

func init() {
	str := func(name string, fn func(b []byte) []byte) Converter {
		return Converter{Name: name, In: Str, Out: Str, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			s.Bytes = fn(s.Bytes)
			return true
		}}
	}
	for _, c := range []Converter{
		str("lower", func(b []byte) []byte { return bytes.ToLower(b) }),
		str("upper", func(b []byte) []byte { return bytes.ToUpper(b) }),
		{Name: "length", In: Str, Out: Int, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			*s = intSample(int64(len(s.Bytes)))
			return true
		}},
		{Name: "hex", In: Bin, Out: Str, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			*s = strSample(appendHex(nil, s.Bytes))
			return true
		}},
		{Name: "base64", In: Bin, Out: Str, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			*s = strSample([]byte(base64.StdEncoding.EncodeToString(s.Bytes)))
			return true
		}},
		{Name: "b64dec", In: Str, Out: Bin, Fn: func(_ *Call, _ []Arg, s *Sample) bool {
			b, err := base64.StdEncoding.DecodeString(string(s.Bytes))
			if err != nil {
				return false
			}
			*s = binSample(b)
			return true
		}},
		{Name: "bytes", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 1, In: Bin, Out: Bin, Check: nonNegative, Fn: convBytes},
		{Name: "field", Args: []ArgType{ArgInt, ArgStr, ArgInt}, MinArgs: 2, In: Str, Out: Str, Check: checkField, Fn: convField},
		{Name: "word", Args: []ArgType{ArgInt, ArgStr, ArgInt}, MinArgs: 2, In: Str, Out: Str, Check: checkField, Fn: convWord},
		{Name: "regsub", Args: []ArgType{ArgStr, ArgStr, ArgStr}, MinArgs: 2, In: Str, Out: Str, Check: checkRegsub, Fn: convRegsub},
		{Name: "ipmask", Args: []ArgType{ArgStr, ArgStr}, MinArgs: 1, In: Addr, Out: Addr, Check: checkIPMask, Fn: convIPMask},
		{Name: "json", Args: []ArgType{ArgStr}, In: Str, Out: Str, Check: checkJSON, Fn: convJSON},
		{Name: "concat", Args: []ArgType{ArgStr, ArgStr, ArgStr}, In: Str, Out: Str, Check: func(a []Arg) error {
			if a[1].Set && a[1].Str != "" {
				return checkVarName(a[1].Str)
			}
			return nil
		}, Fn: func(c *Call, a []Arg, s *Sample) bool {
			b := append(append([]byte(nil), s.Bytes...), a[0].Str...)
			if a[1].Str != "" {
				v, _ := c.Env.Var(a[1].Str)
				b = append(b, v...)
			}
			*s = strSample(append(b, a[2].Str...))
			return true
		}},
		{Name: "ltrim", Args: []ArgType{ArgStr}, MinArgs: 1, In: Str, Out: Str, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			s.Bytes = bytes.TrimLeft(s.Bytes, a[0].Str)
			return true
		}},
		{Name: "rtrim", Args: []ArgType{ArgStr}, MinArgs: 1, In: Str, Out: Str, Fn: func(_ *Call, a []Arg, s *Sample) bool {
			s.Bytes = bytes.TrimRight(s.Bytes, a[0].Str)
			return true
		}},
		{Name: "bool", In: Int, Out: Bool, Fn: func(_ *Call, _ []Arg, s *Sample) bool { *s = boolSample(s.Int != 0); return true }},
		{Name: "not", In: Int, Out: Bool, Fn: func(_ *Call, _ []Arg, s *Sample) bool { *s = boolSample(s.Int == 0); return true }},
		{Name: "odd", In: Int, Out: Bool, Fn: func(_ *Call, _ []Arg, s *Sample) bool { *s = boolSample(s.Int&1 != 0); return true }},
		{Name: "even", In: Int, Out: Bool, Fn: func(_ *Call, _ []Arg, s *Sample) bool { *s = boolSample(s.Int&1 == 0); return true }},
		{Name: "neg", In: Int, Out: Int, Fn: func(_ *Call, _ []Arg, s *Sample) bool { s.Int = -s.Int; return true }},
		{Name: "cpl", In: Int, Out: Int, Fn: func(_ *Call, _ []Arg, s *Sample) bool { s.Int = ^s.Int; return true }},
		arith("add", func(a, b int64) int64 { return a + b }),
		arith("sub", func(a, b int64) int64 { return a - b }),
		arith("mul", func(a, b int64) int64 { return a * b }),
		arith("div", func(a, b int64) int64 {
			if b == 0 {
				return math.MaxInt64
			}
			return a / b
		}),
		arith("mod", func(a, b int64) int64 {
			if b == 0 {
				return 0
			}
			return a % b
		}),
		arith("and", func(a, b int64) int64 { return a & b }),
		arith("or", func(a, b int64) int64 { return a | b }),
		arith("xor", func(a, b int64) int64 { return a ^ b }),
	} {
		RegisterConverter(c)
	}
	for _, fn := range []balance.HashFunc{balance.SDBM, balance.DJB2, balance.WT6, balance.CRC32} {
		RegisterConverter(Converter{Name: string(fn), Args: []ArgType{ArgInt}, In: Bin, Out: Int,
			Fn: func(_ *Call, a []Arg, s *Sample) bool {
				h := balance.Hash(fn, s.Bytes)
				if a[0].Int != 0 {
					h = balance.FullHash(h)
				}
				*s = intSample(int64(h))
				return true
			}})
	}
}

// arith is a converter taking an integer or a variable name.
func arith(name string, op func(a, b int64) int64) Converter {
	return Converter{Name: name, Args: []ArgType{ArgStr}, MinArgs: 1, In: Int, Out: Int,
		Check: func(a []Arg) error {
			if _, err := strconv.ParseInt(a[0].Str, 10, 64); err == nil {
				return nil
			}
			return checkVarName(a[0].Str)
		},
		Fn: func(c *Call, a []Arg, s *Sample) bool {
			n, err := strconv.ParseInt(a[0].Str, 10, 64)
			if err != nil {
				v, ok := c.Env.Var(a[0].Str)
				if !ok {
					return false
				}
				if n, ok = strToInt([]byte(v)); !ok {
					return false
				}
			}
			s.Int = op(s.Int, n)
			return true
		}}
}

func nonNegative(a []Arg) error {
	for _, x := range a {
		if x.Int < 0 {
			return errors.New("arguments must not be negative")
		}
	}
	return nil
}

func convBytes(_ *Call, a []Arg, s *Sample) bool {
	off := a[0].Int
	if off >= int64(len(s.Bytes)) {
		return false
	}
	b := s.Bytes[off:]
	if a[1].Set && a[1].Int > 0 && a[1].Int < int64(len(b)) {
		b = b[:a[1].Int]
	}
	s.Bytes = b
	return true
}

func checkField(a []Arg) error {
	if a[0].Int == 0 {
		return errors.New("index must not be 0")
	}
	if a[1].Str == "" {
		return errors.New("empty separators list")
	}
	if a[2].Int < 0 {
		return errors.New("count must not be negative")
	}
	return nil
}

// fieldCount is field/word's third argument: how many fields to return
// (0 = up to the end), 1 by default.
func fieldCount(a []Arg) int64 {
	if a[2].Set {
		return a[2].Int
	}
	return 1
}

// convField is field(index,delimiters[,count]): the index-th field
// between any of the delimiter characters (negative counts from the end).
func convField(_ *Call, a []Arg, s *Sample) bool {
	v, idx, count, delim := s.Bytes, a[0].Int, fieldCount(a), a[1].Str
	if idx > 0 {
		field, start := int64(1), 0
		for end := 0; end < len(v); end++ {
			if strings.IndexByte(delim, v[end]) < 0 {
				continue
			}
			if field == idx {
				if count == 1 {
					s.Bytes = v[start:end]
					return true
				} else if count > 1 {
					count--
				}
			} else {
				start = end + 1
				field++
			}
		}
		if field != idx {
			return false
		}
		s.Bytes = v[start:]
		return true
	}
	field, end := int64(-1), len(v)
	for start := len(v); start > 0; start-- {
		if strings.IndexByte(delim, v[start-1]) < 0 {
			continue
		}
		if field == idx {
			if count == 1 {
				s.Bytes = v[start:end]
				return true
			} else if count > 1 {
				count--
			}
		} else {
			end = start - 1
			field--
		}
	}
	if field != idx {
		return false
	}
	s.Bytes = v[:end]
	return true
}

// convWord is word(index,delimiters[,count]): like field, but runs of
// delimiters count as one and words are never empty. Once the wanted
// word is reached, later words extend it while count lasts.
func convWord(_ *Call, a []Arg, s *Sample) bool {
	v, idx, count, delim := s.Bytes, a[0].Int, fieldCount(a), a[1].Str
	isSep := func(c byte) bool { return strings.IndexByte(delim, c) >= 0 }
	word, inWord := int64(0), false
	if idx > 0 {
		start := 0
		for end := 0; end < len(v); end++ {
			sep := isSep(v[end])
			switch {
			case !inWord && !sep:
				if word != idx {
					word++
					start = end
				}
				inWord = true
			case inWord && sep:
				if word == idx {
					if count == 1 {
						s.Bytes = v[start:end]
						return true
					} else if count > 1 {
						count--
					}
				}
				inWord = false
			}
		}
		if word != idx {
			return false
		}
		s.Bytes = v[start:]
		return true
	}
	end := len(v)
	for start := len(v); start > 0; start-- {
		sep := isSep(v[start-1])
		switch {
		case !inWord && !sep:
			if word != idx {
				word--
				end = start
			}
			inWord = true
		case inWord && sep:
			if word == idx {
				if count == 1 {
					s.Bytes = v[start:end]
					return true
				} else if count > 1 {
					count--
				}
			}
			inWord = false
		}
	}
	if word != idx {
		return false
	}
	s.Bytes = v[:end]
	return true
}

func checkRegsub(a []Arg) error {
	for _, f := range a[2].Str {
		if f != 'i' && f != 'g' {
			return errors.New("invalid regex flag '" + string(f) + "', only 'i' and 'g' are supported")
		}
	}
	re := a[0].Str
	if strings.Contains(a[2].Str, "i") {
		re = "(?i)" + re
	}
	r, err := regexp.Compile(re)
	if err != nil {
		return regexError(a[0].Str, err)
	}
	a[0].Re = r
	return nil
}

// convRegsub is regsub(regex,subst[,flags]): the first match (every one
// with flag g) replaced by subst, where \1..\9 are the groups.
func convRegsub(_ *Call, a []Arg, s *Sample) bool {
	re, v := a[0].Re, s.Bytes
	global := strings.Contains(a[2].Str, "g")
	var out []byte
	last := 0
	for _, m := range re.FindAllSubmatchIndex(v, -1) {
		out = append(out, v[last:m[0]]...)
		out = expandSubst(out, a[1].Str, v, m)
		last = m[1]
		if !global {
			break
		}
	}
	s.Bytes = append(out, v[last:]...)
	return true
}

// expandSubst appends subst with \N replaced by group N of match m.
func expandSubst(dst []byte, subst string, v []byte, m []int) []byte {
	for i := 0; i < len(subst); i++ {
		c := subst[i]
		if c == '\\' && i+1 < len(subst) && subst[i+1] >= '0' && subst[i+1] <= '9' {
			g := int(subst[i+1] - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				dst = append(dst, v[m[2*g]:m[2*g+1]]...)
			}
			i++
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func checkIPMask(a []Arg) error {
	for i, x := range a {
		if !x.Set {
			continue
		}
		n, err := parseNet("::/" + x.Str)
		if i == 0 {
			n, err = parseNet("0.0.0.0/" + x.Str)
		}
		if err != nil {
			return err
		}
		a[i].Int = int64(n.Bits())
	}
	return nil
}

// convIPMask is ipmask(mask4[,mask6]): the address masked; IPv6
// addresses pass only with mask6.
func convIPMask(_ *Call, a []Arg, s *Sample) bool {
	ip := s.IP.Unmap()
	if ip.Is4() {
		p, _ := ip.Prefix(int(a[0].Int))
		*s = ipSample(p.Addr())
		return true
	}
	if !a[1].Set {
		return false
	}
	p, _ := ip.Prefix(int(a[1].Int))
	*s = Sample{Type: IPv6, IP: p.Addr()}
	return true
}

func checkJSON(a []Arg) error {
	switch a[0].Str {
	case "", "ascii", "utf8", "utf8s", "utf8p", "utf8ps":
		return nil
	}
	return errors.New("unexpected input code type '" + a[0].Str + "'. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'")
}

// convJSON escapes a string for a JSON value: quote, backslash, slash
// and control characters; non-ASCII input is read as bytes ("ascii",
// the default) or UTF-8 (invalid sequences fail, or are skipped with
// the "s" variants).
func convJSON(_ *Call, a []Arg, s *Sample) bool {
	mode := a[0].Str
	utf := strings.HasPrefix(mode, "utf8")
	skip := strings.HasSuffix(mode, "s")
	v := s.Bytes
	var out []byte
	for i := 0; i < len(v); {
		r, n := rune(v[i]), 1
		if utf && v[i] >= 0x80 {
			r, n = utf8.DecodeRune(v[i:])
			if r == utf8.RuneError && n <= 1 {
				if !skip {
					return false
				}
				i++
				continue
			}
		}
		i += n
		switch {
		case r == '"':
			out = append(out, `\"`...)
		case r == '\\':
			out = append(out, `\\`...)
		case r == '/':
			out = append(out, `\/`...)
		case r == '\b':
			out = append(out, `\b`...)
		case r == '\f':
			out = append(out, `\f`...)
		case r == '\r':
			out = append(out, `\r`...)
		case r == '\n':
			out = append(out, `\n`...)
		case r == '\t':
			out = append(out, `\t`...)
		case r < 0x20 || r > 0x7e:
			out = append(out, `\u`...)
			out = append(out, strconv.FormatInt(int64(r)|0x10000, 16)[1:]...)
		default:
			out = append(out, byte(r))
		}
	}
	s.Bytes = out
	return true
}

func checkConstIP(t Type) func([]Arg) error {
	return func(a []Arg) error {
		ip, err := netip.ParseAddr(a[0].Str)
		if err != nil || t == IPv4 && !ip.Is4() {
			return errors.New("'" + a[0].Str + "' is not a valid " + t.String() + " address")
		}
		return nil
	}
}

func constIP(t Type) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		ip, _ := netip.ParseAddr(c.Args[0].Str)
		*out = Sample{Type: t, IP: ip}
		if t == IPv6 {
			out.IP = netip.AddrFrom16(ip.As16())
		}
		return Found
	}
}
