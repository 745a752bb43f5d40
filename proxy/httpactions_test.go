package proxy

import (
	"bufio"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
)

func TestLFLiteral(t *testing.T) {
	for _, tc := range []struct {
		desc, in, want string
		ok             bool
	}{
		{"plain", "abc", "abc", true},
		{"escaped percent", "100%%", "100%", true},
		{"sample", "%[src]", "", false},
		{"variable", "%ci", "", false},
		{"braced", "%{+Q}r", "", false},
		{"lone percent at end", "50%", "", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, ok := lfLiteral(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("lfLiteral(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestReplaceValues(t *testing.T) {
	re := regexp.MustCompile(`^a(.*)`)
	if got := string(replaceValues(re, []byte("abc, abd,xa, ab"), `z\1`)); got != "zbc,zbd,xa,zb" {
		t.Errorf("replaceValues = %q", got)
	}
	if got, ok := replaceAll(regexp.MustCompile(`(.*)-(.*)`), []byte("one-two"), `\2-\1\9`); !ok || string(got) != "two-one" {
		t.Errorf("replaceAll = %q, %v", got, ok)
	}
	if _, ok := replaceAll(re, []byte("xyz"), "q"); ok {
		t.Error("replaceAll matched a non-matching value")
	}
}

func TestURINormalizers(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"path-merge-slashes", "//a///b?x=//", "/a/b?x=//"},
		{"path-strip-dot", "/a/./b/.", "/a/b/"},
		{"path-strip-dotdot", "/a/b/../c/..", "/a/"},
		{"path-strip-dotdot", "/../a", "/../a"},
		{"percent-to-uppercase", "/a%2fb?c=%3d", "/a%2Fb?c=%3D"},
		{"query-sort-by-name", "/p?z=1&a=2&m=3&a=1", "/p?a=2&a=1&m=3&z=1"},
		{"fragment-strip", "/p#frag", "/p"},
		{"fragment-encode", "/p#frag", "/p%23frag"},
		{"percent-decode-unreserved", "/%41%2F%7e%20", "/A%2F~%20"},
		{"path-strip-dotdot full", "/../a/../../b", "/b"},
	} {
		t.Run(tc.name+" "+tc.in, func(t *testing.T) {
			if got := string(uriNormalizers[tc.name]([]byte(tc.in))); got != tc.want {
				t.Errorf("%s(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
			}
		})
	}
}

func TestRewriteCookieHeader(t *testing.T) {
	for _, tc := range []struct {
		desc, in string
		ck       CookieConfig
		out, srv string
		found    bool
	}{
		{"insert indirect removes", "a=1; SRV=c2; b=2", CookieConfig{Name: "SRV", Mode: CookieInsert, Indirect: true}, "a=1; b=2", "c2", true},
		{"insert indirect only cookie", "SRV=c2", CookieConfig{Name: "SRV", Mode: CookieInsert, Indirect: true}, "", "c2", true},
		{"insert keeps", "SRV=c2; x=y", CookieConfig{Name: "SRV", Mode: CookieInsert}, "SRV=c2; x=y", "c2", true},
		{"prefix strips", "SRV=c2~abc; z=1", CookieConfig{Name: "SRV", Mode: CookiePrefix}, "SRV=abc; z=1", "c2", true},
		{"prefix without server part", "SRV=abc", CookieConfig{Name: "SRV", Mode: CookiePrefix}, "SRV=abc", "abc", true},
		{"absent", "a=1", CookieConfig{Name: "SRV", Mode: CookieInsert, Indirect: true}, "a=1", "", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			out, srv, found := rewriteCookieHeader([]byte(tc.in), &tc.ck)
			if string(out) != tc.out || srv != tc.srv || found != tc.found {
				t.Errorf("got %q %q %v; want %q %q %v", out, srv, found, tc.out, tc.srv, tc.found)
			}
		})
	}
}

func FuzzCookieHeader(f *testing.F) {
	f.Add("a=1; SRV=c2; b=2", uint8(0))
	f.Add("SRV=c2~abc;;=;", uint8(2))
	f.Fuzz(func(t *testing.T, v string, mode uint8) {
		ck := &CookieConfig{Name: "SRV", Mode: CookieMode(mode % 3), Indirect: mode&4 != 0}
		rewriteCookieHeader([]byte(v), ck)
	})
}

func FuzzParseErrorFile(f *testing.F) {
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n<h1>x</h1>"))
	f.Add([]byte("HTTP/1.0 200\r\nContent-Length: 2\r\n\r\nok"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if rep, err := ParseErrorFile(raw); err == nil && rep.Status == 0 {
			t.Errorf("accepted %q without a status", raw)
		}
	})
}

func FuzzNormalizers(f *testing.F) {
	f.Add("//a/./b/../c?z=1&a=%2f#x")
	f.Fuzz(func(t *testing.T, uri string) {
		for name, n := range uriNormalizers {
			if out := n([]byte(uri)); len(uri) > 0 && uri[0] == '/' && len(out) == 0 {
				t.Errorf("%s emptied %q", name, uri)
			}
		}
	})
}

func TestUserlistAndAuth(t *testing.T) {
	c, _ := adapt(t, "userlist ul\n group admins users bob\n group ops\n user bob insecure-password secret\n"+
		" user al password $6$saltsalt$YTeBOLnmm3CoeJTzBuijUEtOEWCqrw/nQ8/AeMmON4LGp3k0ZiMjC1OdqzWFUAfDQBvYkOch9BWtQTBcZ1E/p0 groups ops\n"+
		"frontend f\n mode http\n bind 127.0.0.1:8000\n default_backend b\nbackend b\n mode http\n server s 127.0.0.1:9000\n")
	ul := c.Userlists["ul"]
	if ul == nil {
		t.Fatal("userlist ul not mapped")
	}
	for _, tc := range []struct {
		user, pw string
		ok       bool
		groups   []string
	}{
		{"bob", "secret", true, []string{"admins"}},
		{"bob", "wrong", false, nil},
		{"al", "hello", true, []string{"ops"}},
		{"al", "hellO", false, nil},
		{"nobody", "x", false, nil},
	} {
		if got := ul.Check(tc.user, tc.pw); got != tc.ok {
			t.Errorf("Check(%s, %s) = %v", tc.user, tc.pw, got)
		}
		for _, g := range tc.groups {
			if !ul.InGroup(tc.user, g) {
				t.Errorf("%s not in %s", tc.user, g)
			}
		}
	}
	if ul.InGroup("al", "admins") {
		t.Error("al is not an admin")
	}
}

// TestHTTPActionDiagnostics: what the engine cannot do is a WARNING with
// the line, and the rule is left out.
func TestHTTPActionDiagnostics(t *testing.T) {
	base := "listen f\n mode http\n bind 127.0.0.1:8000\n %s\n server s 127.0.0.1:9000\n"
	for _, tc := range []struct{ desc, line, want string }{
		{"log-format path value", "http-request set-path /%ci", ":4] : 'http-request set-path' is not acted on yet by Fulcrum (log-format value: log-format variable '%ci' is not a sample expression)"},
		{"log-format redirect", "http-request redirect location /%ci", ":4] : 'http-request redirect location' : target '/%ci' : log-format value: log-format variable '%ci'"},
		{"log-format return string", "http-request return status 200 content-type text/plain lf-string %ci", ":4] : 'http-request return' : payload '%ci' : log-format value"},
		{"set-nice", "http-request set-nice 10", ":4] : 'http-request set-nice' is accepted but has no effect in Fulcrum."},
		{"set-var from an unbuilt fetch", "http-request set-var(txn.x) ssl_fc_session_id", ":4] : 'http-request set-var(txn.x)' is not acted on yet by Fulcrum ("},
		{"response capture", "http-response capture res.hdr(x) id 0", ":4] : 'http-response capture' is not acted on yet"},
		{"PCRE-only regex", `http-request replace-header X (?=a)b c`, ":4] : 'http-request replace-header' : regex '(?=a)b' is not supported by Fulcrum"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, diags := adapt(t, strings.Replace(base, "%s", tc.line, 1))
			for _, d := range diags {
				if d.Severity == confparse.Warning && strings.Contains(d.Message, tc.want) {
					return
				}
			}
			t.Errorf("no WARNING containing %q in %v", tc.want, diags)
		})
	}
}

func TestSetVarRule(t *testing.T) {
	c, diags := adapt(t, "frontend f\n mode http\n bind 127.0.0.1:8000\n http-request set-var(txn.a) str(hello)\n"+
		" http-request set-var(txn.n) int(42)\n http-request unset-var(txn.a)\n http-request set-var(txn.b) str(kept)\n default_backend b\n"+
		"backend b\n mode http\n server s 127.0.0.1:9000\n")
	if confparse.HasAlert(diags) || len(c.Frontends[0].HTTP.RequestRules) != 4 {
		t.Fatalf("rules %+v, diags %v", c.Frontends[0].HTTP.RequestRules, diags)
	}
	h := &httpConn{sess: &Session{}}
	for i := range c.Frontends[0].HTTP.RequestRules {
		h.rewriteRequest(&c.Frontends[0].HTTP.RequestRules[i])
	}
	if _, ok := h.sess.Var("txn.a"); ok {
		t.Error("txn.a not unset")
	}
	if v, _ := h.sess.Var("txn.n"); v != "42" {
		t.Errorf("txn.n = %q", v)
	}
	if v, _ := h.sess.Var("txn.b"); v != "kept" {
		t.Errorf("txn.b = %q", v)
	}
}

// TestCookiePersistenceDown: a cookie naming a server that is down is
// rebalanced (flag D) unless option persist keeps the client there.
func TestCookiePersistenceDown(t *testing.T) {
	for _, persist := range []bool{false, true} {
		s1, s2 := startHTTPBackend(t, "s1"), startHTTPBackend(t, "s2")
		cfg := httpConfig(t, s1.addr(), s2.addr())
		be := cfg.Backends[0]
		be.Servers[0].Cookie, be.Servers[1].Cookie = "c1", "c2"
		be.HTTP.Actions.Cookie = &CookieConfig{Name: "SRV", Mode: CookieInsert, Indirect: true, Persist: persist}
		e := startEngine(t, cfg, nil)
		if err := e.SetServerUp("be", "s2", false); err != nil {
			t.Fatal(err)
		}
		c := dialFE(t, e)
		rd := bufio.NewReader(c)
		resp, body := httpRoundTrip(t, c, rd, "GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=c2\r\n\r\n")
		want, cookie := "s1", "SRV=c1; path=/"
		if persist {
			want, cookie = "s2", ""
		}
		if body != want || resp.Header.Get("Set-Cookie") != cookie {
			t.Errorf("persist=%v: served by %q with cookie %q; want %q, %q", persist, body, resp.Header.Get("Set-Cookie"), want, cookie)
		}
	}
}

// TestErrorfileOnStreamErrors: the stream layer's own errors (503 when no
// server answers) use the proxy's errorfile and pass through
// http-after-response.
func TestErrorfileOnStreamErrors(t *testing.T) {
	cfg := httpConfig(t, netip.MustParseAddrPort(deadAddr(t)))
	page, err := ParseErrorFile([]byte("HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nbusy\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Backends[0].HTTP.Actions.Errors = map[int]*Reply{503: page}
	cfg.Frontends[0].HTTP.Actions.After = []HTTPRule{{Action: HTTPSetHeader, Name: "X-After", Value: "1"}}
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	resp, body := httpRoundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 503 || resp.Status != "503 Busy" || body != "busy\n" || resp.Header.Get("X-After") != "1" {
		t.Errorf("got %q %q %v", resp.Status, body, resp.Header)
	}
}

// TestSetLogLevelSilent: a request matched by `set-log-level silent`
// carries no access-log settings, so no line is written for it.
func TestSetLogLevelSilent(t *testing.T) {
	s1 := startHTTPBackend(t, "s1")
	cfg := httpConfig(t, s1.addr())
	cfg.Frontends[0].Log = &AccessLog{}
	cfg.Frontends[0].HTTP.RequestRules = []HTTPRule{{Action: HTTPSilent, Cond: PathBeg("/health")}}
	logged := make(chan bool, 2)
	e, err := New(cfg, Options{AccessLog: func(r *Record) { logged <- r.Log != nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(time.Second) })
	c := dialFE(t, e)
	rd := bufio.NewReader(c)
	for _, path := range []string{"/health", "/app"} {
		httpRoundTrip(t, c, rd, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if got, want := <-logged, path != "/health"; got != want {
			t.Errorf("%s: logged %v, want %v", path, got, want)
		}
	}
}

func TestCookieDates(t *testing.T) {
	// Seen on the reference at Unix time 1795553231 (rounded up).
	if got := string(appendCookieDate(nil, 1795553231+3)); got != "awX30" {
		t.Errorf("date = %q, want awX30", got)
	}
	for _, unix := range []int64{0, 4, 1795553232, 1<<32 - 4} {
		if got := parseCookieDate(string(appendCookieDate(nil, unix))); got != unix {
			t.Errorf("round trip of %d gave %d", unix, got)
		}
	}
	for _, bad := range []string{"", "abc", "ab$de", "abcdef"} {
		if parseCookieDate(bad) != 0 {
			t.Errorf("parseCookieDate(%q) != 0", bad)
		}
	}
}

// TestDynamicCookie: servers without a cookie get the one the reference
// computes (seen on HAProxy 2.6 for 127.0.0.1:49311 and key mysecret);
// a static cookie stays.
func TestDynamicCookie(t *testing.T) {
	c, diags := adapt(t, "backend b\n mode http\n cookie SRV insert dynamic\n dynamic-cookie-key mysecret\n"+
		" server s1 127.0.0.1:49310 cookie c1\n server s2 127.0.0.1:49311\n")
	if confparse.HasAlert(diags) {
		t.Fatal(diags)
	}
	be := backendNamed(c, "b")
	if be.Servers[0].Cookie != "c1" || be.Servers[1].Cookie != "9f73cf724293fed0" {
		t.Errorf("cookies %q, %q", be.Servers[0].Cookie, be.Servers[1].Cookie)
	}
}
