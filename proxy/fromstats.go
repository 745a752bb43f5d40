package proxy

import (
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
)

func init() { actedKeywords["stats"] = true }

// statsGlobal maps what the statistics need of the whole configuration:
// proxy ids, the process maxconn, node and description, and the `stats`
// lines of every proxy.
func (a *adapter) statsGlobal() *StatsGlobal {
	g := &StatsGlobal{ProxyIDs: map[string]int{}, Pages: map[string]*StatsPage{}, MaxConn: a.hc.Global.MaxConn}
	if g.MaxConn == 0 {
		g.MaxConn = defaultMaxConn()
	}
	if sec := a.hc.Global.Section; sec != nil {
		for _, d := range sec.Lines {
			switch d.Keyword {
			case "node":
				g.Node = first(d.Args)
			case "description":
				g.Description = strings.Join(d.Args, " ")
			}
		}
	}
	if g.Node == "" {
		g.Node = hostname
	}
	g.ProxyDescs = a.proxyDescriptions() // fromdesc.go
	// Explicit ids first, then the others in configuration order from the
	// first free one; the Runtime API's proxy takes the first id when a
	// stats socket exists.
	used := map[int]bool{}
	if len(a.hc.Global.StatsSockets) > 0 {
		used[1] = true
	}
	var auto []string
	for _, px := range a.hc.Proxies {
		if !a.enabled(px) {
			continue
		}
		id := 0
		for _, d := range px.Section.Lines {
			if d.Keyword == "id" {
				id, _ = strconv.Atoi(first(d.Args))
			}
		}
		if id > 0 && !used[id] {
			g.ProxyIDs[px.Name], used[id] = id, true
		} else {
			auto = append(auto, px.Name)
		}
		if px.Mode == "http" {
			if page := a.statsPage(px); page != nil {
				g.Pages[px.Name] = page
			}
		}
	}
	next := 1
	for _, name := range auto {
		for used[next] {
			next++
		}
		g.ProxyIDs[name], used[next] = next, true
	}
	return g
}

// enabled tells whether a proxy is mapped onto the engine (not disabled).
func (a *adapter) enabled(px *haproxy.Proxy) bool {
	if px.Options["disabled"] {
		return false
	}
	for _, d := range a.linesOf(px) {
		if d.Keyword == "disabled" {
			return false
		}
	}
	return true
}

// statsPage maps a proxy's (and its defaults') `stats` lines; nil when
// the proxy has none.
func (a *adapter) statsPage(px *haproxy.Proxy) *StatsPage {
	var p *StatsPage
	acls := a.acls(px)
	for _, d := range a.linesOf(px) {
		if d.Keyword != "stats" || len(d.Args) == 0 {
			continue
		}
		if p == nil {
			p = &StatsPage{URI: "/haproxy?stats", Realm: "HAProxy Statistics"}
		}
		a.statsLine(p, d, acls)
	}
	return p
}

func (a *adapter) statsLine(p *StatsPage, d haproxy.Directive, acls map[string][]acl) {
	args := d.Args
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch args[0] {
	case "enable":
	case "uri":
		p.URI = arg(1)
	case "realm":
		// HAProxy turns spaces escaped in the realm back into spaces.
		p.Realm = strings.Join(args[1:], " ")
	case "auth":
		user, pass, _ := strings.Cut(arg(1), ":")
		p.Users = append(p.Users, StatsUser{Name: user, Password: pass})
	case "refresh":
		if d, ok := parseTime(arg(1)); ok {
			// HAProxy's default unit here is the second.
			if strings.IndexFunc(arg(1), func(r rune) bool { return r < '0' || r > '9' }) < 0 {
				d *= 1000
			}
			p.Refresh = d
		}
	case "admin":
		cond, ok := a.cond(acls, d.Pos, args[1:])
		if ok {
			p.Admin = append(p.Admin, statsAdminRule(cond))
		}
	case "hide-version":
		p.HideVersion = true
	case "show-node":
		p.ShowNode = true
		p.Node = strings.Join(args[1:], " ")
	case "show-desc":
		p.ShowDesc = true
		p.Desc = strings.Join(args[1:], " ")
	case "show-legends":
		p.ShowLegends = true
	case "show-modules":
		p.ShowModules = true
		a.warn(d.Pos, "'stats show-modules' is not acted on yet by Fulcrum: the page shows no module columns.")
	case "scope":
		p.Scope = append(p.Scope, arg(1))
	case "http-request":
		a.statsHTTPRequest(p, d, acls)
	case "bind-process":
	default:
		a.warn(d.Pos, "'stats %s' is not acted on yet by Fulcrum.", args[0])
	}
}

// statsHTTPRequest maps `stats http-request allow|deny|auth [realm R]
// [if|unless cond]`.
func (a *adapter) statsHTTPRequest(p *StatsPage, d haproxy.Directive, acls map[string][]acl) {
	words, condWords := splitCond(d.Args[1:])
	if len(words) == 0 {
		return
	}
	r := StatsRule{}
	switch words[0] {
	case "allow":
		r.Action = StatsAllow
	case "deny":
		r.Action = StatsDeny
	case "auth":
		r.Action = StatsAuth
		if len(words) >= 3 && words[1] == "realm" {
			r.Realm = words[2]
		}
	default:
		a.add(confparse.Warning, d.Pos, "'stats http-request %s' is not acted on yet by Fulcrum.", words[0])
		return
	}
	cond, ok := a.cond(acls, d.Pos, condWords)
	if !ok {
		return
	}
	r.Cond = cond
	p.Rules = append(p.Rules, r)
}
