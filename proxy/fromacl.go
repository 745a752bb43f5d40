package proxy

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
)

// acl is one compiled `acl` line; lines with the same name are ORed.
type acl struct {
	cond Cond
}

// acls compiles a proxy's named ACLs (from its own lines: ACLs are not
// inherited from defaults in HAProxy 2.6).
func (a *adapter) acls(px *haproxy.Proxy) map[string][]acl {
	out := map[string][]acl{}
	for _, d := range px.Section.Lines {
		if d.Keyword != "acl" || len(d.Args) < 2 {
			continue
		}
		c, err := compileACL(d.Args[1:])
		if err != nil {
			a.alert(d.Pos, "acl '%s' : %v", d.Args[0], err)
			c = func(*Session) Verdict { return False }
		}
		out[d.Args[0]] = append(out[d.Args[0]], acl{cond: c})
	}
	return out
}

// cond compiles "if|unless TERMS": terms are [!]NAME or [!]{ anonymous
// ACL }, ANDed, with "||"/"or" between AND groups. nil words mean always.
func (a *adapter) cond(acls map[string][]acl, pos confparse.Pos, words []string) (Cond, bool) {
	if len(words) == 0 {
		return nil, true
	}
	unless := words[0] == "unless"
	if words[0] != "if" && !unless {
		a.alert(pos, "condition must start with 'if' or 'unless' (got '%s').", words[0])
		return nil, false
	}
	var groups [][]Cond
	var group []Cond
	words = words[1:]
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "||" || w == "or" {
			groups = append(groups, group)
			group = nil
			continue
		}
		neg := false
		if strings.HasPrefix(w, "!") {
			neg, w = true, w[1:]
			if w == "" && i+1 < len(words) {
				i++
				w = words[i]
			}
		}
		var c Cond
		if w == "{" {
			end := i + 1
			for end < len(words) && words[end] != "}" {
				end++
			}
			if end >= len(words) {
				a.alert(pos, "missing closing '}' in condition.")
				return nil, false
			}
			var err error
			if c, err = compileACL(words[i+1 : end]); err != nil {
				a.alert(pos, "anonymous acl : %v", err)
				return nil, false
			}
			i = end
		} else {
			list, ok := acls[w]
			if !ok {
				if c = builtinACL(w); c == nil {
					a.alert(pos, "no such ACL : '%s'.", w)
					return nil, false
				}
			} else {
				c = anyOf(list)
			}
		}
		if neg {
			c = not(c)
		}
		group = append(group, c)
	}
	groups = append(groups, group)
	c := orGroups(groups)
	if unless {
		c = not(c)
	}
	return c, true
}

func anyOf(list []acl) Cond {
	return func(s *Session) Verdict {
		res := False
		for _, l := range list {
			switch l.cond(s) {
			case True:
				return True
			case Unknown:
				res = Unknown
			}
		}
		return res
	}
}

func not(c Cond) Cond {
	return func(s *Session) Verdict {
		switch c(s) {
		case True:
			return False
		case False:
			return True
		}
		return Unknown
	}
}

func orGroups(groups [][]Cond) Cond {
	return func(s *Session) Verdict {
		res := False
		for _, g := range groups {
			v := True
			for _, c := range g {
				if r := c(s); r == False {
					v = False
					break
				} else if r == Unknown {
					v = Unknown
				}
			}
			if v == True {
				return True
			}
			if v == Unknown {
				res = Unknown
			}
		}
		return res
	}
}

// builtinACL are HAProxy's predefined ACL names usable in tcp mode.
func builtinACL(name string) Cond {
	switch name {
	case "TRUE":
		return func(*Session) Verdict { return True }
	case "FALSE":
		return func(*Session) Verdict { return False }
	case "LOCALHOST":
		c, _ := compileACL([]string{"src", "127.0.0.1/8", "::1"})
		return c
	case "REQ_CONTENT":
		return func(s *Session) Verdict {
			n, v := s.ReqLen()
			if n > 0 {
				return True
			}
			return v
		}
	}
	return nil
}

// matcher kinds of `-m`.
const (
	mStr = "str"
	mBeg = "beg"
	mEnd = "end"
	mSub = "sub"
	mReg = "reg"
	mInt = "int"
	mIP  = "ip"
	mFnd = "found"
	mLen = "len"
)

// fetchSpec is one tcp-mode sample fetch: its default match and how it
// reads a session. Exactly one of str/num/ip is set.
type fetchSpec struct {
	match string
	str   func(s *Session, arg string) (string, Verdict)
	num   func(s *Session, arg string) (int, Verdict)
	ip    func(s *Session) netip.Addr
}

