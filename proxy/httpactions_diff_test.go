package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/internal/difftest"
)

// actCase is one listen section of the rules differential test: its
// lines (rules, errorfiles, cookie...) and the requests sent, in order,
// on one client connection.
type actCase struct {
	desc  string
	lines string
	reqs  []string
}

// get is a GET of path with extra header lines.
func get(path string, headers ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: example.com\r\n" + strings.Join(append(headers, ""), "\r\n") + "\r\n"
}

// Basic credentials for the test userlist.
const (
	credBob = "Authorization: Basic Ym9iOnNlY3JldA=="         // bob:secret (insecure-password)
	credAl  = "Authorization: Basic YWw6aGVsbG8="             // al:hello ($6$ hash)
	credEve = "Authorization: Basic YWw6d3Jvbmc="             // al:wrong
	credMd5 = "Authorization: Basic bWQ6Y29ycmVjdCBob3JzZQ==" // md:correct horse ($1$ hash)
)

// actCases are the rules, each checked against the reference with the
// same configuration. @DIR@ is the directory of the test's files.
var actCases = []actCase{
	{"deny", "http-request deny", []string{get("/")}},
	{"deny status hdr string", `http-request deny deny_status 429 hdr X-A 1 content-type text/plain string "go away"`, []string{get("/")}},
	{"deny built-in 404", "http-request deny deny_status 404", []string{get("/")}},
	{"deny built-in pages", "http-request deny deny_status 400", []string{get("/")}},
	{"deny 401 page", "http-request deny deny_status 401", []string{get("/")}},
	{"deny 405 page", "http-request deny deny_status 405", []string{get("/")}},
	{"deny 407 page", "http-request deny deny_status 407", []string{get("/")}},
	{"deny 408 page", "http-request deny deny_status 408", []string{get("/")}},
	{"deny 410 page", "http-request deny deny_status 410", []string{get("/")}},
	{"deny 413 page", "http-request deny deny_status 413", []string{get("/")}},
	{"deny 425 page", "http-request deny deny_status 425", []string{get("/")}},
	{"deny 429 page", "http-request deny deny_status 429", []string{get("/")}},
	{"deny 500 page", "http-request deny deny_status 500", []string{get("/")}},
	{"deny 501 page", "http-request deny deny_status 501", []string{get("/")}},
	{"deny 200 page", "http-request deny deny_status 200", []string{get("/")}},
	{"deny with errorfile 403", "errorfile 403 @DIR@/e403.http\n\thttp-request deny", []string{get("/")}},
	{"deny errorfile option", "http-request deny errorfile @DIR@/e503.http", []string{get("/")}},
	{"deny errorfiles section", "errorfiles myerrs\n\thttp-request deny deny_status 503", []string{get("/")}},
	{"errorloc", "errorloc 403 http://err.example.com/403\n\thttp-request deny", []string{get("/")}},
	{"errorloc303", "errorloc303 403 /sorry\n\thttp-request deny", []string{get("/")}},
	{"return with body and hdr", `http-request return status 200 content-type text/plain string "hi there" hdr X-B b`, []string{get("/")}},
	{"return bare", "http-request return", []string{get("/"), get("/again")}},
	{"return status only", "http-request return status 404", []string{get("/")}},
	{"return file", "http-request return status 201 content-type text/plain file @DIR@/body.txt", []string{get("/")}},
	{"return errorfile", "http-request return errorfile @DIR@/e503.http", []string{get("/")}},
	{"return lf-string literal", `http-request return status 200 content-type text/plain lf-string "100%% sure"`, []string{get("/")}},
	{"auth", "http-request auth realm Secret unless { http_auth(ul) }",
		[]string{get("/"), get("/", credBob), get("/", credAl), get("/", credEve), get("/", credMd5)}},
	{"auth default realm", "http-request auth", []string{get("/")}},
	{"redirect prefix 301", "http-request redirect prefix /pfx code 301", []string{get("/a/b?x=1")}},
	{"redirect prefix drop-query append-slash clear-cookie", "http-request redirect prefix https://x.example drop-query append-slash clear-cookie BAR=",
		[]string{get("/a/b?x=1"), get("/a/")}},
	{"redirect prefix append-slash keeps query", "http-request redirect prefix / append-slash", []string{get("/a?q")}},
	{"redirect scheme", "http-request redirect scheme https", []string{get("/s?y=2")}},
	{"redirect location set-cookie", "http-request redirect location /loc drop-query append-slash set-cookie FOO=bar", []string{get("/l?y=1")}},
	{"redirect 303", "http-request redirect location /x code 303", []string{get("/")}},
	{"redirect 307", "http-request redirect location /x code 307", []string{get("/")}},
	{"redirect 308", "http-request redirect location /x code 308", []string{get("/")}},
	{"legacy redirect", "redirect prefix /new code 301", []string{get("/old?a")}},
	{"legacy redirect after allow", "http-request allow\n\tredirect location /moved", []string{get("/")}},
	{"header rules", `http-request set-header X-Set one
	http-request add-header X-Add two
	http-request del-header X-Del
	http-request replace-header X-Foo (.*)-(.*) \2-\1
	http-request replace-value X-List ^a(.*) z\1`,
		[]string{get("/", "X-Set: old", "X-Del: gone", "X-Foo: one-two", "X-List: abc, abd,xa, ab", "X-Add: first")}},
	{"set-path", "http-request set-path /new%%20path", []string{get("/p?a=b")}},
	{"set-query", "http-request set-query q=1&r=2", []string{get("/q?a=b"), get("/noquery")}},
	{"set-uri", "http-request set-uri /uri?x", []string{get("/u?a=b")}},
	{"set-method", "http-request set-method PUT", []string{get("/m")}},
	{"set-pathq", "http-request set-pathq /pq?k", []string{get("/spq?a=b")}},
	{"replace-path", `http-request replace-path /rp(.*) /replaced\1`, []string{get("/rp/x?a=b"), get("/other")}},
	{"replace-pathq", `http-request replace-pathq /pq(.*)\?a=(.*) /new\1?b=\2`, []string{get("/pq/x?a=1"), get("http://h.example/pq/y?a=2")}},
	{"replace-uri", `http-request replace-uri ^/ru(.*) /ruri\1`, []string{get("/ru/x?a=b")}},
	{"normalize-uri", `http-request normalize-uri path-merge-slashes
	http-request normalize-uri path-strip-dotdot
	http-request normalize-uri path-strip-dot
	http-request normalize-uri query-sort-by-name
	http-request normalize-uri percent-to-uppercase`,
		[]string{get("//a//b/../c/./d?z=1&a=2&m=3&a=1"), get("/x%2fy/..")}},
	{"normalize-uri more", `http-request normalize-uri percent-decode-unreserved
	http-request normalize-uri path-strip-dotdot full`,
		[]string{get("/%41%62%2F%7e%20x/../../../y?q=%61"), get("/../..")}},
	{"set-src from a header, for one request", `option forwardfor
	http-request set-src hdr(x-real-ip)
	http-request set-header X-Src %[src]
	http-request set-header X-Port-Kept yes if { src_port gt 0 }`,
		[]string{get("/", "X-Real-IP: 10.1.2.3"), get("/next"), get("/", "X-Real-IP: 2001:db8::7"), get("/", "X-Real-IP: junk"),
			get("/", "X-Real-IP: 10.4.5.6")}},
	{"set-src-port set-dst set-dst-port", `http-request set-src-port int(4242)
	http-request set-dst ipv4(10.9.8.7)
	http-request set-dst-port int(8080)
	http-request set-header X-Addrs %[src]:%[src_port]-%[dst]:%[dst_port]`,
		[]string{get("/")}},
	{"set-dst to IPv6 keeps the port", `http-request set-dst ipv6(2001:db8::9)
	http-request set-header X-Dst %[dst]
	http-request set-header X-Port-Kept yes if { dst_port gt 0 }`,
		[]string{get("/")}},
	{"set-var-fmt", `http-request set-var-fmt(txn.a) "%[path]-%[method]"
	http-request set-header X-A %[var(txn.a)]`,
		[]string{get("/fmt")}},
	{"reject", "http-request reject if { path /rej }", []string{get("/ok"), get("/rej")}},
	{"set-timeout server", `http-request set-timeout server 300ms if { path /slow/short }
	http-request set-timeout server req.hdr(ms) if { path /slow/expr }`,
		[]string{get("/slow/short"), get("/slow/long"), get("/slow/expr", "ms: 250"), get("/slow/expr", "ms: 4000")}},
	{"set-map and del-map", `http-request set-map(@DIR@/m.map) %[req.hdr(k)] %[req.hdr(v)] if { path /set }
	http-request del-map(@DIR@/m.map) %[req.hdr(k)] if { path /del }
	http-request set-header X-Val %[req.hdr(k),map(@DIR@/m.map,none)]`,
		[]string{get("/get", "k: a"), get("/set", "k: b", "v: 2"), get("/get", "k: b"), get("/set", "k: a", "v: 9"),
			get("/get", "k: a"), get("/del", "k: a"), get("/get", "k: a"), get("/get", "k: z")}},
	{"add-acl and del-acl", `acl listed req.hdr(k) -f @DIR@/l.acl
	http-request add-acl(@DIR@/l.acl) %[req.hdr(k)] if { path /add }
	http-request del-acl(@DIR@/l.acl) %[req.hdr(k)] if { path /rm }
	http-request set-header X-Listed yes if listed`,
		[]string{get("/", "k: x"), get("/add", "k: x"), get("/", "k: x"), get("/add", "k: x"), get("/rm", "k: x"),
			get("/", "k: x"), get("/", "k: listed-first")}},
	{"response header rules", `http-response set-status 299 reason Fine
	http-response set-header X-Resp 1
	http-response add-header X-Added 2
	http-response replace-header X-Server s(.) server\1
	http-response del-header x-gone`,
		[]string{get("/")}},
	{"response set-status standard reason", "http-response set-status 404", []string{get("/")}},
	{"response set-status 502", "http-response set-status 502", []string{get("/")}},
	{"response set-status 504", "http-response set-status 504", []string{get("/")}},
	{"response set-status 422", "http-response set-status 422", []string{get("/")}},
	{"response set-status 418", "http-response set-status 418", []string{get("/")}},
	{"response set-status classes", "http-response set-status 299", []string{get("/")}},
	{"response set-status 350", "http-response set-status 350", []string{get("/")}},
	{"response set-status 460", "http-response set-status 460", []string{get("/")}},
	{"response set-status 599", "http-response set-status 599", []string{get("/")}},
	{"response set-status 999", "http-response set-status 999", []string{get("/")}},
	{"response deny", "http-response deny", []string{get("/"), get("/")}},
	{"response deny status", "http-response deny deny_status 403", []string{get("/")}},
	{"response redirect", "http-response redirect location /elsewhere code 303",
		[]string{"POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nhi", get("/")}},
	{"response return", `http-response return status 200 content-type text/plain string replaced`, []string{get("/")}},
	{"after-response on answers", "http-request deny\n\thttp-after-response set-header X-After 3\n\thttp-after-response del-header content-type", []string{get("/")}},
	{"after-response on responses", "http-after-response set-header X-After 3\n\thttp-response set-header X-Resp 1", []string{get("/")}},
	{"after-response on redirects", "http-request redirect location /x\n\thttp-after-response add-header X-After 4", []string{get("/")}},
	{"cookie insert indirect", "cookie SRV insert indirect nocache httponly secure domain .example.com",
		[]string{get("/"), get("/", "Cookie: a=1; SRV=c2; b=2"), get("/", "Cookie: SRV=c2"), get("/", "Cookie: SRV=zz; x=y"), get("/")}},
	{"cookie insert nocache", "cookie SRV insert nocache",
		[]string{get("/"), get("/", "Cookie: SRV=c1"), get("/setcookie"), get("/cache-public"), get("/cache-maxage"),
			get("/expires"), get("/cache-private"), get("/cache-public", "Cookie: SRV=c2")}},
	{"ignore-persist", "cookie SRV insert indirect\n\tignore-persist if { path_end .css }",
		[]string{get("/a.css", "Cookie: SRV=c2"), get("/a.css", "Cookie: SRV=c2"), get("/page", "Cookie: SRV=c2"), get("/page", "Cookie: SRV=c2"), get("/b.css")}},
	{"force-persist", "cookie SRV insert indirect\n\tforce-persist if { path_beg /admin }\n\tserver s3 127.0.0.1:1 cookie c3 check inter 100 fall 1",
		[]string{get("/admin/x", "Cookie: SRV=c3"), get("/other", "Cookie: SRV=c3")}},
	{"cookie insert postonly", "cookie SRV insert postonly",
		[]string{get("/"), "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nhi"}},
	{"cookie insert preserve", "cookie SRV insert preserve",
		[]string{get("/setcookie"), get("/")}},
	{"cookie rewrite", "cookie SRV rewrite",
		[]string{get("/setcookie"), get("/", "Cookie: SRV=c2")}},
	{"cookie prefix", "cookie SRV prefix",
		[]string{get("/setcookie"), get("/", "Cookie: SRV=c2~abc; z=1"), get("/", "Cookie: SRV=abc")}},
	{"cookie maxidle maxlife", "cookie SRV insert indirect maxidle 30m maxlife 1h",
		[]string{get("/"), get("/", "Cookie: SRV=c2"), get("/", "Cookie: SRV=c2|AAAAB|AAAAB"), get("/", "Cookie: SRV=c1|/////")}},
	{"cookie attrs", "cookie SRV insert domain a.example domain b.example httponly attr SameSite=Strict attr Partitioned",
		[]string{get("/")}},
	{"cookie maxlife only", "cookie SRV insert maxlife 1h",
		[]string{get("/"), get("/", "Cookie: SRV=c1")}},
	{"cookie to a server in maintenance", "cookie SRV insert indirect\n\tserver s3 127.0.0.1:9 cookie c3 disabled",
		[]string{get("/", "Cookie: SRV=c3"), get("/", "Cookie: SRV=c3")}},
	{"deny with a request body closes", "http-request deny",
		[]string{"POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nhi"}},
	{"return with a request body", "http-request return status 200",
		[]string{"POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nhi"}},
	{"http/1.0 client", "http-request return status 200 content-type text/plain string ok",
		[]string{"GET / HTTP/1.0\r\n\r\n"}},
	{"sample values", `http-request set-header X-Src %[src]
	http-request add-header X-Host "%[req.hdr(x-h),lower] on %[path]"
	http-request set-var(txn.p) path
	http-request set-header X-P %[var(txn.p)]
	http-request set-path /v2%[path]
	http-response set-header X-Status %[status]`,
		[]string{get("/a?b", "X-H: Example.COM")}},
	{"sample redirect", "http-request redirect location https://%[hdr(host)]%[path]?moved code 301", []string{get("/x?y")}},
	{"sample hdr", `http-request return status 200 hdr X-Path %[path] hdr X-Lit "a b"`, []string{get("/hp")}},
	{"sample return", `http-request return status 200 content-type text/plain lf-string "path=%[path] src=%[src]"`, []string{get("/here")}},
	{"conditions", `http-request deny deny_status 404 if { path_beg /admin }
	http-request return status 200 content-type text/plain string public if { path /public } || { hdr(x-pub) -m found }
	http-request set-header X-Seen yes unless { method POST }`,
		[]string{get("/admin/x"), get("/public"), get("/p", "X-Pub: 1"), get("/other")}},
	{"auth group", "http-request auth realm Admins unless { http_auth_group(ul) admins }",
		[]string{get("/"), get("/", credBob), get("/", credAl)}},
	{"return errorfiles", "http-request return status 503 errorfiles myerrs", []string{get("/")}},
	{"errorloc302", "errorloc302 503 /busy\n\thttp-request deny deny_status 503", []string{get("/")}},
	{"response deny with payload", "http-response deny content-type text/plain string nope hdr X-Why rule", []string{get("/")}},
	{"response deny with status and payload", "http-response deny deny_status 503 content-type text/plain string nope", []string{get("/")}},
	{"early-hint", `http-request early-hint link "</style.css>; rel=preload; as=style"
	http-request early-hint link "</script.js>; rel=preload; as=script"
	http-request set-header X-A 1
	http-request early-hint x-late %[path]`,
		[]string{get("/eh"), "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}},
	{"tarpit", "timeout tarpit 50ms\n\thttp-request tarpit", []string{get("/")}},
	{"tarpit status", "timeout tarpit 50ms\n\thttp-request tarpit deny_status 429", []string{get("/")}},
	{"monitor-uri", "monitor-uri /mon\n\tmonitor fail if { req.hdr(x-fail) -m found }\n\thttp-request deny if { path /mon }",
		[]string{get("/mon"), get("/mon", "X-Fail: 1"), get("/mon?x"), "POST /mon HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", get("/mon")}},
	{"originalto", "option originalto", []string{get("/")}},
	{"originalto header", "option originalto header X-Dst\n\toption forwardfor header X-Src", []string{get("/")}},
	{"originalto except", "option originalto except 127.0.0.0/8", []string{get("/")}},
	{"pretend keep-alive, server-close", "option http-server-close\n\toption http-pretend-keepalive",
		[]string{get("/"), "GET /10 HTTP/1.0\r\n\r\n"}},
	{"pretend keep-alive, httpclose", "option httpclose\n\toption http-pretend-keepalive",
		[]string{get("/"), "GET /10 HTTP/1.0\r\n\r\n"}},
	{"server-close without pretending", "option http-server-close", []string{get("/"), "GET /10 HTTP/1.0\r\n\r\n"}},
	{"httpclose without pretending", "option httpclose", []string{get("/"), "GET /10 HTTP/1.0\r\n\r\n",
		"GET /10k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}},
}

// cookieDateRE is a maxidle/maxlife date of a cookie value: five base64
// characters after "|", up to a character that is not one. (Not \b: a
// date may end with "+" or "/", after which \b does not match before
// "|" or ";", and such a date was left unmasked.)
var cookieDateRE = regexp.MustCompile(`\|[A-Za-z0-9+/]{5}([^A-Za-z0-9+/]|$)`)

// maskCookieDates replaces every cookie date with "|DATE". The match
// takes the character after a date, which may be the "|" of the next
// one: repeat until nothing changes.
func maskCookieDates(s string) string {
	for {
		m := cookieDateRE.ReplaceAllString(s, "|DATE$1")
		if m == s {
			return s
		}
		s = m
	}
}

// actFiles are the files the cases read.
var actFiles = map[string]string{
	"e403.http": "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Custom: yes\r\n\r\nno!\r\n",
	"e503.http": "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nX-Custom: yes\r\n\r\n<h1>custom 503</h1>\n",
	"body.txt":  "hello file\n",
	"m.map":     "a 1\nz 26\n",
	"l.acl":     "listed-first\n",
}

// actConfigText is the configuration both sides run: one listen section
// per case on its port, two servers s1 and s2 with cookies c1 and c2.
func actConfigText(dir string, ports []int, s1, s2 string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
	expose-experimental-directives
defaults
	mode http
	log stdout format raw local0
	option httplog
	timeout connect 1s
	timeout client 5s
	timeout server 5s
userlist ul
	group admins users bob
	user bob insecure-password secret
	user al password $6$saltsalt$YTeBOLnmm3CoeJTzBuijUEtOEWCqrw/nQ8/AeMmON4LGp3k0ZiMjC1OdqzWFUAfDQBvYkOch9BWtQTBcZ1E/p0 groups admins
	user md password $1$abcdefgh$y6iHhJNbuC0xpbk0w9pm80
http-errors myerrs
	errorfile 503 %s/e503.http
`, dir)
	for i, c := range actCases {
		fmt.Fprintf(&b, "listen c%d\n\tbind 127.0.0.1:%d\n\tbalance roundrobin\n\t%s\n\tserver s1 %s cookie c1\n\tserver s2 %s cookie c2\n",
			i, ports[i], strings.ReplaceAll(c.lines, "@DIR@", dir), s1, s2)
	}
	return b.String()
}

// actBackend answers each request with "NAME\n" and the request head it
// received; /setcookie makes it set the SRV cookie itself, and it always
// sends a header x-gone for the response rules to delete.
func actBackend(t *testing.T, name string) string {
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		opts := http1.DefaultOptions()
		var req http1.Request
		var body http1.Body
		buf := make([]byte, 0, 65536)
		for {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := req.Parse(buf, &opts)
			if err == http1.ErrIncomplete {
				m, err := c.Read(buf[len(buf):cap(buf)])
				if m == 0 && err != nil {
					return
				}
				buf = buf[:len(buf)+m]
				continue
			}
			if err != nil {
				return
			}
			head := string(buf[:n])
			path := string(req.Path())
			buf = append(buf[:0], buf[n:]...)
			body.StartRequest(&req, &opts)
			for !body.Done() {
				m, err := body.Consume(buf)
				if err != nil {
					return
				}
				buf = append(buf[:0], buf[m:]...)
				if !body.Done() {
					k, err := c.Read(buf[len(buf):cap(buf)])
					if k == 0 && err != nil {
						return
					}
					buf = buf[:len(buf)+k]
				}
			}
			msg := name + "\n" + head
			if strings.HasPrefix(path, "/slow") {
				time.Sleep(700 * time.Millisecond) // past the set-timeout cases' 300ms
			}
			extra := ""
			switch path {
			case "/setcookie":
				extra = "Set-Cookie: SRV=abc; path=/\r\n"
			case "/cache-public":
				extra = "Cache-Control: public\r\n"
			case "/cache-maxage":
				extra = "Cache-Control: max-age=60\r\n"
			case "/cache-private":
				extra = "Cache-Control: private\r\n"
			case "/expires":
				extra = "Expires: Thu, 01 Dec 2044 16:00:00 GMT\r\n"
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Server: %s\r\nX-Gone: 1\r\n%s\r\n%s", len(msg), name, extra, msg)
			if !req.KeepAlive() {
				return
			}
		}
	})
	return ln.Addr().String()
}

// readRawResponse reads one response as bytes: interim (1xx) heads, the
// final head, then a Content-Length body or everything until the
// connection closes.
func readRawResponse(rd *bufio.Reader) (string, error) {
	var out strings.Builder
	for {
		status, length := 0, -1
		for first := true; ; first = false {
			line, err := rd.ReadString('\n')
			out.WriteString(line)
			if err != nil {
				return out.String(), err
			}
			if line == "\r\n" {
				break
			}
			if first && len(line) >= 12 {
				status, _ = strconv.Atoi(line[9:12])
			}
			name, val, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
			if strings.EqualFold(name, "content-length") {
				length, _ = strconv.Atoi(strings.TrimSpace(val))
			}
		}
		if status >= 100 && status < 200 {
			continue
		}
		if length < 0 {
			rest, err := io.ReadAll(rd)
			out.Write(rest)
			return out.String(), err
		}
		body := make([]byte, length)
		_, err := io.ReadFull(rd, body)
		out.Write(body)
		return out.String(), err
	}
}

// runActCase sends the case's requests on one connection, each in the
// pieces gapPause separates, then a probe request that tells whether the
// connection was kept.
func runActCase(t *testing.T, addr string, c actCase) []string {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(conn)
	var out []string
	for _, raw := range append(c.reqs, get("/probe")) {
		for i, part := range strings.Split(raw, gapPause) {
			if i > 0 {
				time.Sleep(200 * time.Millisecond)
			}
			if _, err := io.WriteString(conn, part); err != nil {
				// Whether a closed connection fails the write or the
				// read depends on timing, on both sides.
				return append(out, "connection closed")
			}
		}
		resp, err := readRawResponse(rd)
		if err != nil && resp == "" {
			return append(out, "connection closed")
		}
		out = append(out, resp)
	}
	return out
}

// TestHTTPActionsDifferential: every case's answers (status line, headers
// in order, body; for forwarded requests the body shows the head the
// server received) and whether the connection persists are the
// reference's.
func TestHTTPActionsDifferential(t *testing.T) {
	dir := t.TempDir()
	for name, data := range actFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runListenDiff(t, dir, listenDiff{cases: actCases, prefix: "c", config: actConfigText, run: runActCase,
		// Cookie dates (maxidle/maxlife) follow the clock.
		maskAnswer: maskCookieDates,
		logRE:      httplogRE, maskLog: maskHTTPLog})
}
