package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stick"
)

// stickPair is one configuration run by the reference and by our engine.
type stickPair struct {
	ref              *difftest.Reference
	refAddr, ourAddr string
	ours             *Engine
}

// startStickPair starts the reference and our engine on the same
// configuration text: BIND becomes each side's listening address and
// S1/S2 the addresses of each side's own backends (difftest ones, HTTP
// or TCP).
func startStickPair(t *testing.T, text string, http bool, servers ...string) *stickPair {
	t.Helper()
	var srv []difftest.Server
	for _, s := range servers {
		srv = append(srv, difftest.Server{Name: s})
	}
	start := difftest.StartBackends
	if http {
		start = difftest.StartHTTPBackends
	}
	return startStickPairWith(t, text, servers, func() func(string) string { return start(t, srv).Addr })
}

// startStickPairWith is startStickPair with backends of the test's own:
// start runs once per side and returns the address of each server name.
func startStickPairWith(t *testing.T, text string, servers []string, start func() func(name string) string) *stickPair {
	t.Helper()
	bin := reftest.HAProxy(t)
	subst := func(addr func(string) string, bind string) string {
		r := []string{"BIND", bind}
		for i, s := range servers {
			r = append(r, fmt.Sprintf("S%d", i+1), addr(s))
		}
		return strings.NewReplacer(r...).Replace(text)
	}
	p := &stickPair{refAddr: fmt.Sprintf("127.0.0.1:%d", difftest.FreePort(t))}
	p.ref = difftest.StartReferenceConfig(t, bin, subst(start(), p.refAddr))
	e := startText(t, subst(start(), fmt.Sprintf("127.0.0.1:%d", difftest.FreePort(t))))
	p.ours, p.ourAddr = e, feAddr(e, "fe")
	return p
}

var (
	entryIDRE  = regexp.MustCompile(`(?m)^0x[0-9a-f]+:`)
	entryExpRE = regexp.MustCompile(` exp=\d+`)
)

// normTable masks what differs by nature in show table: entry pointers
// and remaining times.
func normTable(s string) string {
	s = entryIDRE.ReplaceAllString(s, "ID:")
	s = entryExpRE.ReplaceAllString(s, " exp=E")
	return strings.TrimSpace(s)
}

// tables returns both sides' `show table NAME`.
func (p *stickPair) tables(t *testing.T, name string) (ref, ours string) {
	t.Helper()
	out, err := p.ref.Command("show table " + name)
	if err != nil {
		t.Fatal(err)
	}
	tb := p.ours.StickTable(name)
	if tb == nil {
		t.Fatalf("our engine has no table %q", name)
	}
	var b strings.Builder
	tb.Show(&b, stick.Query{})
	return normTable(out), normTable(b.String())
}

