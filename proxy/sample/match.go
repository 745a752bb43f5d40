package sample

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Match methods (-m).
const (
	MatchStr   = "str"
	MatchBeg   = "beg"
	MatchEnd   = "end"
	MatchSub   = "sub"
	MatchReg   = "reg"
	MatchDom   = "dom"
	MatchDir   = "dir"
	MatchLen   = "len"
	MatchInt   = "int"
	MatchIP    = "ip"
	MatchFound = "found"
	MatchBool  = "bool"
	MatchBin   = "bin"
	// matchDottedVer is int matching with "major.minor" patterns
	// (req.ssl_ver).
	matchDottedVer = "dotted_ver"
	// matchAuthGroup matches a user name against group names of a
	// userlist (http_auth_group).
	matchAuthGroup = "auth_group"
)

// defaultMatch is the method HAProxy uses for a sample type.
func defaultMatch(t Type) string {
	switch t {
	case Bool:
		return MatchBool
	case Int:
		return MatchInt
	case IPv4, IPv6, Addr:
		return MatchIP
	case Bin:
		return MatchBin
	}
	return MatchStr
}

// intRange is one integer pattern: "N", "A:B", "A:", ":B", "OP N".
type intRange struct{ lo, hi int64 }

// patterns is a compiled pattern list for one match method.
type patterns struct {
	method string
	icase  bool
	strs   [][]byte // str beg end sub dom dir bin (lowercased with icase)
	res    []*regexp.Regexp
	ints   []intRange // int len
	nets   []netip.Prefix
	users  Userlist // auth_group
	// Indexes of large exact-string and network lists (see index).
	strIndex     map[string]int
	netIndex     map[netip.Prefix]int
	bits4, bits6 []int
}

// newPatterns compiles pattern words for method.
func newPatterns(method string, icase bool, words []string) (*patterns, error) {
	p := &patterns{method: method, icase: icase}
	for i := 0; i < len(words); i++ {
		if err := p.add(words[i], words, &i); err != nil {
			return nil, err
		}
	}
	p.index()
	return p, nil
}

// indexMin is the pattern count from which exact strings and networks
// are looked up in maps instead of scanned (HAProxy uses trees for
// them): host lists and address block lists run to thousands of lines.
const indexMin = 8

// index builds the lookup maps once every pattern is in.
func (p *patterns) index() {
	switch {
	case (p.method == MatchStr || p.method == MatchBin) && len(p.strs) >= indexMin:
		p.strIndex = make(map[string]int, len(p.strs))
		for i, s := range p.strs {
			if _, dup := p.strIndex[string(s)]; !dup {
				p.strIndex[string(s)] = i
			}
		}
	case p.method == MatchIP && len(p.nets) >= indexMin:
		p.netIndex = map[netip.Prefix]int{}
		seen := map[int]bool{}
		for i, n := range p.nets {
			if _, dup := p.netIndex[n]; !dup {
				p.netIndex[n] = i
			}
			key := n.Bits()
			if n.Addr().Is6() {
				key += 1000
			}
			if !seen[key] {
				seen[key] = true
				if n.Addr().Is4() {
					p.bits4 = append(p.bits4, n.Bits())
				} else {
					p.bits6 = append(p.bits6, n.Bits())
				}
			}
		}
		// Longest prefixes first: the first hit is the best one.
		slices.Sort(p.bits4)
		slices.Reverse(p.bits4)
		slices.Sort(p.bits6)
		slices.Reverse(p.bits6)
	}
}

// lookupStr finds v among the exact patterns through the index.
func (p *patterns) lookupStr(v []byte) int {
	key := v
	if p.icase {
		var buf [256]byte
		key = buf[:0]
		if len(v) > len(buf) {
			key = make([]byte, 0, len(v))
		}
		for _, c := range v {
			key = append(key, lower(c))
		}
	}
	if i, ok := p.strIndex[string(key)]; ok {
		return i
	}
	return -1
}

// lookupNet finds the longest network holding ip through the index.
func (p *patterns) lookupNet(ip netip.Addr) int {
	bits := p.bits4
	if ip.Is6() {
		bits = p.bits6
	}
	for _, b := range bits {
		pf, err := ip.Prefix(b)
		if err != nil {
			continue
		}
		if i, ok := p.netIndex[pf]; ok {
			return i
		}
	}
	return -1
}

