package sample

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"fulcrum/proxy/http1"
)

// env is a test Env built from a raw request.
type env struct {
	src, dst netip.AddrPort
	payload  []byte
	final    bool
	req      *http1.Request
	resp     *http1.Response
	vars     map[string]string
	fe, be   string
	stats    map[string]int
	nreq     int
}

func (e *env) Addrs() (netip.AddrPort, netip.AddrPort) { return e.src, e.dst }
func (e *env) Buffered() ([]byte, bool)                { return e.payload, e.final }
func (e *env) HTTPRequest() *http1.Request             { return e.req }
func (e *env) HTTPResponse() *http1.Response           { return e.resp }
func (e *env) HTTPWaiting() bool                       { return e.req == nil && !e.final }
func (e *env) Var(n string) (string, bool)             { v, ok := e.vars[n]; return v, ok }
func (e *env) Proxies() (string, string)               { return e.fe, e.be }
func (e *env) RequestIndex() int                       { return e.nreq }
func (e *env) Stat(w Stat, px, srv string) (int, bool) {
	n, ok := e.stats[string(rune('0'+w))+px+"/"+srv]
	return n, ok
}

func httpEnv(t testing.TB, raw string) *env {
	var r http1.Request
	opts := http1.Options{Limits: http1.DefaultLimits()}
	if _, err := r.Parse([]byte(raw), &opts); err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return &env{src: netip.MustParseAddrPort("192.168.1.7:4000"), dst: netip.MustParseAddrPort("127.0.0.1:80"),
		final: true, req: &r, vars: map[string]string{"txn.x": "42", "txn.s": "abc"}, fe: "fe", be: "be",
		stats: map[string]int{"0be/": 2, "1be/": 5, "4be/s1": 1}}
}

const testReq = "GET /api/v1/users?id=7&name=bob&id=8 HTTP/1.1\r\n" +
	"Host: WWW.Example.com:8080\r\n" +
	"X-List: a, b ,c\r\n" +
	"X-List: d\r\n" +
	"X-Forwarded-For: 10.1.2.3, 172.16.0.9\r\n" +
	"Cookie: sid=abc; lang=fr\r\n" +
	"Cookie: sid=def\r\n" +
	"Content-Length: 0\r\n" +
	"\r\n"