// sameTable compares both sides' table, retrying while the reference may
// still be closing connections (conn_cur going down).
func (p *stickPair) sameTable(t *testing.T, name string) {
	t.Helper()
	var ref, ours string
	for range 100 {
		if ref, ours = p.tables(t, name); ref == ours {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("show table %s:\nref:\n%s\nours:\n%s", name, ref, ours)
}

// bySource sends one request from each source in turn to both sides,
// fails on any different answer, and returns the reference's answers.
func (p *stickPair) bySource(t *testing.T, srcs ...string) []string {
	t.Helper()
	run := func(addr string) []string {
		var out []string
		for _, src := range srcs {
			out = append(out, src+" "+answerOf(difftest.DialHTTP(addr, src, "/", "")))
		}
		return out
	}
	ref, ours := run(p.refAddr), run(p.ourAddr)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("answers:\nref  %q\nours %q", ref, ours)
	}
	return ref
}

// answerOf shortens an HTTP body: a server's name, or the error page's
// status line.
func answerOf(body string, err error) string {
	if err != nil {
		return "error"
	}
	if i := strings.Index(body, "<h1>"); i >= 0 {
		if j := strings.Index(body[i:], "</h1>"); j > 0 {
			return body[i+4 : i+j]
		}
	}
	return body
}

// TestStickRateLimitDifferential: "deny a source making more than N
// requests per 10s" with sc-inc-gpc0 and src_get_gpc0 beside it; the same
// requests get the same answers from the reference and from us, and the
// tables read the same afterwards.
func TestStickRateLimitDifferential(t *testing.T) {
	p := startStickPair(t, diffDefaults("http")+`frontend fe
	bind BIND
	stick-table type ip size 100 expire 30s store http_req_cnt,http_req_rate(10s),http_err_cnt,http_err_rate(10s),conn_cnt,conn_cur,conn_rate(10s),gpc0
	http-request track-sc0 src
	http-request sc-inc-gpc0(0) if { src 127.0.0.3 }
	http-request deny deny_status 403 if { src_get_gpc0 ge 2 }
	http-request deny deny_status 429 if { sc_http_req_rate(0) gt 4 }
	default_backend be
backend be
	server s1 S1
`, true, "s1")
	ref := p.bySource(t, "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.2", "127.0.0.3",
		"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.2")
	if !strings.Contains(strings.Join(ref, "\n"), "429") {
		t.Errorf("the reference never rate-limited: %q", ref)
	}
	p.sameTable(t, "fe")
}

// TestStickConnLimitDifferential: "limit concurrent connections per IP"
// in tcp mode: the connection over the limit is refused, and conn_cur
// goes back down when connections close.
func TestStickConnLimitDifferential(t *testing.T) {
	p := startStickPair(t, diffDefaults("tcp")+`frontend fe
	bind BIND
	stick-table type ip size 100 expire 30s store conn_cur,conn_cnt,conn_rate(10s),sess_cnt,sess_rate(10s),bytes_in_cnt,bytes_out_cnt
	tcp-request connection track-sc0 src
	tcp-request connection reject if { sc_conn_cur(0) gt 2 }
	default_backend be
backend be
	server s1 S1
`, false, "s1")
	run := func(addr string) ([]string, []net.Conn) {
		var out []string
		var held []net.Conn
		for _, src := range []string{"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.3"} {
			name, c, err := difftest.Dial(addr, src)
			if err != nil {
				name = "refused"
			} else {
				held = append(held, c)
			}
			out = append(out, src+" "+name)
		}
		return out, held
	}
	ref, refHeld := run(p.refAddr)
	ours, ourHeld := run(p.ourAddr)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("answers:\nref  %q\nours %q", ref, ours)
	}
	if !strings.Contains(strings.Join(ref, "\n"), "refused") {
		t.Errorf("the reference refused nothing: %q", ref)
	}
	p.sameTable(t, "fe")
	for _, c := range append(refHeld, ourHeld...) {
		c.Close()
	}
	// Both sides see the closes at their own pace: wait for conn_cur to
	// fall to zero everywhere, then compare.
	closed := regexp.MustCompile(`conn_cur=[1-9]`)
	var r, o string
	for range 200 {
		if r, o = p.tables(t, "fe"); !closed.MatchString(r) && !closed.MatchString(o) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if closed.MatchString(r) || r != o {
		t.Errorf("after close:\nref:\n%s\nours:\n%s", r, o)
	}
}

// TestStickPersistenceDifferential: "stick users to a server" by source
// (stick on src) and by a header through a string table (stick match +
// stick store-request): each client keeps its first server where round
// robin alone would alternate, the same way on both sides.
func TestStickPersistenceDifferential(t *testing.T) {
	for _, tc := range []struct {
		desc, rules, table string
		s2                 string // options of server s2
		client             func(i int) (src, header string)
	}{
		{desc: "stick on src", rules: "\tstick-table type ip size 100 expire 30s\n\tstick on src\n",
			client: func(i int) (string, string) { return difftest.Sources(3)[i], "" }},
		{desc: "string table match",
			rules: "\tstick-table type string len 16 size 100 expire 30s store http_req_cnt\n" +
				"\tstick match req.hdr(x-user)\n\tstick store-request req.hdr(x-user)\n",
			client: func(i int) (string, string) { return "127.0.0.2", fmt.Sprintf("X-User: user%d", i) }},
		{desc: "non-stick server", rules: "\tstick-table type ip size 100 expire 30s\n\tstick on src\n", s2: " non-stick",
			client: func(i int) (string, string) { return difftest.Sources(3)[i], "" }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p := startStickPair(t, diffDefaults("http")+`frontend fe
	bind BIND
	default_backend be
backend be
	balance roundrobin
`+tc.rules+`	server s1 S1
	server s2 S2`+tc.s2+`
`, true, "s1", "s2")
			run := func(addr string) []string {
				var out []string
				for round := 0; round < 3; round++ {
					for i := 0; i < 3; i++ {
						src, hdr := tc.client(i)
						out = append(out, fmt.Sprintf("client%d %s", i, answerOf(difftest.DialHTTP(addr, src, "/", hdr))))
					}
				}
				return out
			}
			ref, ours := run(p.refAddr), run(p.ourAddr)
			if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
				t.Errorf("servers:\nref  %q\nours %q", ref, ours)
			}
			if ref[0] != ref[3] || tc.s2 == "" && ref[1] != ref[4] {
				t.Errorf("the reference did not stick: %q", ref)
			}
			p.sameTable(t, "be")
		})
	}
}

