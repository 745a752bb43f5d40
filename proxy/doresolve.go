package proxy

import (
	"context"
	"strings"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// doResolveAction maps do-resolve(VAR,RESOLVERS[,ipv4|ipv6]) EXPR: the
// request waits while the resolvers section resolves the name EXPR
// gives (AAAA records first unless ipv4 is asked, then the other
// family), then VAR holds the first address of the answer (the variable
// is left as it was when there is none). isResolve is false when words
// are another action.
func (a *adapter) doResolveAction(pos confparse.Pos, kw string, words []string) (do func(*Session), isResolve bool) {
	args, ok := strings.CutPrefix(first(words), "do-resolve(")
	if !ok {
		return nil, false
	}
	parts := strings.Split(strings.TrimSuffix(args, ")"), ",")
	if len(parts) < 2 || len(words) < 2 || !validVarName(parts[0]) {
		a.alert(pos, "'%s do-resolve' expects a variable, a resolvers section and an expression.", kw)
		return nil, true
	}
	name, section := parts[0], parts[1]
	ipv4 := len(parts) > 2 && parts[2] == "ipv4"
	if a.cfg.Resolvers[section] == nil {
		a.alert(pos, "'%s do-resolve' : no resolvers section named '%s'.", kw, section)
		return nil, true
	}
	x, err := sample.ParseExpr(words[1], a.sampleOptions(pos))
	if err != nil {
		a.warn(pos, "'%s do-resolve' is not acted on yet by Fulcrum (%v); the rule is ignored.", kw, notBuilt(err))
		return nil, true
	}
	return func(s *Session) {
		host, ok := x.String(s)
		if !ok || host == "" || s.Engine == nil {
			return
		}
		rc := s.Engine.rt.Load().cfg.Resolvers[section]
		if rc == nil {
			return
		}
		// The family asked first, then the other, as for servers.
		ans := queryAddrs(context.Background(), s.Engine.dnsClient(rc), host, ipv4)
		if len(ans.Addrs) > 0 {
			s.SetVar(name, ans.Addrs[0].String())
		}
	}, true
}