func TestExprEval(t *testing.T) {
	e := httpEnv(t, testReq)
	maps := map[string]string{
		"hosts.map": "# comment\nwww.example.com:8080 web\napi.example.com api\n",
		"paths.map": "/api old\n/api/v2 new\n",
		"nets.map":  "10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n",
		"ports.map": "80 http\n1000:5000 high\n",
		"nums.map":  "a 1\nb 2\n",
		"re.map":    "^/api/v[0-9]+ versioned\n^/api plain\n",
		"dom.map":   "example.com ex\n",
	}
	o := &Options{ReadFile: func(n string) ([]byte, error) {
		if s, ok := maps[n]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}}
	cases := []struct {
		desc, expr, want string
		miss             bool
	}{
		{desc: "path", expr: "path", want: "/api/v1/users"},
		{desc: "pathq", expr: "pathq", want: "/api/v1/users?id=7&name=bob&id=8"},
		{desc: "query", expr: "query", want: "id=7&name=bob&id=8"},
		{desc: "url", expr: "url", want: "/api/v1/users?id=7&name=bob&id=8"},
		{desc: "base", expr: "base", want: "WWW.Example.com:8080/api/v1/users"},
		{desc: "method", expr: "method", want: "GET"},
		{desc: "req.ver", expr: "req.ver", want: "1.1"},
		{desc: "url_param first", expr: "url_param(id)", want: "7"},
		{desc: "urlp alias", expr: "urlp(name)", want: "bob"},
		{desc: "url_param absent", expr: "url_param(zz)", miss: true},
		{desc: "hdr last value by default", expr: "hdr(x-list)", want: "d"},
		{desc: "hdr occurrence", expr: "req.hdr(x-list,2)", want: "b"},
		{desc: "hdr negative occurrence", expr: "req.hdr(x-list,-2)", want: "c"},
		{desc: "fhdr whole line", expr: "req.fhdr(x-list,1)", want: "a, b ,c"},
		{desc: "hdr_cnt counts values", expr: "hdr_cnt(x-list)", want: "4"},
		{desc: "fhdr_cnt counts lines", expr: "req.fhdr_cnt(x-list)", want: "2"},
		{desc: "hdr_ip first", expr: "hdr_ip(x-forwarded-for,1)", want: "10.1.2.3"},
		{desc: "hdr absent", expr: "hdr(nope)", miss: true},
		{desc: "cook", expr: "req.cook(lang)", want: "fr"},
		{desc: "cook last", expr: "cook(sid)", want: "def"},
		{desc: "cook_cnt", expr: "cook_cnt(sid)", want: "2"},
		{desc: "src", expr: "src", want: "192.168.1.7"},
		{desc: "dst_port", expr: "dst_port", want: "80"},
		{desc: "var", expr: "var(txn.x)", want: "42"},
		{desc: "var default", expr: "var(txn.none,dflt)", want: "dflt"},
		{desc: "nbsrv current backend", expr: "nbsrv", want: "2"},
		{desc: "srv_is_up", expr: "srv_is_up(be/s1)", want: "1"},
		{desc: "http_first_req", expr: "http_first_req", want: "1"},
		{desc: "lower", expr: "hdr(host),lower", want: "www.example.com:8080"},
		{desc: "upper", expr: "path,upper", want: "/API/V1/USERS"},
		{desc: "field", expr: "path,field(3,/)", want: "v1"},
		{desc: "field negative", expr: "path,field(-1,/)", want: "users"},
		{desc: "field count", expr: "path,field(2,/,2)", want: "api/v1"},
		{desc: "field count zero means rest", expr: "path,field(3,/,0)", want: "v1/users"},
		{desc: "field out of range", expr: "path,field(9,/)", miss: true},
		{desc: "word", expr: "str(//a//b/c),word(2,/)", want: "b"},
		{desc: "word negative", expr: "str(a//b//c),word(-2,/)", want: "b"},
		{desc: "regsub first", expr: "path,regsub(/,_)", want: "_api/v1/users"},
		{desc: "regsub global", expr: "path,regsub(/,_,g)", want: "_api_v1_users"},
		{desc: "regsub groups", expr: `path,regsub("^/api/(v[0-9]+)/(.*)$","\2-\1")`, want: "users-v1"},
		{desc: "regsub icase", expr: "str(ABC),regsub(b,x,i)", want: "AxC"},
		{desc: "base64", expr: "str(hello),base64", want: "aGVsbG8="},
		{desc: "b64dec", expr: "str(aGVsbG8=),b64dec", want: "hello"},
		{desc: "hex", expr: "str(AB),hex", want: "4142"},
		{desc: "len", expr: "path,length", want: "13"},
		{desc: "bytes", expr: "str(abcdef),bytes(1,3),hex", want: "626364"},
		{desc: "ipmask", expr: "src,ipmask(24)", want: "192.168.1.0"},
		{desc: "ipmask dotted", expr: "src,ipmask(255.255.0.0)", want: "192.168.0.0"},
		{desc: "json", expr: `str(a\"b\\c/d),json`, want: `a\"b\\c\/d`},
		{desc: "concat", expr: "str(a),concat(<,txn.s,>)", want: "a<abc>"},
		{desc: "sdbm", expr: "str(abc),sdbm", want: "807794786"},
		{desc: "djb2", expr: "str(abc),djb2", want: "193485963"},
		{desc: "crc32", expr: "str(abc),crc32", want: "891568578"},
		{desc: "add var", expr: "int(1),add(txn.x)", want: "43"},
		{desc: "mul", expr: "int(6),mul(7)", want: "42"},
		{desc: "div by zero", expr: "int(6),div(0)", want: "9223372036854775807"},
		{desc: "not", expr: "int(0),not", want: "1"},
		{desc: "str to int cast", expr: "str(12abc),add(1)", want: "13"},
		{desc: "map_str", expr: "hdr(host),lower,map(hosts.map)", want: "web"},
		{desc: "map default", expr: "str(x),map(hosts.map,other)", want: "other"},
		{desc: "map miss", expr: "str(x),map(hosts.map)", miss: true},
		{desc: "map_beg longest prefix", expr: "path,map_beg(paths.map)", want: "old"},
		{desc: "map_beg longest prefix wins over file order", expr: "str(/api/v2/x),map_beg(paths.map)", want: "new"},
		{desc: "map_ip longest prefix", expr: "str(10.1.9.9),map_ip(nets.map)", want: "ten-one"},
		{desc: "map_int range", expr: "int(2000),map_int(ports.map)", want: "high"},
		{desc: "map_reg", expr: "path,map_reg(re.map)", want: "versioned"},
		{desc: "map_dom", expr: "hdr(host),field(1,:),lower,map_dom(dom.map)", want: "ex"},
		{desc: "map_end", expr: "str(www.example.com),map_end(dom.map)", want: "ex"},
		{desc: "map_sub miss", expr: "str(www.example.org),map_sub(dom.map)", miss: true},
		{desc: "map_str_int", expr: "str(b),map_str_int(nums.map,0),add(1)", want: "3"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			x, err := ParseExpr(tc.expr, o)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := x.String(e)
			if ok == tc.miss || ok && got != tc.want {
				t.Errorf("%s = %q (found %v), want %q (found %v)", tc.expr, got, ok, tc.want, !tc.miss)
			}
		})
	}
}