// TestStickHTTPCountersDifferential: the counters of the three tracking
// stages (connection, content, http-request) over keep-alive requests,
// denied ones included, read the same as the reference's.
func TestStickHTTPCountersDifferential(t *testing.T) {
	p := startStickPairWith(t, diffDefaults("http")+`frontend fe
	bind BIND
	stick-table type ip size 100 expire 30s store conn_cnt,conn_cur,sess_cnt,http_req_cnt,http_req_rate(10s),http_err_cnt,bytes_in_cnt,bytes_out_cnt
	tcp-request connection track-sc0 src
	tcp-request content track-sc1 src table t1
	http-request track-sc2 src table t2
	http-request deny if { sc2_http_req_cnt gt 3 }
	default_backend be
backend be
	server s1 S1
backend t1
	stick-table type ip size 100 expire 30s store conn_cnt,conn_cur,sess_cnt,http_req_cnt,http_err_cnt,bytes_in_cnt,bytes_out_cnt
backend t2
	stick-table type ip size 100 expire 30s store conn_cnt,conn_cur,sess_cnt,http_req_cnt,http_err_cnt,bytes_in_cnt,bytes_out_cnt
`, []string{"s1"}, func() func(string) string { return sessionServers(t, "s1") })
	run := func(addr string) []string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rd := bufio.NewReader(c)
		var out []string
		// A server's 404 counts as an error, like the deny of the fifth.
		for _, path := range []string{"/x", "/nf", "/x", "/x", "/x"} {
			resp, body := httpRoundTrip(t, c, rd, "GET "+path+" HTTP/1.1\r\nHost: example.com\r\n\r\n")
			out = append(out, fmt.Sprintf("%d %q", resp.StatusCode, body))
		}
		return out
	}
	ref, ours := run(p.refAddr), run(p.ourAddr)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("answers:\nref  %q\nours %q", ref, ours)
	}
	for _, tb := range []string{"fe", "t1", "t2"} {
		p.sameTable(t, tb)
	}
}

