package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// checkcacheTerms is the log format of the checkcache comparison.
var checkcacheTerms = []string{"L", "%f", "%b", "%s", "%ST", "%ts", "%B", "%Tr", "%r"}

// checkcacheConfig has one section per way of reaching the check: option
// checkcache from the defaults (cc), turned off again (off), with a
// persistence cookie inserted (ins) or inserted with nocache (nc), after
// http-response rules of the section (rules) or of a frontend in front of
// the checking backend (fe, be); and an http-response deny, the other
// refused response the stats count (deny).
func checkcacheConfig(ports map[string]int, server string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `defaults
	mode http
	log stdout format raw local0
	log-format "%s"
	timeout connect 1s
	timeout client 5s
	timeout server 5s
	option checkcache
`, strings.Join(checkcacheTerms, fieldSep))
	section := func(kind, name, lines string) {
		fmt.Fprintf(&b, "%s %s\n", kind, name)
		if p, ok := ports[name]; ok {
			fmt.Fprintf(&b, "\tbind 127.0.0.1:%d\n", p)
		}
		b.WriteString(lines)
		if kind != "frontend" {
			fmt.Fprintf(&b, "\tserver s1 %s cookie one\n", server)
		}
	}
	section("listen", "cc", "")
	section("listen", "off", "\tno option checkcache\n")
	section("listen", "ins", "\tcookie SRV insert\n")
	section("listen", "nc", "\tcookie SRV insert nocache\n")
	section("listen", "rules", `	http-response del-header Set-Cookie if { res.hdr(x-act) -m str del }
	http-response add-header Set-Cookie x=y if { res.hdr(x-act) -m str add }
	http-response set-header Cache-Control private if { res.hdr(x-act) -m str private }
`)
	section("listen", "deny", "\thttp-response deny if { res.hdr(x-act) -m str deny }\n")
	section("frontend", "fe", `	http-response del-header Set-Cookie if { res.hdr(x-act) -m str del }
	default_backend be
`)
	section("backend", "be", "")
	return b.String()
}

// checkcacheServer answers each request with the response head its
// X-Resp header spells ("|" between lines, URL-escaped), a 2-byte body
// where one is allowed, and closes.
func checkcacheServer(t *testing.T) string {
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		rd := bufio.NewReader(c)
		method, head := "", []string(nil)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			if method == "" {
				method, _, _ = strings.Cut(line, " ")
			}
			if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "x-resp") {
				v, _ = url.PathUnescape(strings.TrimSpace(v))
				head = strings.Split(v, "|")
			}
		}
		if head == nil {
			head = []string{"HTTP/1.1 200 OK"}
		}
		out := strings.Join(head, "\r\n") + "\r\n"
		if bodyless := method == "HEAD" || strings.Contains(head[0], " 204 ") || strings.Contains(head[0], " 304 "); !bodyless {
			out += "Content-Length: 2\r\nConnection: close\r\n\r\nok"
		} else {
			out += "Connection: close\r\n\r\n"
		}
		io.WriteString(c, out)
	})
	return ln.Addr().String()
}

// checkcacheCase is one request through a section: its method and extra
// headers, and the server's answer head ("|" between lines).
type checkcacheCase struct {
	desc, section, method, reqHeaders, resp string
}