func TestResponseFetches(t *testing.T) {
	e := httpEnv(t, testReq)
	var r http1.Response
	opts := http1.Options{Limits: http1.DefaultLimits()}
	raw := "HTTP/1.1 404 Not Found\r\nSet-Cookie: sid=xyz; Path=/\r\nSet-Cookie: lang=en\r\nX-A: 1, 2\r\nContent-Length: 0\r\n\r\n"
	if _, err := r.Parse([]byte(raw), &opts, []byte("GET")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ desc, expr, want string }{
		{"status", "status", "404"},
		{"res.hdr", "res.hdr(x-a)", "2"},
		{"shdr alias occurrence", "shdr(x-a,1)", "1"},
		{"res.hdr_cnt", "res.hdr_cnt(x-a)", "2"},
		{"res.cook", "res.cook(sid)", "xyz"},
		{"scook_cnt", "scook_cnt", "2"},
		{"res.ver", "res.ver", "1.1"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			x, err := ParseExpr(tc.expr, nil)
			if err != nil {
				t.Fatal(err)
			}
			e.resp = nil
			if _, ok := x.String(e); ok {
				t.Errorf("%s has a value before the response", tc.expr)
			}
			e.resp = &r
			if got, _ := x.String(e); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

// users is a test Userlist: alice/pw in group admin.
type users struct{}

func (users) Check(u, p string) bool   { return u == "alice" && p == "pw" }
func (users) InGroup(u, g string) bool { return u == "alice" && g == "admin" }

func TestAuthFetches(t *testing.T) {
	o := &Options{Userlist: func(n string) (Userlist, bool) { return users{}, n == "L" }}
	req := func(auth string) *env {
		return httpEnv(t, "GET / HTTP/1.1\r\nHost: a\r\n"+auth+"\r\n")
	}
	good := req("Authorization: Basic YWxpY2U6cHc=\r\n") // alice:pw
	bad := req("Authorization: Basic YWxpY2U6eHg=\r\n")  // alice:xx
	none := req("")
	for _, tc := range []struct {
		desc, acl string
		e         *env
		want      Result
	}{
		{"valid", "http_auth(L)", good, Found},
		{"wrong password", "http_auth(L)", bad, Miss},
		{"no credentials", "http_auth(L)", none, Miss},
		{"group", "http_auth_group(L) admin", good, Found},
		{"other group", "http_auth_group(L) dev", good, Miss},
		{"group needs a valid password", "http_auth_group(L) admin", bad, Miss},
		{"user", "http_auth_user alice", bad, Found},
		{"type", "http_auth_type -i basic", good, Found},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			a, err := ParseACL(strings.Fields(tc.acl), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Match(tc.e); got != tc.want {
				t.Errorf("%s: %v, want %v", tc.acl, got, tc.want)
			}
		})
	}
	if _, err := ParseACL([]string{"http_auth(nope)"}, o); err == nil || !strings.Contains(err.Error(), "unable to find userlist 'nope'") {
		t.Errorf("unknown userlist: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ desc, expr, want string }{
		{"unknown fetch", "nope", "unknown fetch method 'nope'"},
		{"unknown converter", "path,nope", "unknown converter 'nope'"},
		{"bad int", "int(x)", "invalid integer"},
		{"too many args", "path(a)", "at most 0"},
		{"missing arg", "req.payload(1)", "at least 2"},
		{"unclosed", "hdr(host", "missing closing ')'"},
		{"type mismatch", "bin(00),add(1)", "cannot be applied"},
		{"bad var scope", "var(foo.x)", "invalid variable scope"},
		{"map without reader", "path,map(x.map)", "failed to load map"},
		{"bad regex", "path,regsub([,x)", "missing closing"},
		{"trailing junk", "path)", "unexpected"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := ParseExpr(tc.expr, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.expr, err, tc.want)
			}
		})
	}
}

func TestACL(t *testing.T) {
	e := httpEnv(t, testReq)
	files := map[string]string{"bad.lst": "# bad clients\n10.0.0.0/8\n192.168.1.0/24\n", "hosts.map": "www.example.com:8080 web\n"}
	o := &Options{ReadFile: func(n string) ([]byte, error) { return []byte(files[n]), nil }}
	cases := []struct {
		desc, acl string
		want      Result
	}{
		{"path_beg", "path_beg /api", Found},
		{"path_beg other", "path_beg /static /img", Miss},
		{"path_end", "path_end users", Found},
		{"path_sub", "path_sub v1", Found},
		{"path_dir", "path_dir v1", Found},
		{"path_dir partial is no match", "path_dir v", Miss},
		{"path_reg", "path_reg ^/api/v[0-9]+/", Found},
		{"path_len", "path_len 13", Found},
		{"path_len range", "path_len 1:5", Miss},
		{"path exact", "path /api/v1/users", Found},
		{"hdr -i", "hdr(host) -i www.example.com:8080", Found},
		{"hdr case sensitive", "hdr(host) www.example.com:8080", Miss},
		{"hdr_dom", "hdr_dom(host) -i example.com", Found},
		{"hdr_dom partial", "hdr_dom(host) -i ample.com", Miss},
		{"hdr_beg", "hdr_beg(host) -i www.", Found},
		{"hdr any occurrence", "hdr(x-list) b", Found},
		{"hdr explicit occurrence", "hdr(x-list,1) b", Miss},
		{"hdr_cnt", "hdr_cnt(x-list) gt 3", Found},
		{"hdr_ip any", "hdr_ip(x-forwarded-for) 172.16.0.0/12", Found},
		{"hdr found", "hdr(x-list) -m found", Found},
		{"hdr not found", "req.hdr(x-none) -m found", Miss},
		{"hdr_len", "hdr_len(x-list) 1", Found},
		{"cook any", "cook(sid) def", Found},
		{"cook_sub", "cook_sub(lang) r", Found},
		{"urlp", "urlp(id) 8", Found},
		{"urlp_val", "urlp_val(id) gt 7", Found},
		{"url_beg", "url_beg /api", Found},
		{"base_beg", "base_beg -i www.example.com:8080/api", Found},
		{"method", "method GET HEAD", Found},
		{"method post", "method POST", Miss},
		{"src net", "src 192.168.0.0/16", Found},
		{"src -f", "src -f bad.lst", Found},
		{"-M map keys", "hdr(host) -i -M -f hosts.map", Found},
		{"src_port operator", "src_port ge 4000", Found},
		{"dst_port list", "dst_port 443 8443", Miss},
		{"-m sub on fetch", "req.hdr(host) -m sub -i example", Found},
		{"-m beg with --", "path -m beg -- /api", Found},
		{"converter then default str match", "hdr(host),lower www.example.com:8080", Found},
		{"converter output int", "path,length gt 10", Found},
		{"always_true", "always_true", Found},
		{"always_false", "always_false", Miss},
		{"bool method", "var(txn.x) -m bool", Found},
		{"int method on string", "var(txn.x) -m int 42", Found},
		{"req.ver", "req.ver 1.1", Found},
		{"http_first_req", "http_first_req", Found},
		{"nbsrv", "nbsrv(be) lt 1", Miss},
		{"-m bin", "str(AB),hex -m str 4142", Found},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			a, err := ParseACL(strings.Fields(tc.acl), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Match(e); got != tc.want {
				t.Errorf("%s: %v, want %v", tc.acl, got, tc.want)
			}
		})
	}
}