// TestStickFetchesDifferential: the sc_*, src_*, table_* fetches and
// table converters in conditions decide like the reference's.
func TestStickFetchesDifferential(t *testing.T) {
	p := startStickPair(t, diffDefaults("http")+`frontend fe
	bind BIND
	stick-table type ip size 100 expire 30s store http_req_cnt,gpc0,gpc1,gpt0,conn_cnt
	http-request track-sc0 src
	http-request deny deny_status 502 if { src_updt_conn_cnt lt 0 } || { src,table_expire(fe) lt 20000 } || { src,table_idle(fe) gt 1000 }
	http-request sc-set-gpt0(0) src_port,mul(0),add(7) if { src 127.0.0.2 }
	http-request sc-set-gpt0(0) 3 if { src 127.0.0.3 }
	http-request sc-inc-gpc1(0) if { sc_trackers(0) eq 1 } { sc0_tracked }
	http-request deny deny_status 429 if { src,table_http_req_cnt(fe) gt 3 }
	http-request deny deny_status 503 if { table_cnt(fe) ge 3 } { src 127.0.0.4 }
	http-request deny deny_status 403 if { src,in_table(fe) } { src_get_gpc1 gt 2 }
	http-request deny deny_status 403 if { sc_get_gpc0(1) ge 0 }
	http-request deny deny_status 502 if !{ src,table_trackers(fe) eq 2 }
	default_backend be
backend be
	server s1 S1
`, true, "s1")
	ref := p.bySource(t, "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.4", "127.0.0.2", "127.0.0.3")
	for _, want := range []string{"429", "503", "403", "s1"} {
		if !strings.Contains(strings.Join(ref, "\n"), want) {
			t.Errorf("no %s answer from the reference: the test lost its point: %q", want, ref)
		}
	}
	p.sameTable(t, "fe")
}

// sessionServers are HTTP servers that hand out a session cookie
// (SESSID=<server>-<n>) to requests without one, as application servers
// do; the body is the server's name, the status 404 for the path /nf.
func sessionServers(t *testing.T, names ...string) func(string) string {
	addrs := map[string]string{}
	for _, name := range names {
		n := 0
		var mu sync.Mutex
		ln := difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			rd := bufio.NewReader(c)
			hasCookie, status := false, "200 OK"
			for {
				line, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "GET /nf ") {
					status = "404 Not Found"
				}
				if line == "\r\n" {
					break
				}
				hasCookie = hasCookie || strings.HasPrefix(strings.ToLower(line), "cookie:")
			}
			set := ""
			if !hasCookie {
				mu.Lock()
				n++
				set = fmt.Sprintf("Set-Cookie: SESSID=%s-%d\r\n", name, n)
				mu.Unlock()
			}
			fmt.Fprintf(c, "HTTP/1.1 %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s", status, set, len(name), name)
		})
		addrs[name] = ln.Addr().String()
	}
	return func(name string) string { return addrs[name] }
}

// TestStickCookieTableDifferential: persistence on an application
// cookie learnt from responses (stick store-response res.cook, stick
// match req.cook), the classic cookie-less-insert recipe.
func TestStickCookieTableDifferential(t *testing.T) {
	servers := []string{"s1", "s2"}
	p := startStickPairWith(t, diffDefaults("http")+`frontend fe
	bind BIND
	default_backend be
backend be
	balance roundrobin
	stick-table type string len 32 size 100 expire 30s
	stick store-response res.cook(SESSID)
	stick match req.cook(SESSID)
	server s1 S1
	server s2 S2
`, servers, func() func(string) string { return sessionServers(t, servers...) })
	run := func(addr string) []string {
		var out []string
		cookies := make([]string, 3)
		for round := 0; round < 3; round++ {
			for user := range cookies {
				hdr := ""
				if cookies[user] != "" {
					hdr = "Cookie: SESSID=" + cookies[user] + "\r\n"
				}
				resp, err := rawExchange(addr, "GET / HTTP/1.1\r\nHost: x\r\n"+hdr+"Connection: close\r\n\r\n")
				if err != nil {
					t.Fatal(err)
				}
				if i := strings.Index(resp, "SESSID="); i >= 0 {
					cookies[user] = strings.TrimSpace(strings.SplitN(resp[i+7:], "\r\n", 2)[0])
				}
				_, body, _ := strings.Cut(resp, "\r\n\r\n")
				out = append(out, fmt.Sprintf("user%d %s", user, body))
			}
		}
		return out
	}
	ref, ours := run(p.refAddr), run(p.ourAddr)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("servers:\nref  %q\nours %q", ref, ours)
	}
	if ref[0] != ref[3] || ref[1] != ref[4] || ref[0] == ref[1] {
		t.Errorf("the reference did not stick: %q", ref)
	}
	p.sameTable(t, "be")
}