// add compiles one pattern; int methods read an operator's operand from
// words after *i.
func (p *patterns) add(w string, words []string, i *int) error {
	switch p.method {
	case MatchStr, MatchBeg, MatchEnd, MatchSub, MatchDom, MatchDir, matchAuthGroup:
		b := []byte(w)
		if p.icase {
			b = bytes.ToLower(b)
		}
		p.strs = append(p.strs, b)
	case MatchBin:
		b, err := parseHex(w)
		if err != nil {
			return err
		}
		p.strs = append(p.strs, b)
	case MatchReg:
		if p.icase {
			w = "(?i)" + w
		}
		re, err := regexp.Compile(w)
		if err != nil {
			return regexError(w, err)
		}
		p.res = append(p.res, re)
	case MatchInt, MatchLen, matchDottedVer:
		const inf = math.MaxInt64
		if op, ok := map[string]int{"eq": 0, "ge": 1, "gt": 2, "le": 3, "lt": 4}[w]; ok && words != nil {
			if *i+1 >= len(words) {
				return fmt.Errorf("missing value after operator '%s'", w)
			}
			*i++
			n, err := p.parseInt(words[*i])
			if err != nil {
				return err
			}
			r := [...]intRange{{n, n}, {n, inf}, {n + 1, inf}, {-inf, n}, {-inf, n - 1}}[op]
			p.ints = append(p.ints, r)
			return nil
		}
		lo, hi, isRange := strings.Cut(w, ":")
		r := intRange{-inf, inf}
		var err error
		if lo != "" || !isRange {
			if r.lo, err = p.parseInt(lo); err != nil {
				return err
			}
		}
		if !isRange {
			r.hi = r.lo
		} else if hi != "" {
			if r.hi, err = p.parseInt(hi); err != nil {
				return err
			}
		}
		p.ints = append(p.ints, r)
	case MatchIP:
		n, err := parseNet(w)
		if err != nil {
			return err
		}
		p.nets = append(p.nets, n)
	case MatchFound, MatchBool:
		// HAProxy ignores patterns for these methods.
	default:
		return fmt.Errorf("unknown matching method '%s'", p.method)
	}
	return nil
}

func (p *patterns) parseInt(s string) (int64, error) {
	if p.method == matchDottedVer {
		maj, mnr, _ := strings.Cut(s, ".")
		a, err1 := strconv.ParseInt(maj, 10, 64)
		b, err2 := int64(0), error(nil)
		if mnr != "" {
			b, err2 = strconv.ParseInt(mnr, 10, 64)
		}
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("'%s' is not a dotted number", s)
		}
		return a<<16 | b, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("'%s' is not a number", s)
	}
	return n, nil
}

// parseNet reads "ADDR", "ADDR/LEN" or "ADDR/MASK".
func parseNet(s string) (netip.Prefix, error) {
	a, m, hasMask := strings.Cut(s, "/")
	if strings.EqualFold(a, "localhost") {
		// HAProxy resolves host names in IP patterns; the engine
		// resolves none but this one (as /etc/hosts has it).
		a = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("'%s' is not a valid IPv4 or IPv6 address", s)
	}
	ip = ip.Unmap()
	bits := ip.BitLen()
	if hasMask {
		if n, err := strconv.Atoi(m); err == nil && n >= 0 && n <= ip.BitLen() {
			bits = n
		} else if mask, err := netip.ParseAddr(m); err == nil && mask.Is4() && ip.Is4() {
			b := mask.As4()
			v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			bits = 0
			for v&0x80000000 != 0 {
				bits++
				v <<= 1
			}
			if v != 0 {
				return netip.Prefix{}, fmt.Errorf("'%s' is not a valid netmask", m)
			}
		} else {
			return netip.Prefix{}, fmt.Errorf("'%s' is not a valid IPv4 or IPv6 network", s)
		}
	}
	return netip.PrefixFrom(ip, bits).Masked(), nil
}

// castFor casts s to what the method compares; false when it cannot.
func (p *patterns) castFor(s *Sample) bool {
	switch p.method {
	case MatchInt, matchDottedVer:
		return s.Cast(Int)
	case MatchIP:
		return s.Cast(Addr)
	case MatchBool:
		return s.Cast(Bool)
	case MatchBin:
		return s.Cast(Bin)
	case MatchFound:
		return true
	}
	return s.Type != Int && s.Type != Bool && s.Type != IPv4 && s.Type != IPv6 || s.Cast(Str)
}