func TestACLWait(t *testing.T) {
	e := &env{payload: []byte("\x16\x03"), final: false}
	for _, tc := range []struct {
		desc, acl string
		final     bool
		want      Result
	}{
		{"sni needs more", "req.ssl_sni -i a.b", false, Wait},
		{"sni final", "req.ssl_sni -i a.b", true, Miss},
		{"req.len matches early", "req.len ge 2", false, Found},
		{"req.len may grow", "req.len ge 3", false, Wait},
		{"req.len final", "req.len ge 3", true, Miss},
		{"payload hex", "req.payload(0,2) 1603", false, Found},
		{"payload beyond", "req.payload(0,3) 160301", false, Wait},
		{"ssl_ver dotted", "req_ssl_ver 3.1", true, Miss},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			e.final = tc.final
			a, err := ParseACL(strings.Fields(tc.acl), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Match(e); got != tc.want {
				t.Errorf("%s: %v, want %v", tc.acl, got, tc.want)
			}
		})
	}
}

func TestACLErrors(t *testing.T) {
	for _, tc := range []struct{ desc, acl, want string }{
		{"bad flag", "path -x", "not a valid ACL option"},
		{"bad method", "path -m nope a", "not a valid match method"},
		{"bad ip", "src 1.2.3", "not a valid IPv4 or IPv6"},
		{"bad int", "dst_port abc", "not a number"},
		{"bad hex", "req.payload(0,1) zz", "not a valid hex"},
		{"missing file", "src -f nope.lst", "failed to open pattern file"},
		{"missing -m arg", "path -m", "expects an argument"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := ParseACL(strings.Fields(tc.acl), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.acl, err, tc.want)
			}
		})
	}
}

