package sample

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// aclKeywords are HAProxy's ACL-only keywords: a fetch with a match
// method other than its type's default (path_beg is path -m beg).
var aclKeywords = map[string]struct{ fetch, match string }{}

func init() {
	suffixes := map[string]string{"": MatchStr, "_beg": MatchBeg, "_dir": MatchDir, "_dom": MatchDom,
		"_end": MatchEnd, "_len": MatchLen, "_reg": MatchReg, "_sub": MatchSub}
	for kw, fetch := range map[string]string{"base": "base", "path": "path", "url": "url", "urlp": "url_param",
		"hdr": "req.hdr", "cook": "req.cook", "shdr": "res.hdr", "scook": "res.cook"} {
		for suf, m := range suffixes {
			aclKeywords[kw+suf] = struct{ fetch, match string }{fetch, m}
		}
	}
	aclKeywords["req_ssl_ver"] = struct{ fetch, match string }{"req.ssl_ver", matchDottedVer}
	aclKeywords["req_rdp_cookie"] = struct{ fetch, match string }{"req.rdp_cookie", MatchStr}
	aclKeywords["req_rdp_cookie_cnt"] = struct{ fetch, match string }{"req.rdp_cookie_cnt", MatchInt}
	aclKeywords["http_auth_group"] = struct{ fetch, match string }{"http_auth_group", matchAuthGroup}
	aclKeywords["method"] = struct{ fetch, match string }{"method", MatchStr}
	aclKeywords["req.ver"] = struct{ fetch, match string }{"req.ver", MatchStr}
	aclKeywords["req_ver"] = struct{ fetch, match string }{"req.ver", MatchStr}
	aclKeywords["res.ver"] = struct{ fetch, match string }{"res.ver", MatchStr}
	aclKeywords["resp_ver"] = struct{ fetch, match string }{"res.ver", MatchStr}
}

// Builtin are HAProxy's predefined ACLs, as the expressions they stand
// for.
var Builtin = map[string]string{
	"FALSE":          "always_false",
	"HTTP":           "req.proto_http",
	"HTTP_1.0":       "req.ver 1.0",
	"HTTP_1.1":       "req.ver 1.1",
	"HTTP_2.0":       "req.ver 2.0",
	"HTTP_CONTENT":   "req.hdr_val(content-length) gt 0",
	"HTTP_URL_ABS":   "url_reg ^[^/:]*://",
	"HTTP_URL_SLASH": "url_beg /",
	"HTTP_URL_STAR":  "url *",
	"LOCALHOST":      "src 127.0.0.1/8 ::1",
	"METH_CONNECT":   "method CONNECT",
	"METH_DELETE":    "method DELETE",
	"METH_GET":       "method GET HEAD",
	"METH_HEAD":      "method HEAD",
	"METH_OPTIONS":   "method OPTIONS",
	"METH_POST":      "method POST",
	"METH_PUT":       "method PUT",
	"METH_TRACE":     "method TRACE",
	"RDP_COOKIE":     "req.rdp_cookie_cnt gt 0",
	"REQ_CONTENT":    "req.len gt 0",
	"TRUE":           "always_true",
	"WAIT_END":       "wait_end",
}

// ACL is one compiled ACL expression: a sample expression, a match
// method and its patterns.
type ACL struct {
	expr *Expr
	pats atomic.Pointer[patterns] // swapped whole when a pattern file changes
}

// Expr is the ACL's sample expression.
func (a *ACL) Expr() *Expr { return a.expr }