// match returns the index of the first pattern s matches (the longest
// prefix for ip), or -1. found and bool return 0 on a match.
func (p *patterns) match(s *Sample) int {
	if !p.castFor(s) {
		return -1
	}
	v := s.Bytes
	switch p.method {
	case MatchFound:
		return 0
	case MatchBool:
		if s.Int != 0 {
			return 0
		}
		return -1
	case MatchInt, matchDottedVer, MatchLen:
		n := s.Int
		if p.method == MatchLen {
			n = int64(len(v))
		}
		for i, r := range p.ints {
			if n >= r.lo && n <= r.hi {
				return i
			}
		}
		return -1
	case MatchIP:
		if p.netIndex != nil {
			return p.lookupNet(s.IP.Unmap())
		}
		ip, best, bestBits := s.IP.Unmap(), -1, -1
		for i, n := range p.nets {
			if n.Contains(ip) && n.Bits() > bestBits {
				best, bestBits = i, n.Bits()
			}
		}
		return best
	case matchAuthGroup:
		for i, g := range p.strs {
			if p.users != nil && p.users.InGroup(string(v), string(g)) {
				return i
			}
		}
		return -1
	case MatchReg:
		for i, re := range p.res {
			if re.Match(v) {
				return i
			}
		}
		return -1
	}
	if p.strIndex != nil {
		return p.lookupStr(v)
	}
	if p.method == MatchBeg && !p.icase {
		// HAProxy keeps case-sensitive prefixes in a tree: the longest
		// one wins (map_beg), not the first in the file.
		best := -1
		for i, pat := range p.strs {
			if p.strMatch(v, pat) && (best < 0 || len(pat) > len(p.strs[best])) {
				best = i
			}
		}
		return best
	}
	for i, pat := range p.strs {
		if p.strMatch(v, pat) {
			return i
		}
	}
	return -1
}

func (p *patterns) strMatch(v, pat []byte) bool {
	switch p.method {
	case MatchStr, MatchBin:
		return len(v) == len(pat) && hasPrefix(v, pat, p.icase)
	case MatchBeg:
		return len(v) >= len(pat) && hasPrefix(v, pat, p.icase)
	case MatchEnd:
		return len(v) >= len(pat) && hasPrefix(v[len(v)-len(pat):], pat, p.icase)
	case MatchSub:
		for i := 0; i+len(pat) <= len(v); i++ {
			if hasPrefix(v[i:], pat, p.icase) {
				return true
			}
		}
		return false
	case MatchDom:
		return matchWord(v, pat, p.icase, "/?.:")
	case MatchDir:
		return matchWord(v, pat, p.icase, "/?")
	}
	return false
}

// hasPrefix compares v's first len(pat) bytes with pat (already
// lowercased with icase).
func hasPrefix(v, pat []byte, icase bool) bool {
	if !icase {
		return bytes.HasPrefix(v, pat)
	}
	for i := range pat {
		if lower(v[i]) != pat[i] {
			return false
		}
	}
	return true
}

// matchWord is HAProxy's match_word: pat, stripped of delimiters at both
// ends, appears in v between delimiters (or v's ends).
func matchWord(v, pat []byte, icase bool, delims string) bool {
	isDelim := func(c byte) bool { return strings.IndexByte(delims, c) >= 0 }
	for len(pat) > 0 && isDelim(pat[0]) {
		pat = pat[1:]
	}
	for len(pat) > 0 && isDelim(pat[len(pat)-1]) {
		pat = pat[:len(pat)-1]
	}
	if len(pat) == 0 || len(pat) > len(v) {
		return false
	}
	mayMatch := true
	for i := 0; i+len(pat) <= len(v); i++ {
		if isDelim(v[i]) {
			mayMatch = true
			continue
		}
		if !mayMatch {
			continue
		}
		if hasPrefix(v[i:], pat, icase) && (i+len(pat) == len(v) || isDelim(v[i+len(pat)])) {
			return true
		}
		mayMatch = false
	}
	return false
}

// regexError explains a regex Go cannot compile: HAProxy uses PCRE, so a
// pattern it accepts may use what RE2 lacks (back-references,
// look-arounds, possessive quantifiers).
func regexError(re string, err error) error {
	return fmt.Errorf("regex '%s' cannot be compiled by Fulcrum (Go RE2 syntax: no back-references or look-arounds) : %v", re, err)
}

// parseHex decodes a hex pattern or bin() argument.
func parseHex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("'" + s + "' is not a valid hex string")
	}
	return b, nil
}