func TestTemplate(t *testing.T) {
	e := httpEnv(t, testReq)
	for _, tc := range []struct{ desc, tmpl, want string }{
		{"literal", "be_static", "be_static"},
		{"percent", "100%%", "100%"},
		{"expr", "be_%[hdr(host),lower,field(1,:)]", "be_www.example.com"},
		{"two exprs", "%[method] %[path]!", "GET /api/v1/users!"},
		{"missing value adds nothing", "x%[hdr(none)]y", "xy"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			tm, err := ParseTemplate(tc.tmpl, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := tm.String(e); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.tmpl, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"%[path", "%ci", "%[nope]"} {
		if _, err := ParseTemplate(bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCasts(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   Sample
		to   Type
		ok   bool
		want string
	}{
		{"int to str", intSample(-12), Str, true, "-12"},
		{"str to int", strSample([]byte("34")), Int, true, "34"},
		{"str without digits is 0", strSample([]byte("x")), Int, true, "0"},
		{"empty str not int", strSample(nil), Int, false, ""},
		{"ipv4 to int", ipSample(netip.MustParseAddr("0.0.1.2")), Int, true, "258"},
		{"int to ipv4", intSample(258), IPv4, true, "0.0.1.2"},
		{"ipv4 to ipv6", ipSample(netip.MustParseAddr("1.2.3.4")), IPv6, true, "::ffff:1.2.3.4"},
		{"ipv6 to ipv4 mapped only", ipSample(netip.MustParseAddr("2001:db8::1")), IPv4, false, ""},
		{"str to ip", strSample([]byte("10.0.0.1")), IPv4, true, "10.0.0.1"},
		{"bool to str", boolSample(true), Str, true, "1"},
		{"bin to int refused", binSample([]byte{1}), Int, false, ""},
		{"int to bin", intSample(1), Bin, true, "\x00\x00\x00\x00\x00\x00\x00\x01"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := tc.in
			ok := s.Cast(tc.to)
			if ok != tc.ok {
				t.Fatalf("cast ok %v, want %v", ok, tc.ok)
			}
			if ok && string(s.AppendText(nil)) != tc.want {
				t.Errorf("got %q want %q", s.AppendText(nil), tc.want)
			}
		})
	}
}

// FuzzParse: no expression, ACL or template panics when compiled or run.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"path", "hdr(host),lower,map(x,y)", "req.payload(0,2)", "path,field(-1,/,0)",
		"str(abc),regsub(b,\\1,g)", "src,ipmask(24,64)", "str(\"a,b\"),concat(',',txn.x,)", "int(1),div(0)",
		"hdr_ip(x,-1)", "urlp(id,;)", "path_beg /a -i", "src -m ip 10.0.0.0/8", "x%[path]y", "%[hdr(a,-9)]"} {
		f.Add(s)
	}
	e := httpEnv(f, testReq)
	f.Fuzz(func(t *testing.T, s string) {
		o := &Options{ReadFile: func(string) ([]byte, error) { return []byte("a b\n10.0.0.0/8 c\n"), nil }}
		if x, err := ParseExpr(s, o); err == nil {
			x.String(e)
		}
		if a, err := ParseACL(strings.Fields(s), o); err == nil {
			a.Match(e)
			a.Match(&env{final: false, payload: []byte(s)})
		}
		if tm, err := ParseTemplate(s, o); err == nil {
			tm.String(e)
		}
	})
}

// TestIndexedLookups: large exact-string and network lists answer through
// their index exactly as the linear scan does.
func TestIndexedLookups(t *testing.T) {
	var hosts, nets []string
	for i := range 40 {
		hosts = append(hosts, fmt.Sprintf("Host%d.Example.com", i))
		nets = append(nets, fmt.Sprintf("10.%d.0.0/16", i), fmt.Sprintf("10.%d.%d.0/24", i, i))
	}
	nets = append(nets, "10.0.0.0/8", "2001:db8::/32", "2001:db8:1::/48", "192.0.2.7")
	for _, tc := range []struct {
		desc, method string
		icase        bool
		pats         []string
		samples      []Sample
	}{
		{"str", MatchStr, false, hosts, []Sample{strSample([]byte("Host3.Example.com")), strSample([]byte("host3.example.com")), strSample(nil)}},
		{"str -i", MatchStr, true, hosts, []Sample{strSample([]byte("HOST39.example.COM")), strSample([]byte("host40.example.com"))}},
		{"ip", MatchIP, false, nets, []Sample{
			ipSample(netip.MustParseAddr("10.5.5.1")), ipSample(netip.MustParseAddr("10.5.6.1")), ipSample(netip.MustParseAddr("10.200.0.1")),
			ipSample(netip.MustParseAddr("11.0.0.1")), ipSample(netip.MustParseAddr("2001:db8:1::5")), ipSample(netip.MustParseAddr("2001:db8:2::5")),
			ipSample(netip.MustParseAddr("192.0.2.7")), ipSample(netip.MustParseAddr("::ffff:10.1.1.1"))}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			indexed, err := newPatterns(tc.method, tc.icase, tc.pats)
			if err != nil {
				t.Fatal(err)
			}
			if indexed.strIndex == nil && indexed.netIndex == nil {
				t.Fatal("no index built")
			}
			linear := *indexed
			linear.strIndex, linear.netIndex = nil, nil
			for _, s := range tc.samples {
				a, b := s, s
				if got, want := indexed.match(&a), linear.match(&b); got != want {
					t.Errorf("%s: indexed %d, linear %d", s.AppendText(nil), got, want)
				}
			}
		})
	}
}

