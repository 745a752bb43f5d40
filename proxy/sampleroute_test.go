package proxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// routeBackends are the backends of the routing differential test; each
// has one server answering with the backend's name.
var routeBackends = []string{"be_dflt", "be_api", "be_static", "be_img", "be_admin", "be_shop", "be_org",
	"be_token", "be_debug", "be_beta", "be_bot", "be_xff", "be_multi", "be_post", "be_v2", "be_long",
	"be_http10", "be_mapped", "be_listed", "be_dyn_a", "be_dyn_b", "be_local", "be_fixed", "be_mapfound", "be_neg", "be_auth", "be_authgrp"}

// tcpBackends serve the tcp-mode frontend, which routes on HTTP fetches
// parsed out of its inspect buffer. HAProxy evaluates use_backend once,
// after the content rules: the accept rule makes it wait for a whole
// request head, so the test does not race the client's first bytes.
var tcpBackends = []string{"t_dflt", "t_api", "t_host", "t_http", "t_sni"}

// tcpRouteConfig is that frontend; %d is its port.
const tcpRouteConfig = `frontend fe_tcp
	mode tcp
	bind 127.0.0.1:%d
	tcp-request inspect-delay 3s
	tcp-request content accept if HTTP
	use_backend t_sni if { req.ssl_sni -i a.example }
	use_backend t_api if { path_beg /api }
	use_backend t_host if { hdr(host) -i t.example } METH_GET
	use_backend t_http if HTTP
	default_backend t_dflt
`

// routeConfig is a frontend with many ACL forms; %s are the listening
// port, the pattern file, the map file, then the backends.
const routeConfig = `defaults
	mode http
	timeout connect 2s
	timeout client 10s
	timeout server 10s
userlist L
	group admins users alice
	group devs
	user alice password $5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5
	user bob insecure-password s3cret groups devs
	user carol password $1$saltstri$qQY4WxjABChYG1ccLpfkz/
frontend fe
	bind 127.0.0.1:%d
	use_backend be_authgrp if { http_auth_group(L) admins }
	use_backend be_auth if { http_auth(L) }
	acl is_api path_beg /api/ /rest
	acl is_static path_end .css .js
	acl is_img path_reg ^/img/[0-9]+\.png$
	acl host_admin hdr(host) -i admin.example.com
	acl host_org hdr_dom(host) -i example.org
	acl host_shop hdr_beg(host) -i shop.
	acl has_token url_param(token) -m found
	acl q_debug query -m sub debug=1
	acl beta cook(beta) 1
	acl bot hdr_sub(user-agent) -i bot crawler
	acl xff hdr_ip(x-forwarded-for) 10.0.0.0/8
	acl multi hdr_cnt(x-multi) ge 2
	acl post method POST
	acl v2 path_dir v2
	acl long path_len gt 30
	acl http10 req.ver 1.0
	acl listed hdr(x-client) -i -f %s
	acl mapped hdr(x-key) -M -f %s
	acl fixed hdr(x-fixed,1) one
	acl neg_prio hdr_val(x-prio) lt 0
	use_backend be_admin if host_admin !post
	use_backend be_post if post
	use_backend be_api if is_api || v2
	use_backend be_static if is_static
	use_backend be_img if is_img
	use_backend be_shop if host_shop
	use_backend be_org if host_org
	use_backend be_token if has_token { urlp(token) -m len 6 }
	use_backend be_debug if q_debug
	use_backend be_beta if beta
	use_backend be_bot if bot
	use_backend be_xff if xff
	use_backend be_multi if multi
	use_backend be_long if long
	use_backend be_http10 if http10
	use_backend be_listed if listed
	use_backend be_mapped if mapped
	use_backend be_fixed if fixed
	use_backend be_neg if neg_prio
	use_backend be_local if { hdr(x-local) -m found } LOCALHOST
	use_backend be_local if { hdr(x-lh) -m found } { src LOCALHOST }
	use_backend %%[req.hdr(x-route),lower,map(%s)] if { req.hdr(x-route) -m found }
	use_backend be_dyn_%%[path,field(3,/)] if { path_beg /dyn/ }
	default_backend be_dflt
`