// rawExchange sends one raw request and reads the answer to the close.
func rawExchange(addr, req string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestStickHTTPErrorsDifferential: which answers count in http_err_cnt
// (server 4xx, deny, return, auth, tarpit-less 4xx), per path, and
// sc-inc-gpc0 in http-response rules.
func TestStickHTTPErrorsDifferential(t *testing.T) {
	p := startStickPairWith(t, diffDefaults("http")+`userlist users
	user admin insecure-password secret
frontend fe
	bind BIND
	stick-table type string len 16 size 100 expire 30s store http_req_cnt,http_err_cnt,gpc0
	http-request track-sc0 path
	http-request return status 404 if { path /ret404 }
	http-request return status 400 if { path /ret400 }
	http-request deny if { path /deny }
	http-request deny deny_status 429 if { path /deny429 }
	http-request auth if { path /auth }
	http-request redirect location /x if { path /redir }
	http-response sc-inc-gpc0(0) if { status 404 }
	default_backend be
backend be
	server s1 S1
`, []string{"s1"}, func() func(string) string { return sessionServers(t, "s1") })
	run := func(addr string) []string {
		var out []string
		for _, path := range []string{"/ret404", "/ret400", "/deny", "/deny429", "/auth", "/redir", "/nf", "/ok", "/nf"} {
			resp, err := rawExchange(addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, path+" "+strings.SplitN(resp, "\r\n", 2)[0])
		}
		return out
	}
	ref, ours := run(p.refAddr), run(p.ourAddr)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("answers:\nref  %q\nours %q", ref, ours)
	}
	p.sameTable(t, "fe")
}

// tableCommand runs a Runtime API `show|set|clear table NAME ...` line
// on our engine's tables the way the Runtime API uses the stick package,
// for comparison with the reference's answer.
func tableCommand(e *Engine, line string) string {
	w := strings.Fields(line)
	if len(w) < 3 || w[1] != "table" {
		return "bad test command"
	}
	t := e.StickTable(w[2])
	if t == nil {
		return "No such table"
	}
	var b strings.Builder
	var err error
	switch w[0] {
	case "show":
		var q stick.Query
		if q, err = t.ParseQuery(w[3:], false); err == nil {
			t.Show(&b, q)
		}
	case "clear":
		var q stick.Query
		if q, err = t.ParseQuery(w[3:], true); err == nil {
			t.ClearQuery(q)
		}
	case "set":
		err = t.SetQuery(w[3:])
	}
	if err != nil {
		return err.Error()
	}
	return b.String()
}

// TestStickTableCommandsDifferential: show, set and clear table give the
// reference's answers (entries, order, filters, errors) on every key type.
func TestStickTableCommandsDifferential(t *testing.T) {
	p := startStickPair(t, diffDefaults("http")+`frontend fe
	bind BIND
	default_backend be
backend be
	server s1 S1
backend tint
	stick-table type integer size 10 store gpc0,http_req_rate(10s)
backend tip
	stick-table type ip size 3 store gpc0,gpt0
backend tip6
	stick-table type ipv6 size 10 store gpc0
backend tstr
	stick-table type string len 6 size 10 expire 1m store gpc0,server_id
backend tbin
	stick-table type binary len 4 size 10 store gpc0
`, true, "s1")
	cmds := []string{
		"set table tint key 3 data.gpc0 1", "set table tint key 256 data.gpc0 2 data.http_req_rate 5",
		"set table tint key 5", "set table tint key x data.gpc0 1", "set table tint key 7 data.gpc1 1",
		"set table tint key 7 data.gpc0", "set table tint key 9 foo 1", "set table tint key",
		"show table tint", "show table tint data.gpc0 gt 1", "show table tint data.http_req_rate ge 5",
		"show table tint data.gpc0 eq 1 data.http_req_rate lt 3", "show table tint key 3",
		"show table tint data.foo gt 1", "show table tint data.gpc1 gt 1", "show table tint data.gpc0",
		"show table tint data.gpc0 gt x", "show table tint foo",
		"clear table tint key 3", "show table tint", "clear table tint data.gpc0 eq 0", "show table tint",
		"set table tip key 10.0.0.10 data.gpc0 1", "set table tip key 10.0.0.9 data.gpt0 2",
		"set table tip key 9.0.0.1", "set table tip key 8.0.0.1", "show table tip",
		"set table tip6 key ::1 data.gpc0 3", "set table tip6 key 127.0.0.1", "show table tip6",
		"set table tstr key abcdefgh data.gpc0 1", "set table tstr key b data.server_id 2", "show table tstr",
		"show table tstr key abcdef", "clear table tstr", "show table tstr",
		"show table tbin", "show table tbin key 00", "clear table tbin key 00", "show table nope",
	}
	for _, c := range cmds {
		ref, err := p.ref.Command(c)
		if err != nil {
			t.Fatal(err)
		}
		if r, o := normTable(ref), normTable(tableCommand(p.ours, c)); r != o {
			t.Errorf("%s:\nref:\n%s\nours:\n%s", c, r, o)
		}
	}
}

