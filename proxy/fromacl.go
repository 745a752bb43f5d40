package proxy

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/sample"
	"fulcrum/proxy/userlist"
)

// acl is one compiled `acl` line; lines with the same name are ORed.
// kw is its fetch keyword.
type acl struct {
	cond Cond
	kw   string
}

// acls compiles a proxy's named ACLs (from its own lines: ACLs are not
// inherited from defaults in HAProxy 2.6).
func (a *adapter) acls(px *haproxy.Proxy) map[string][]acl {
	out := map[string][]acl{}
	for _, d := range px.Section.Lines {
		if d.Keyword != "acl" || len(d.Args) < 2 {
			continue
		}
		c, err := compileACLWith(d.Args[1:], a.sampleOptions(d.Pos))
		if err != nil {
			a.alert(d.Pos, "acl '%s' : %v", d.Args[0], err)
			c = func(*Session) Verdict { return False }
		}
		out[d.Args[0]] = append(out[d.Args[0]], acl{cond: c, kw: aclKeyword(d.Args[1])})
	}
	return out
}

// aclKeyword is the fetch keyword of an ACL's criterion.
func aclKeyword(criterion string) string {
	kw, _, _ := strings.Cut(criterion, "(")
	kw, _, _ = strings.Cut(kw, ",")
	return kw
}

// cond compiles "if|unless TERMS": terms are [!]NAME or [!]{ anonymous
// ACL }, ANDed, with "||"/"or" between AND groups. nil words mean always.
func (a *adapter) cond(acls map[string][]acl, pos confparse.Pos, words []string) (Cond, bool) {
	return a.condWithout(acls, pos, words, nil)
}

// never is the verdict of an ACL whose fetch has nothing to read where
// it runs; negated, it holds, as in the reference.
func never(*Session) Verdict { return False }

// condWithout is cond where the ACLs of the keywords gone says are gone
// never match: a response rule's request headers (the reference warns
// of them at -c).
func (a *adapter) condWithout(acls map[string][]acl, pos confparse.Pos, words []string, gone func(kw string) bool) (Cond, bool) {
	if gone == nil {
		gone = func(string) bool { return false }
	}
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
		if w == "||" || strings.EqualFold(w, "or") { // any case, as the reference
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
			if c, err = compileACLWith(words[i+1:end], a.sampleOptions(pos)); err != nil {
				a.alert(pos, "anonymous acl : %v", err)
				return nil, false
			}
			if end > i+1 && gone(aclKeyword(words[i+1])) {
				c = never
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
				kept := make([]acl, len(list))
				for j, l := range list {
					if kept[j] = l; gone(l.kw) {
						kept[j].cond = never
					}
				}
				c = anyOf(kept)
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

// builtinACL are HAProxy's predefined ACL names (TRUE, LOCALHOST,
// METH_GET, HTTP_1.1, ...).
func builtinACL(name string) Cond {
	expr, ok := sample.Builtin[name]
	if !ok {
		return nil
	}
	return mustACL(strings.Fields(expr)...)
}

// compileACL compiles "FETCH [FLAGS] [PATTERNS]" with the sample
// package; pattern and map files are read here, at load time.
func compileACL(expr []string) (Cond, error) {
	return compileACLWith(expr, &sample.Options{ReadFile: os.ReadFile})
}

func compileACLWith(expr []string, o *sample.Options) (Cond, error) {
	acl, err := sample.ParseACL(expr, o)
	if err != nil {
		return nil, notBuilt(err)
	}
	return condOf(acl), nil
}

// userlistsOf builds the userlist sections once: "user NAME [password
// HASH | insecure-password PASS] [groups G,...]" and "group NAME [users
// U,...]".
func (a *adapter) userlistsOf() map[string]*userlist.List {
	if a.userlists != nil || a.hc == nil {
		return a.userlists
	}
	a.userlists = map[string]*userlist.List{}
	for _, sec := range a.hc.Others {
		if sec.Kind != "userlist" || len(sec.Args) == 0 {
			continue
		}
		l := userlist.New(sec.Args[0])
		a.userlists[l.Name] = l
		for _, d := range sec.Lines {
			if len(d.Args) == 0 {
				continue
			}
			opt := map[string]string{}
			for i := 1; i+1 < len(d.Args); i += 2 {
				opt[d.Args[i]] = d.Args[i+1]
			}
			list := func(k string) []string {
				if opt[k] == "" {
					return nil
				}
				return strings.Split(opt[k], ",")
			}
			switch d.Keyword {
			case "group":
				l.AddGroup(d.Args[0], list("users"))
			case "user":
				pw, insecure := opt["password"], false
				if p, ok := opt["insecure-password"]; ok {
					pw, insecure = p, true
				}
				if err := l.AddUser(d.Args[0], pw, insecure, list("groups")); err != nil {
					a.warn(d.Pos, "userlist '%s' user '%s' : %v; this user cannot log in.", l.Name, d.Args[0], err)
				}
			}
		}
	}
	return a.userlists
}

// notBuilt rewords the sample package's "unknown" errors: the haproxy
// model already refused names HAProxy does not know, so what is unknown
// here is known to HAProxy and not built in Fulcrum.
func notBuilt(err error) error {
	var u *sample.UnknownError
	if errors.As(err, &u) {
		return fmt.Errorf("%s '%s' is not supported by Fulcrum yet", u.Kind, u.Name)
	}
	return err
}

// useBackend maps one use_backend rule. A name holding `%[expr]` is
// computed per stream; when it names no backend, the frontend's default
// backend serves, as in HAProxy (the remaining rules are not tried).
func (a *adapter) useBackend(fe *Frontend, d haproxy.Directive, cond Cond) UseBackend {
	u := UseBackend{Backend: d.Args[0], Cond: cond}
	if !strings.Contains(u.Backend, "%") {
		return u
	}
	o := a.sampleOptions(d.Pos)
	o.Late = true // resolved after parsing, as the reference does
	t, err := sample.ParseTemplate(u.Backend, o)
	if err != nil {
		a.alert(d.Pos, "'use_backend %s' : %v (not supported by Fulcrum yet).", u.Backend, notBuilt(err))
		return u
	}
	if lit, ok := t.Literal(); ok {
		u.Backend = lit
		return u
	}
	backends := map[string]string{}
	for _, px := range a.hc.Proxies {
		if px.Kind == "backend" || px.Kind == "listen" {
			backends[px.Name] = px.Name
		}
	}
	dflt := fe.DefaultBackend
	u.Name = func(s *Session) string {
		var buf [64]byte
		if name, ok := backends[string(t.Append(buf[:0], s))]; ok {
			return name
		}
		return dflt
	}
	return u
}

// hashKey compiles `balance hash EXPR`: the expression's value as
// binary is the key (src gives 4 or 16 bytes); no value falls back to
// round robin, as in HAProxy.
func (a *adapter) hashKey(px *haproxy.Proxy, be *Backend, expr string) {
	if expr == "src" {
		be.HashKey = (*Session).SrcBinary
		return
	}
	x, err := sample.ParseExpr(expr, a.sampleOptions(px.Section.Pos))
	if err != nil {
		a.warn(px.Section.Pos, "backend '%s' : 'balance hash %s' : %v; using roundrobin.", px.Name, expr, notBuilt(err))
		return
	}
	be.HashKey = func(s *Session) []byte {
		var smp sample.Sample
		if x.Eval(s, &smp) != sample.Found || !smp.Cast(sample.Bin) {
			return nil
		}
		return smp.Bytes
	}
}