// TestRoutingDifferential routes the same table of requests through the
// reference and through our engine with the same configuration (many ACL
// forms, pattern and map files, dynamic use_backend) and compares which
// backend answered each one.
func TestRoutingDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	dir := t.TempDir()
	listFile := filepath.Join(dir, "clients.lst")
	mapFile := filepath.Join(dir, "keys.map")
	routeMap := filepath.Join(dir, "route.map")
	for name, body := range map[string]string{
		listFile: "# known clients\nalpha\n  beta-client\n\nGAMMA\n",
		mapFile:  "k1 whatever\nk2\tother value\n",
		routeMap: "a be_dyn_a\nb be_dyn_b\nmissing be_nope\n",
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var servers []difftest.Server
	for _, b := range append(routeBackends, tcpBackends...) {
		servers = append(servers, difftest.Server{Name: b})
	}
	refBE := difftest.StartHTTPBackends(t, servers)
	ourBE := difftest.StartHTTPBackends(t, servers)
	cfgText := func(port, tcpPort int, be *difftest.Backends) string {
		var sb strings.Builder
		fmt.Fprintf(&sb, routeConfig, port, listFile, mapFile, routeMap)
		for _, b := range routeBackends {
			fmt.Fprintf(&sb, "backend %s\n\tserver s %s\n", b, be.Addr(b))
		}
		fmt.Fprintf(&sb, tcpRouteConfig, tcpPort)
		for _, b := range tcpBackends {
			fmt.Fprintf(&sb, "backend %s\n\tmode tcp\n\tserver s %s\n", b, be.Addr(b))
		}
		return sb.String()
	}
	refPort, refTCP := difftest.FreePort(t), difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, cfgText(refPort, refTCP, refBE))
	refAddr, refTCPAddr := fmt.Sprintf("127.0.0.1:%d", refPort), fmt.Sprintf("127.0.0.1:%d", refTCP)
	cfg, diags := adapt(t, cfgText(difftest.FreePort(t), difftest.FreePort(t), ourBE))
	for _, d := range diags {
		if d.Severity == confparse.Alert {
			t.Fatalf("adapter: %v", d)
		}
	}
	e, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(time.Second) })
	ourAddr, ourTCPAddr := feAddr(e, "fe"), feAddr(e, "fe_tcp")

	get := func(uri, host string, headers ...string) string {
		h := ""
		for _, x := range headers {
			h += x + "\r\n"
		}
		return "GET " + uri + " HTTP/1.1\r\nHost: " + host + "\r\n" + h + "Connection: close\r\n\r\n"
	}
	requests := []struct{ desc, raw string }{
		{"plain", get("/", "www.example.com")},
		{"api prefix", get("/api/users", "www.example.com")},
		{"api second prefix", get("/rest", "x")},
		{"api prefix needs slash", get("/api", "x")},
		{"path_dir v2", get("/x/v2/y", "x")},
		{"path_dir partial", get("/x/v22/y", "x")},
		{"static css", get("/s/site.css?v=1", "x")},
		{"static query not in path", get("/s/site?f=a.css", "x")},
		{"img reg", get("/img/123.png", "x")},
		{"img reg miss", get("/img/12a.png", "x")},
		{"admin host any case", get("/", "ADMIN.example.com")},
		{"admin host with port", get("/", "admin.example.com:80")},
		{"admin post goes to post", "POST / HTTP/1.1\r\nHost: admin.example.com\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{"shop prefix", get("/", "Shop.example.net")},
		{"org domain", get("/", "www.example.org")},
		{"org domain with port", get("/", "example.org:8080")},
		{"org suffix only", get("/", "notexample.org")},
		{"token length 6", get("/t?a=1&token=abcdef", "x")},
		{"token length 5", get("/t?token=abcde", "x")},
		{"token empty", get("/t?token=", "x")},
		{"debug query", get("/p?x=1&debug=1", "x")},
		{"beta cookie", get("/", "x", "Cookie: a=b; beta=1")},
		{"beta cookie second line", get("/", "x", "Cookie: a=b", "Cookie: beta=1")},
		{"beta cookie other value", get("/", "x", "Cookie: beta=2")},
		{"bot user agent", get("/", "x", "User-Agent: Mozilla GoogleBOT/2.1")},
		{"xff first value", get("/", "x", "X-Forwarded-For: 10.1.2.3, 192.0.2.1")},
		{"xff second value", get("/", "x", "X-Forwarded-For: 192.0.2.1, 10.9.9.9")},
		{"xff outside", get("/", "x", "X-Forwarded-For: 192.0.2.1")},
		{"multi values one line", get("/", "x", "X-Multi: a, b")},
		{"multi values two lines", get("/", "x", "X-Multi: a", "X-Multi: b")},
		{"multi one value", get("/", "x", "X-Multi: a")},
		{"long path", get("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x")},
		{"http/1.0", "GET / HTTP/1.0\r\nHost: x\r\n\r\n"},
		{"pattern file", get("/", "x", "X-Client: gamma")},
		{"pattern file leading blanks", get("/", "x", "X-Client: beta-client")},
		{"pattern file miss", get("/", "x", "X-Client: delta")},
		{"map keys as patterns", get("/", "x", "X-Key: k2")},
		{"map value is no pattern", get("/", "x", "X-Key: whatever")},
		{"explicit occurrence", get("/", "x", "X-Fixed: one, two")},
		{"explicit occurrence second", get("/", "x", "X-Fixed: two, one")},
		{"negative value", get("/", "x", "X-Prio: -5")},
		{"not a number", get("/", "x", "X-Prio: abc")},
		{"localhost builtin", get("/", "x", "X-Local: 1")},
		{"localhost as an address pattern", get("/", "x", "X-LH: 1")},
		{"dynamic map a", get("/", "x", "X-Route: A")},
		{"dynamic map b", get("/", "x", "X-Route: b")},
		{"dynamic map unknown backend", get("/", "x", "X-Route: missing")},
		{"dynamic map no entry", get("/", "x", "X-Route: zzz")},
		{"dynamic field", get("/dyn/a/x", "x")},
		{"dynamic field unknown", get("/dyn/c/x", "x")},
		{"auth sha256 user in group", get("/", "x", "Authorization: Basic YWxpY2U6cGFzc3dvcmQ=")},
		{"auth plain password", get("/", "x", "Authorization: Basic Ym9iOnMzY3JldA==")},
		{"auth md5 password", get("/", "x", "Authorization: Basic Y2Fyb2w6cGFzc3dvcmQ=")},
		{"auth wrong password", get("/", "x", "Authorization: Basic YWxpY2U6d3Jvbmc=")},
		{"auth not base64", get("/", "x", "Authorization: Basic !!!")},
		{"auth bearer", get("/", "x", "Authorization: Bearer YWxpY2U6cGFzc3dvcmQ=")},
		{"absolute uri path", "GET http://www.example.org/api/x HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n"},
	}
	compare := func(desc, refAddr, ourAddr, raw string) {
		ref, ours := sendRawBody(t, refAddr, raw), sendRawBody(t, ourAddr, raw)
		if ref != ours {
			t.Errorf("%s: reference %q, ours %q", desc, ref, ours)
		} else if testing.Verbose() {
			t.Logf("%s: %s", desc, ours)
		}
	}
	for _, rq := range requests {
		compare(rq.desc, refAddr, ourAddr, rq.raw)
	}
	for _, rq := range []struct{ desc, raw string }{
		{"tcp: path", get("/api/x", "x")},
		{"tcp: host and method", get("/", "T.example")},
		{"tcp: host but POST", "POST / HTTP/1.1\r\nHost: t.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{"tcp: any HTTP", get("/other", "x")},
		{"tcp: not HTTP", "HELLO\r\n\r\n"},
		{"tcp: path, other host", get("/api/x", "t.example")},
		{"tcp: HTTP/1.0 without host", "GET /api/x HTTP/1.0\r\n\r\n"},
	} {
		compare(rq.desc, refTCPAddr, ourTCPAddr, rq.raw)
	}
}

// sendRawBody sends one raw request on its own connection and returns the
// body of a 200 response (the backend's name), else the status line.
func sendRawBody(t *testing.T, addr, raw string) string {
	head, body, err := difftest.RawHTTP(addr, raw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(head, "HTTP/1.1 200") {
		return body
	}
	status, _, _ := strings.Cut(head, "\r\n")
	return status
}