var fetches = map[string]fetchSpec{
	"src":                {match: mIP, ip: func(s *Session) netip.Addr { return s.Src.Addr().Unmap() }},
	"dst":                {match: mIP, ip: func(s *Session) netip.Addr { return s.Dst.Addr().Unmap() }},
	"src_port":           {match: mInt, num: func(s *Session, _ string) (int, Verdict) { return int(s.Src.Port()), True }},
	"dst_port":           {match: mInt, num: func(s *Session, _ string) (int, Verdict) { return int(s.Dst.Port()), True }},
	"req.len":            {match: mInt, num: func(s *Session, _ string) (int, Verdict) { return s.ReqLen() }},
	"req.ssl_sni":        {match: mStr, str: func(s *Session, _ string) (string, Verdict) { return s.ReqSSLSNI() }},
	"req.ssl_hello_type": {match: mInt, num: func(s *Session, _ string) (int, Verdict) { return s.ReqSSLHelloType() }},
	"req.ssl_ver":        {match: mInt, num: func(s *Session, _ string) (int, Verdict) { return s.ReqSSLVer() }},
	"always_true":        {match: mFnd, num: func(*Session, string) (int, Verdict) { return 1, True }},
	"always_false":       {match: mFnd, num: func(*Session, string) (int, Verdict) { return 0, False }},
	"nbsrv":              {match: mInt, num: func(s *Session, be string) (int, Verdict) { return s.NbSrv(beOr(s, be)), True }},
	"be_conn":            {match: mInt, num: func(s *Session, be string) (int, Verdict) { return s.BackendConns(beOr(s, be)), True }},
	"req.payload": {match: mBin, str: func(s *Session, arg string) (string, Verdict) {
		off, ln, _ := strings.Cut(arg, ",")
		o, _ := strconv.Atoi(off)
		l, _ := strconv.Atoi(ln)
		b, v := s.ReqPayload(o, l)
		return string(b), v
	}},
	"req.rdp_cookie": {match: mStr, str: func(s *Session, arg string) (string, Verdict) {
		b, v := s.ReqRDPCookie(arg)
		return string(b), v
	}},
}

// mBin matches hex patterns against binary samples.
const mBin = "bin"

// fetchAliases are the older spellings HAProxy still accepts.
var fetchAliases = map[string]string{"req_len": "req.len", "req_ssl_sni": "req.ssl_sni",
	"req_ssl_hello_type": "req.ssl_hello_type", "req_ssl_ver": "req.ssl_ver", "payload": "req.payload",
	"req_rdp_cookie": "req.rdp_cookie", "rdp_cookie": "req.rdp_cookie"}

func beOr(s *Session, be string) string {
	if be == "" {
		return s.Frontend
	}
	return be
}

// compileACL compiles "FETCH [-i] [-m METHOD] [--] PATTERN...".
func compileACL(expr []string) (Cond, error) {
	if len(expr) == 0 {
		return nil, fmt.Errorf("missing fetch")
	}
	name, arg, _ := strings.Cut(strings.TrimSuffix(expr[0], ")"), "(")
	if al, ok := fetchAliases[name]; ok {
		name = al
	}
	f, ok := fetches[name]
	if !ok {
		return nil, fmt.Errorf("fetch '%s' is not supported by Fulcrum in tcp mode", name)
	}
	if name == "req.payload" {
		off, ln, _ := strings.Cut(arg, ",")
		o, err1 := strconv.Atoi(off)
		l, err2 := strconv.Atoi(ln)
		if err1 != nil || err2 != nil || o < 0 || l < 0 {
			return nil, fmt.Errorf("fetch 'req.payload' expects two non-negative integers (got '%s')", arg)
		}
	}
	match, icase := f.match, false
	pats := expr[1:]
	for len(pats) > 0 && strings.HasPrefix(pats[0], "-") {
		switch pats[0] {
		case "-i":
			icase = true
		case "-m":
			if len(pats) < 2 {
				return nil, fmt.Errorf("'-m' expects a method")
			}
			match = pats[1]
			pats = pats[1:]
		case "-n", "-I":
		case "--":
			pats = pats[1:]
			goto done
		default:
			return nil, fmt.Errorf("flag '%s' is not supported by Fulcrum", pats[0])
		}
		pats = pats[1:]
	}
done:
	if name == "req.ssl_ver" {
		for i, p := range pats {
			if maj, mnr, ok := strings.Cut(p, "."); ok {
				a, _ := strconv.Atoi(maj)
				b, _ := strconv.Atoi(mnr)
				pats[i] = strconv.Itoa(a<<8 | b)
			}
		}
	}
	switch {
	case f.ip != nil:
		return ipMatcher(f, pats)
	case f.num != nil && (match == mInt || match == mFnd):
		return intMatcher(f, arg, match, pats)
	case f.str != nil:
		return strMatcher(f, arg, match, icase, pats)
	}
	return nil, fmt.Errorf("match method '%s' is not supported for fetch '%s' by Fulcrum", match, name)
}