func checkcacheCases() []checkcacheCase {
	const ck = "|Set-Cookie: a=b"
	var cases []checkcacheCase
	add := func(desc, section, method, req, resp string) {
		cases = append(cases, checkcacheCase{desc, section, method, req, resp})
	}
	// Status codes, with a cookie and freshness.
	for _, st := range []string{"200 OK", "203 Non-Authoritative", "204 No Content", "206 Partial",
		"300 Multiple", "301 Moved", "302 Found", "304 Not Modified", "404 Not Found", "405 Not Allowed",
		"410 Gone", "414 Too Long", "500 Oops", "501 Not Implemented", "503 Busy"} {
		add("status "+st, "cc", "GET", "", "HTTP/1.1 "+st+ck+"|Cache-Control: max-age=60")
	}
	// The response's cache directives (status 200, with a cookie).
	for _, h := range []string{
		"Cache-Control: public", "Cache-Control: public|ETag: x", "Cache-Control: private|ETag: x",
		"Cache-Control: no-cache|ETag: x", "Cache-Control: no-store|ETag: x", "Cache-Control: max-age=0",
		"Cache-Control: s-maxage=0|ETag: x", "Cache-Control: s-maxage=60", "Cache-Control: max-age=0, s-maxage=60",
		"Cache-Control: max-age", "Cache-Control: MAX-AGE=60", "Cache-Control: Private|ETag: x",
		`Cache-Control: no-cache="set-cookie"|ETag: x`, `Cache-Control: no-cache="Set-Cookie, foo"|ETag: x`,
		`Cache-Control: no-cache="foo, set-cookie"|ETag: x`, "Cache-Control: no-cache=set-cookie|ETag: x",
		`Cache-Control: no-cache="set-cookie", public, max-age=60`,
		"Cache-Control: private, public, max-age=60", "Cache-Control: public, private, max-age=60",
		`Cache-Control: x="a,private", max-age=60`, "Cache-Control: max-age=60|Cache-Control: private",
		"Pragma: no-cache|ETag: x", "Pragma: No-Cache|Cache-Control: max-age=60", "Pragma: no-cache, foo|ETag: x",
		"Pragma: x|Pragma: no-cache|ETag: x",
		"Expires: Thu, 01 Jan 1970 00:00:00 GMT", "Expires: 0", "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT",
		"ETag: x", "Vary: *|ETag: x", "Vary: Accept-Encoding|ETag: x",
	} {
		add("response "+h, "cc", "GET", "", "HTTP/1.1 200 OK"+ck+"|"+h)
	}
	add("no cache header", "cc", "GET", "", "HTTP/1.1 200 OK"+ck)
	// Which cookies count.
	add("no cookie", "cc", "GET", "", "HTTP/1.1 200 OK|ETag: x")
	add("Set-Cookie2", "cc", "GET", "", "HTTP/1.1 200 OK|Set-Cookie2: a=b|ETag: x")
	add("two cookies", "cc", "GET", "", "HTTP/1.1 200 OK|set-cookie: a=b|Set-Cookie: c=d|ETag: x")
	add("Set-Cookie3", "cc", "GET", "", "HTTP/1.1 200 OK|Set-Cookie3: a=b|ETag: x")
	add("HTTP/1.0 answer", "cc", "GET", "", "HTTP/1.0 200 OK"+ck+"|ETag: x")
	// The request: its method; its own cache headers change nothing.
	for _, m := range []string{"HEAD", "OPTIONS", "TRACE", "POST", "PUT", "DELETE"} {
		add("method "+m, "cc", m, "", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	}
	add("POST, public", "cc", "POST", "", "HTTP/1.1 200 OK"+ck+"|Cache-Control: public, max-age=60")
	add("302, public", "cc", "GET", "", "HTTP/1.1 302 Found"+ck+"|Cache-Control: public|ETag: x")
	add("request no-cache", "cc", "GET", "Cache-Control: no-cache\r\n", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("request no-store", "cc", "GET", "Cache-Control: no-store\r\nPragma: no-cache\r\n", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("request Authorization", "cc", "GET", "Authorization: Basic eDp5\r\n", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	// The sections.
	add("no option checkcache", "off", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("insert, no server cookie", "ins", "GET", "", "HTTP/1.1 200 OK|ETag: x")
	add("insert, server cookie", "ins", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("insert, server's SRV", "ins", "GET", "", "HTTP/1.1 200 OK|Set-Cookie: SRV=zz|ETag: x")
	add("insert, direct", "ins", "GET", "Cookie: SRV=one\r\n", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("nocache, inserted", "nc", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("nocache, direct", "nc", "GET", "Cookie: SRV=one\r\n", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("rule deletes the cookie", "rules", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x|X-Act: del")
	add("rule adds a cookie", "rules", "GET", "", "HTTP/1.1 200 OK|ETag: x|X-Act: add")
	add("rule makes it private", "rules", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x|X-Act: private")
	add("http-response deny", "deny", "GET", "", "HTTP/1.1 200 OK|X-Act: deny")
	add("backend checks", "fe", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x")
	add("frontend rule deletes the cookie", "fe", "GET", "", "HTTP/1.1 200 OK"+ck+"|ETag: x|X-Act: del")
	return cases
}

// checkcacheRun is what one side did with the cases: the bytes each
// client read, the log lines, the alerts and the stats.
type checkcacheRun struct {
	answers, lines []string
	alerts         []string
	stats          map[string]map[string]string
}

// playCheckcache sends every case on its own connection, followed on the
// same connection by a plain request (a refused answer leaves the
// client's connection open), and collects what came back.
func playCheckcache(t *testing.T, addr func(section string) string, lines func(n int) []string) checkcacheRun {
	t.Helper()
	var run checkcacheRun
	for i, tc := range checkcacheCases() {
		c, err := net.Dial("tcp", addr(tc.section))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		first := fmt.Sprintf("%s /%d HTTP/1.1\r\nHost: x\r\n%sX-Resp: %s\r\n", tc.method, i, tc.reqHeaders, url.PathEscape(tc.resp))
		if tc.method == "POST" || tc.method == "PUT" {
			first += "Content-Length: 0\r\n"
		}
		then := fmt.Sprintf("GET /%d/then HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Resp: %s\r\n\r\n", i, url.PathEscape("HTTP/1.1 200 OK"))
		io.WriteString(c, first+"\r\n"+then)
		got, _ := io.ReadAll(c)
		c.Close()
		run.answers = append(run.answers, string(got))
		run.lines = append(run.lines, lastN(lines(2*(i+1)), 2)...)
	}
	return run
}

func lastN(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	return s[len(s)-n:]
}

// TestCheckcacheMatchesReference: with option checkcache, a response a
// shared cache could store with its cookie is replaced by the proxy's
// page for its status (logged PH with the server's status, counted in
// dresp, an alert logged), case by case as the reference does: what the
// client reads, the log line, the alerts and the stats.
func TestCheckcacheMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	server := checkcacheServer(t)
	sections := []string{"cc", "off", "ins", "nc", "rules", "deny", "fe"}
	portsFor := func() map[string]int {
		m := map[string]int{}
		for _, s := range sections {
			m[s] = difftest.FreePort(t)
		}
		return m
	}

	refPorts := portsFor()
	ref := difftest.StartReferenceConfig(t, bin, checkcacheConfig(refPorts, server))
	refRun := playCheckcache(t, func(s string) string { return fmt.Sprintf("127.0.0.1:%d", refPorts[s]) },
		func(n int) []string { return refLines(ref, "L^", n) })
	for _, l := range strings.Split(ref.Output(), "\n") {
		if strings.HasPrefix(l, "Blocking") {
			refRun.alerts = append(refRun.alerts, l)
		}
	}
	out, err := ref.Command("show stat")
	if err != nil {
		t.Fatal(err)
	}
	_, refRun.stats = parseCSV(t, out)

	var mu sync.Mutex
	var ourAlerts []string
	e, ours := startOurs(t, checkcacheConfig(portsFor(), server), plainLine, func(l Level, proxy, msg string) {
		if l == Alert && strings.HasPrefix(msg, "Blocking") {
			mu.Lock()
			ourAlerts = append(ourAlerts, msg)
			mu.Unlock()
		}
	})
	ourRun := playCheckcache(t, func(s string) string { return feAddr(e, s) }, func(n int) []string {
		var got []string
		waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= n })
		return got
	})
	_, ourRun.stats = parseCSV(t, ourCSV(t, e))
	mu.Lock()
	ourRun.alerts = ourAlerts
	mu.Unlock()

	blocked := 0
	for i, tc := range checkcacheCases() {
		if refRun.answers[i] != ourRun.answers[i] {
			t.Errorf("%s: the client read\n%q from the reference,\n%q from ours", tc.desc, refRun.answers[i], ourRun.answers[i])
		}
		if strings.Contains(refRun.lines[2*i], fieldSep+"PH"+fieldSep) {
			blocked++
		}
	}
	compareLines(t, checkcacheTerms, refRun.lines, ourRun.lines)
	if blocked == 0 || blocked == len(checkcacheCases()) {
		t.Fatalf("the reference refused %d of %d responses: the cases test nothing", blocked, len(checkcacheCases()))
	}
	if !slices.Equal(refRun.alerts, ourRun.alerts) {
		t.Errorf("alerts:\nref  %q\nours %q", refRun.alerts, ourRun.alerts)
	}
	for _, row := range []string{"cc/FRONTEND", "cc/BACKEND", "cc/s1", "ins/s1", "nc/s1", "rules/s1", "deny/FRONTEND", "deny/BACKEND", "deny/s1", "fe/FRONTEND", "be/BACKEND", "be/s1"} {
		for _, f := range []string{"dresp", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx"} {
			if row == "deny/s1" && f != "dresp" {
				// The reference counts the status the server sent
				// there, ours the one the client got: not checkcache's.
				continue
			}
			if r, o := refRun.stats[row][f], ourRun.stats[row][f]; r != o {
				t.Errorf("%s %s: %s in the reference, %s in ours", row, f, r, o)
			}
		}
	}
}
