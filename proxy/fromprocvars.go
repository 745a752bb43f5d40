package proxy

import (
	"errors"
	"strings"

	"fulcrum/haproxy"

	"fulcrum/proxy/sample"
)

// procVarFetches are the fetches a global set-var may use: those that
// need no connection, request or stream (the reference refuses the
// others there).
var procVarFetches = map[string]bool{"int": true, "str": true, "bool": true, "ipv4": true, "ipv6": true,
	"bin": true, "meth": true, "var": true, "env": true, "always_true": true, "always_false": true,
	"date": true, "hostname": true, "nbproc": true, "nbthread": true, "pid": true, "proc": true,
	"thread": true, "rand": true, "uuid": true, "uptime": true, "stopping": true, "env_or": true}

// procVarInits maps the global set-var and set-var-fmt lines.
func (a *adapter) procVarInits() []ProcVarInit {
	sec := a.hc.Global.Section
	if sec == nil {
		return nil
	}
	var inits []ProcVarInit
	for _, d := range sec.Lines {
		if d.Keyword != "set-var" && d.Keyword != "set-var-fmt" {
			continue
		}
		if len(d.Args) < 2 {
			a.alert(d.Pos, "'%s' requires a process-wide variable name ('proc.<name>') and a sample expression.", d.Keyword)
			continue
		}
		name := d.Args[0]
		if scope, _, _ := strings.Cut(name, "."); scope != "proc" || !validVarName(name) {
			a.alert(d.Pos, "'%s': cannot set variable '%s', only scope 'proc' is permitted in the global section.", d.Keyword, name)
			continue
		}
		in := ProcVarInit{Name: name}
		var err error
		if d.Keyword == "set-var-fmt" {
			in.Fmt, err = sample.ParseTemplate(d.Args[1], a.sampleOptions(d.Pos))
		} else if in.Expr, err = sample.ParseExpr(d.Args[1], a.sampleOptions(d.Pos)); err == nil && !procVarFetches[in.Expr.FetchName()] {
			a.alert(d.Pos, "fetch method '%s(%s)' extracts information from '%s', none of which is available here", d.Keyword, name, fetchSource(in.Expr.FetchName()))
			continue
		}
		var unknown *sample.UnknownError
		if errors.As(err, &unknown) && unknown.Kind == "fetch method" && !haproxy.IsFetch(unknown.Name) {
			a.alert(d.Pos, "unknown fetch method '%s'", unknown.Name)
			continue
		}
		if err != nil {
			a.alert(d.Pos, "'%s(%s)': %v.", d.Keyword, name, notBuilt(err))
			continue
		}
		inits = append(inits, in)
	}
	return inits
}

// fetchSource names where a fetch takes its data, in the reference's
// words, for the global set-var lines that cannot use it.
func fetchSource(fetch string) string {
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if fetch == p || strings.HasPrefix(fetch, p+"_") || strings.HasPrefix(fetch, p+".") {
				return true
			}
		}
		return false
	}
	switch {
	case has("hdr", "fhdr", "cook"):
		return "HTTP request headers,HTTP response headers"
	case has("res.hdr", "res.fhdr", "shdr", "res.cook", "scook", "set-cookie", "res.hdrs"):
		return "HTTP response headers"
	case has("status", "res.ver", "resp_ver", "capture.res", "res.cache"):
		return "HTTP response"
	case has("method", "req.ver", "req_ver", "capture.req", "http_first_req"):
		return "HTTP request"
	case has("res.len", "res.payload", "res.ssl_hello_type", "rep_ssl_hello_type"):
		return "response buffer"
	case has("req.len", "req_len", "req.payload", "payload", "payload_lv", "req.ssl", "req_ssl", "req.rdp_cookie", "rdp_cookie", "req.proto_http", "req_proto_http"):
		return "request buffer"
	case has("req.hdr", "req.fhdr", "req.cook", "req.hdrs", "req.body", "path", "url", "urlp", "url_param", "query", "base", "http_auth", "url32", "base32", "capture"):
		return "HTTP request headers"
	case has("src", "dst", "fc_rtt", "fc_rttvar", "fc_unacked", "fc_sacked", "fc_retrans", "fc_fackets", "fc_lost", "fc_reordering"):
		return "client address"
	case has("ssl_fc", "ssl_c", "ssl_f", "fc"):
		return "client-side connection"
	case has("fe", "so"):
		return "frontend"
	case has("be"):
		return "backend"
	case fetch == "srv_id" || fetch == "srv_name":
		return "server"
	}
	return "internal state"
}