// TestEvalResultOwned: a value built in the evaluation's scratch buffer
// stays intact after later evaluations reuse the pool.
func TestEvalResultOwned(t *testing.T) {
	e := httpEnv(t, testReq)
	x, err := ParseExpr("base", nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseExpr("req.hdr_names(;)", nil)
	if err != nil {
		t.Fatal(err)
	}
	var a, b Sample
	x.Eval(e, &a)
	for range 10 {
		y.Eval(e, &b)
	}
	if got := string(a.Bytes); got != "WWW.Example.com:8080/api/v1/users" {
		t.Errorf("base was overwritten: %q", got)
	}
}

func TestMoreFetches(t *testing.T) {
	abs := httpEnv(t, "GET http://10.1.2.3:8080/x HTTP/1.1\r\nHost: 10.1.2.3:8080\r\n\r\n")
	lv := &env{payload: []byte("\x00\x03abcdef"), final: true}
	for _, tc := range []struct {
		desc, expr string
		e          *env
		want       string
		found      bool
	}{
		{"url_ip", "url_ip", abs, "10.1.2.3", true},
		{"url_port", "url_port", abs, "8080", true},
		{"payload_lv", "req.payload_lv(0,2)", lv, "abc", true},
		{"payload_lv offset", "payload_lv(0,2,+1)", lv, "bcd", true},
		{"payload_lv too short", "req.payload_lv(4,2)", lv, "", false},
		{"ssl_fc", "ssl_fc", lv, "0", true},
		{"uuid shape", "uuid,length", lv, "36", true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			x, err := ParseExpr(tc.expr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := x.String(tc.e); ok != tc.found || got != tc.want {
				t.Errorf("%s = %q (%v), want %q (%v)", tc.expr, got, ok, tc.want, tc.found)
			}
		})
	}
}