// statusServer answers GET /NNN with status NNN, closes without a word on
// /close and never answers /hang.
func statusServer(t *testing.T) func(string) string {
	ln := difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return
		}
		_, rest, _ := strings.Cut(line, " /")
		path, _, _ := strings.Cut(rest, " ")
		switch path {
		case "close":
			return
		case "hang":
			time.Sleep(3 * time.Second)
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 %s X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", path)
	})
	return func(string) string { return ln.Addr().String() }
}

// TestStickHTTPFailDifferential: which answers count in http_fail_cnt and
// http_fail_rate (the server's 5xx but 501 and 505, a server that closes
// or times out; not a server refusing, no server at all, nor the proxy's
// own answers) and in http_err_cnt (a deny or tarpit whatever its
// status), per path, as in the reference.
func TestStickHTTPFailDifferential(t *testing.T) {
	p := startStickPairWith(t, `defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 500ms
	timeout tarpit 100ms
	retries 0
frontend fe
	bind BIND
	stick-table type string len 16 size 100 expire 30s store http_req_cnt,http_err_cnt,http_fail_cnt,http_fail_rate(10s)
	http-request track-sc0 path
	http-request set-var(txn.p) path
	http-request deny deny_status 500 if { path /deny500 }
	http-request return status 503 if { path /ret503 }
	http-request tarpit deny_status 500 if { path /tarpit500 }
	http-response set-header X-Fail-Resp "%[sc0_http_fail_cnt]-%[sc0_http_err_cnt]"
	http-after-response set-header X-Fail "%[sc0_http_fail_cnt]-%[sc_http_fail_rate(0)]-%[var(txn.p),table_http_fail_cnt(fe)]-%[sc0_http_err_cnt]"
	use_backend none if { path /none }
	use_backend refused if { path /refused }
	default_backend be
backend be
	server s1 S1
backend none
backend refused
	server dead 127.0.0.1:1
`, []string{"s1"}, func() func(string) string { return statusServer(t) })
	paths := []string{"/200", "/404", "/500", "/501", "/502", "/503", "/504", "/505", "/599", "/close", "/hang",
		"/deny500", "/tarpit500", "/ret503", "/none", "/refused", "/500"}
	run := func(addr string) []string {
		var out []string
		for _, path := range paths {
			resp, err := rawExchange(addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			if err != nil {
				t.Fatal(err)
			}
			fail := ""
			for _, l := range strings.Split(resp, "\r\n") {
				if v, ok := strings.CutPrefix(strings.ToLower(l), "x-fail"); ok {
					fail += v + " "
				}
			}
			out = append(out, path+" "+strings.SplitN(resp, "\r\n", 2)[0]+" "+fail)
		}
		return out
	}
	ref, ours := run(p.refAddr), run(p.ourAddr)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("answers:\nref  %q\nours %q", ref, ours)
	}
	p.sameTable(t, "fe")
}