// ParseACL compiles the words of an ACL expression: "FETCH [FLAGS]
// [PATTERNS]" with the flags -i, -f FILE, -m METHOD, -M, -n, -u and --.
func ParseACL(words []string, o *Options) (*ACL, error) {
	if o == nil {
		o = &Options{}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("missing fetch method")
	}
	text := words[0]
	match := ""
	name, rest := splitName(text)
	var x *Expr
	var err error
	if kw, ok := aclKeywords[name]; ok {
		x, err = ParseExpr(kw.fetch+rest, o)
		if err == nil {
			x.Text = text
			if len(x.convs) == 0 {
				match = kw.match
			}
		}
	} else {
		x, err = ParseExpr(text, o)
	}
	if err != nil {
		return nil, err
	}
	if match == "" {
		match = x.fetch.Match
		if match == "" || len(x.convs) > 0 {
			match = defaultMatch(x.Out())
		}
	}
	icase, isMap := false, false
	var files []string
	pats := words[1:]
	for len(pats) > 0 && len(pats[0]) > 1 && pats[0][0] == '-' {
		switch pats[0] {
		case "-i":
			icase = true
		case "-I", "-n", "-u":
		case "-m", "-f":
			if len(pats) < 2 {
				return nil, fmt.Errorf("'%s' expects an argument", pats[0])
			}
			if pats[0] == "-m" {
				match = pats[1]
				if _, ok := methodOK[match]; !ok {
					return nil, fmt.Errorf("'%s' is not a valid match method", match)
				}
			} else {
				files = append(files, pats[1])
			}
			pats = pats[1:]
		case "-M":
			isMap = true
		case "--":
			pats = pats[1:]
			goto done
		default:
			return nil, fmt.Errorf("'%s' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'", pats[0])
		}
		pats = pats[1:]
	}
done:
	if match == MatchInt && x.fetch.Match == matchDottedVer && len(x.convs) == 0 {
		match = matchDottedVer
	}
	if match == MatchStr && x.fetch.Match == matchAuthGroup && len(x.convs) == 0 {
		match = matchAuthGroup
	}
	inline := append([]string(nil), pats...)
	words = inline
	var refs []*Ref
	for _, f := range files {
		lines, ref, err := readPatternFile(f, isMap, o)
		if err != nil {
			return nil, err
		}
		words = append(words, lines...)
		if ref != nil {
			refs = append(refs, ref)
		}
	}
	p, err := newPatterns(match, icase, words)
	if err != nil {
		return nil, err
	}
	prep := func(p *patterns) {
		if match == matchAuthGroup {
			p.users = x.args[0].Users
		}
	}
	prep(p)
	a := &ACL{expr: x}
	a.pats.Store(p)
	// Group patterns keep the userlist they were compiled with: they are
	// not files the Runtime API can change.
	if o.Refs != nil && match != matchAuthGroup {
		// The inline patterns are a reference too, after the files'.
		refs = append(refs, o.Refs.inline(name, o.Where, inline, o.Late))
		a.follow(refs, nil, match, icase, isMap, prep)
	}
	return a, nil
}

// follow recompiles the ACL's patterns when one of its pattern files
// changes at run time: the inline patterns, then each file's entries.
// prep completes a compiled pattern set (the userlist of auth groups).
func (a *ACL) follow(refs []*Ref, inline []string, match string, icase, isMap bool, prep func(*patterns)) {
	rebuild := func() {
		words := append([]string(nil), inline...)
		for _, r := range refs {
			for _, e := range r.Entries() {
				words = append(words, patternOf(e, isMap))
			}
		}
		if p, err := newPatterns(match, icase, words); err == nil {
			prep(p)
			a.pats.Store(p)
		}
	}
	for _, r := range refs {
		r.subscribe(refUser{
			check: func(e Entry) error { _, err := newPatterns(match, icase, []string{patternOf(e, isMap)}); return err },
			// Called with r's lock held: read the other files' entries,
			// and this one's from list.
			rebuild: func(list []Entry) {
				words := append([]string(nil), inline...)
				for _, x := range refs {
					entries := list
					if x != r {
						entries = x.Entries()
					}
					for _, e := range entries {
						words = append(words, patternOf(e, isMap))
					}
				}
				if p, err := newPatterns(match, icase, words); err == nil {
					prep(p)
					a.pats.Store(p)
				}
			},
		})
	}
	if len(refs) > 0 {
		rebuild()
	}
}

// patternOf is the ACL pattern of a file entry: the key of a map file
// (-M), the whole line otherwise.
func patternOf(e Entry, isMap bool) string {
	if isMap || e.Value == "" {
		return e.Key
	}
	return e.Key + " " + e.Value
}

var methodOK = map[string]struct{}{MatchStr: {}, MatchBeg: {}, MatchEnd: {}, MatchSub: {}, MatchReg: {},
	MatchDom: {}, MatchDir: {}, MatchLen: {}, MatchInt: {}, MatchIP: {}, MatchFound: {}, MatchBool: {}, MatchBin: {}}

// readPatternFile reads one pattern per line (or the keys of a map file
// with isMap); blank lines and '#' comments are skipped.
func readPatternFile(name string, isMap bool, o *Options) ([]string, *Ref, error) {
	if o.ReadFile == nil {
		return nil, nil, fmt.Errorf("failed to open pattern file <%s>", name)
	}
	data, err := o.ReadFile(name)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to open pattern file <%s> : %v", name, err)
	}
	var ref *Ref
	if o.Refs != nil {
		ref = o.Refs.get(name, false, isMap, "acl at "+o.Where, data, o.Late)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(strings.TrimLeft(l, " \t"), "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		if isMap {
			l, _, _ = strings.Cut(strings.ReplaceAll(l, "\t", " "), " ")
		}
		out = append(out, l)
	}
	return out, ref, nil
}

// Match runs the ACL: Found when any value of the sample matches any
// pattern, Wait when nothing matched yet but the sample may change,
// Miss otherwise.
func (a *ACL) Match(env Env) Result {
	st := getState(env)
	defer putState(st)
	c, s := &st.call, &st.smp
	c.Iterate = true
	res := Miss
	for {
		r := a.expr.eval(c, s)
		if r != Miss && s.Type != Any && a.pats.Load().match(s) >= 0 {
			return Found
		}
		if r == Wait {
			res = Wait
		}
		if !c.More {
			return res
		}
	}
}