func ipMatcher(f fetchSpec, pats []string) (Cond, error) {
	var nets []netip.Prefix
	for _, p := range pats {
		if !strings.Contains(p, "/") {
			ip, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("'%s' is not a valid IPv4 or IPv6 address", p)
			}
			nets = append(nets, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("'%s' is not a valid IPv4 or IPv6 network", p)
		}
		nets = append(nets, pf.Masked())
	}
	return func(s *Session) Verdict {
		ip := f.ip(s)
		for _, n := range nets {
			if n.Contains(ip) {
				return True
			}
		}
		return False
	}, nil
}

// intRange is one integer pattern: "N", "A:B", or "OP N".
type intRange struct{ lo, hi int }

func intMatcher(f fetchSpec, arg, match string, pats []string) (Cond, error) {
	var rs []intRange
	const inf = int(^uint(0) >> 1)
	for i := 0; i < len(pats); i++ {
		p := pats[i]
		if op := map[string]bool{"eq": true, "ge": true, "gt": true, "le": true, "lt": true}[p]; op && i+1 < len(pats) {
			n, err := strconv.Atoi(pats[i+1])
			if err != nil {
				return nil, fmt.Errorf("'%s' is not a number", pats[i+1])
			}
			r := map[string]intRange{"eq": {n, n}, "ge": {n, inf}, "gt": {n + 1, inf}, "le": {-inf, n}, "lt": {-inf, n - 1}}[p]
			rs = append(rs, r)
			i++
			continue
		}
		lo, hi, isRange := strings.Cut(p, ":")
		var r intRange
		var err error
		if r.lo, err = atoiOr(lo, -inf); err != nil {
			return nil, err
		}
		r.hi = r.lo
		if isRange {
			if r.hi, err = atoiOr(hi, inf); err != nil {
				return nil, err
			}
		}
		rs = append(rs, r)
	}
	return func(s *Session) Verdict {
		n, v := f.num(s, arg)
		if v != True {
			return v
		}
		if match == mFnd || len(rs) == 0 && match == mFnd {
			return True
		}
		for _, r := range rs {
			if n >= r.lo && n <= r.hi {
				return True
			}
		}
		return False
	}, nil
}

func atoiOr(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("'%s' is not a number", s)
	}
	return n, nil
}

func strMatcher(f fetchSpec, arg, match string, icase bool, pats []string) (Cond, error) {
	var res []*regexp.Regexp
	var test func(v, p string) bool
	fold := func(s string) string {
		if icase {
			return strings.ToLower(s)
		}
		return s
	}
	switch match {
	case mStr:
		test = func(v, p string) bool { return v == p }
	case mBeg:
		test = strings.HasPrefix
	case mEnd:
		test = strings.HasSuffix
	case mSub:
		test = strings.Contains
	case mFnd:
		test = nil
	case mBin:
		for i, p := range pats {
			b, err := hex.DecodeString(p)
			if err != nil {
				return nil, fmt.Errorf("'%s' is not a valid hex string", p)
			}
			pats[i] = string(b)
		}
		test = func(v, p string) bool { return v == p }
	case mReg:
		for _, p := range pats {
			if icase {
				p = "(?i)" + p
			}
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, fmt.Errorf("regex '%s' : %v", p, err)
			}
			res = append(res, re)
		}
	case mLen:
		return nil, fmt.Errorf("'-m len' is not supported by Fulcrum yet")
	default:
		return nil, fmt.Errorf("match method '%s' is not supported by Fulcrum", match)
	}
	for i := range pats {
		pats[i] = fold(pats[i])
	}
	return func(s *Session) Verdict {
		v, vd := f.str(s, arg)
		if vd != True {
			return vd
		}
		if match == mFnd {
			return True
		}
		for _, re := range res {
			if re.MatchString(v) {
				return True
			}
		}
		v = fold(v)
		for _, p := range pats {
			if test != nil && test(v, p) {
				return True
			}
		}
		return False
	}, nil
}
