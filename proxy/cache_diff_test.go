package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stats"
)

// cacheTerms is the log format of the cache comparisons.
var cacheTerms = []string{"C", "%b", "%s", "%ST", "%ts", "%r", "%[res.cache_hit]", "%[res.cache_name]", "%B", "%U"}

// cacheOrigin answers each request with the response its path names
// (cacheResponses) and counts what it got per request line: whether a
// request reached it is what tells a cache hit from a miss.
type cacheOrigin struct {
	addr string
	mu   sync.Mutex
	hits map[string]int
}

// cacheResponses are the origin's answers by path: a status line and
// headers (a body follows with its Content-Length, or chunked when the
// headers say so).
var cacheResponses = map[string]struct {
	head, body string
}{
	"/plain":     {"200 OK\r\nCache-Control: max-age=60", "hello"},
	"/bare":      {"200 OK", "bare"},
	"/lastmod":   {"200 OK\r\nLast-Modified: Tue, 10 Nov 2026 10:00:00 GMT", "lm"},
	"/etag":      {"200 OK\r\nETag: \"v1\"\r\nCache-Control: max-age=60", "tagged"},
	"/expires":   {"200 OK\r\nExpires: Thu, 01 Dec 2094 16:00:00 GMT", "exp"},
	"/expired":   {"200 OK\r\nExpires: Thu, 01 Dec 1994 16:00:00 GMT", "old"},
	"/badexp":    {"200 OK\r\nExpires: soon", "bad"},
	"/nostore":   {"200 OK\r\nCache-Control: no-store", "ns"},
	"/private":   {"200 OK\r\nCache-Control: private", "pv"},
	"/nocache":   {"200 OK\r\nCache-Control: no-cache", "nc"},
	"/maxage0":   {"200 OK\r\nCache-Control: max-age=0", "m0"},
	"/public":    {"200 OK\r\nCache-Control: public", "pub"},
	"/cookie":    {"200 OK\r\nCache-Control: max-age=60\r\nSet-Cookie: a=b", "ck"},
	"/cookienc":  {"200 OK\r\nCache-Control: max-age=60, no-cache=\"set-cookie\"\r\nSet-Cookie: a=b", "cknc"},
	"/vary":      {"200 OK\r\nCache-Control: max-age=60\r\nVary: Accept-Encoding", "vae"},
	"/varyref":   {"200 OK\r\nCache-Control: max-age=60\r\nVary: Referer", "vref"},
	"/varyua":    {"200 OK\r\nCache-Control: max-age=60\r\nVary: User-Agent", "vua"},
	"/varyorg":   {"200 OK\r\nCache-Control: max-age=60\r\nVary: Origin", "vorg"},
	"/varyboth":  {"200 OK\r\nCache-Control: max-age=60\r\nVary: Accept-Encoding, Referer\r\nContent-Encoding: gzip", "vboth"},
	"/big":       {"200 OK\r\nCache-Control: max-age=60", strings.Repeat("b", 3000)},
	"/chunked":   {"200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked", "chunky body"},
	"/bigchunk":  {"200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked", strings.Repeat("c", 3000)},
	"/age":       {"200 OK\r\nCache-Control: max-age=60\r\nAge: 10", "aged"},
	"/stale":     {"200 OK\r\nCache-Control: max-age=60\r\nAge: 100", "stale"},
	"/404":       {"404 Not Found\r\nCache-Control: max-age=60", "nf"},
	"/301":       {"301 Moved\r\nCache-Control: max-age=60\r\nLocation: /x", "mv"},
	"/203":       {"203 Non-Authoritative\r\nCache-Control: max-age=60", "na"},
	"/500":       {"500 Oops\r\nCache-Control: max-age=60", "err"},
	"/short":     {"200 OK\r\nCache-Control: max-age=1", "short"},
	"/smaxage":   {"200 OK\r\nCache-Control: s-maxage=1, max-age=60", "sm"},
	"/maxagebad": {"200 OK\r\nCache-Control: max-age=x", "mx"},
}

func newCacheOrigin(t *testing.T) *cacheOrigin {
	o := &cacheOrigin{hits: map[string]int{}}
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		rd := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(rd)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			o.mu.Lock()
			o.hits[req.Method+" "+req.URL.RequestURI()]++
			n := o.hits[req.Method+" "+req.URL.RequestURI()]
			o.mu.Unlock()
			path, _, _ := strings.Cut(req.URL.Path, ";")
			r, ok := cacheResponses[path]
			if !ok {
				r.head, r.body = "200 OK\r\nCache-Control: max-age=60", "default"
			}
			if n, err := strconv.Atoi(strings.TrimPrefix(path, "/sized/")); err == nil {
				r.body = strings.Repeat("s", n) // about the object size limit
			}
			if n, err := strconv.Atoi(strings.TrimPrefix(path, "/sizedchunk/")); err == nil {
				r.head, r.body = "200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked", strings.Repeat("c", n)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "HTTP/1.1 %s\r\nX-N: %d\r\n", r.head, n)
			if strings.Contains(r.head, "chunked") {
				b.WriteString("\r\n")
				for s := r.body; len(s) > 0; {
					k := min(len(s), 1000)
					fmt.Fprintf(&b, "%x\r\n%s\r\n", k, s[:k])
					s = s[k:]
				}
				b.WriteString("0\r\n\r\n")
			} else {
				fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(r.body), r.body)
			}
			if _, err := io.WriteString(c, b.String()); err != nil {
				return
			}
		}
	})
	o.addr = ln.Addr().String()
	return o
}

// count is how many times the origin got the request line.
func (o *cacheOrigin) count(line string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[line]
}

// cacheConfig is a cache section and a listen section with the rules
// and the origin as its one server; with beRules, a frontend with the
// rules and a backend with beRules and the server.
func cacheConfig(cacheLines, rules, beRules string) func(port int, be string) string {
	return func(port int, be string) string {
		proxies, server := "listen fe\n", "\tserver s1 "+be
		if beRules != "" {
			proxies = "backend be\n" + beRules + "\n" + server + "\nfrontend fe\n\tdefault_backend be\n"
			server = ""
		}
		return fmt.Sprintf(`defaults
	mode http
	log stdout format raw local0
	timeout connect 1s
	timeout client 5s
	timeout server 5s
cache c1
%s
%s	bind 127.0.0.1:%d
	log-format "%s"
%s
%s
`, cacheLines, proxies, port, strings.Join(cacheTerms, fieldSep), rules, server)
	}
}

// cacheStep is one request of a cache scenario; wait pauses before it.
type cacheStep struct {
	req  string
	wait time.Duration
	// unanswered: the connection may end without an answer (silent-drop),
	// which the client waits for only briefly.
	unanswered bool
}

// cget is a GET of path with extra header lines.
func cget(path string, hdrs ...string) cacheStep {
	return cacheStep{req: "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + joinHdrs(hdrs) + ""}
}

func joinHdrs(hdrs []string) string {
	var b strings.Builder
	for _, h := range hdrs {
		b.WriteString(h + "\r\n")
	}
	return b.String()
}

// cacheSeen is what one request of a scenario showed: the status, the
// headers that tell where the answer came from, the body, and whether
// the origin got the request.
type cacheSeen struct {
	status   string
	encoding string
	age      bool
	xn       string
	framing  string
	body     string
	origin   bool
}

func (s cacheSeen) String() string {
	body := s.body
	if len(body) > 20 {
		body = body[:10] + fmt.Sprintf("...(%d)", len(body))
	}
	return fmt.Sprintf("status=%s age=%v X-N=%s framing=%s encoding=%s origin=%v body=%q", s.status, s.age, s.xn, s.framing, s.encoding, s.origin, body)
}

// playCache sends the steps, one connection each or all on one
// (keepAlive), and reports what each showed.
func playCache(t *testing.T, addr string, o *cacheOrigin, steps []cacheStep, keepAlive bool) []cacheSeen {
	var seen []cacheSeen
	var c net.Conn
	var rd *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for _, st := range steps {
		time.Sleep(st.wait)
		line, _, _ := strings.Cut(st.req, "\r\n")
		method, rest, _ := strings.Cut(line, " ")
		uri, _, _ := strings.Cut(rest, " ")
		if u, err := url.Parse(uri); err == nil {
			uri = u.RequestURI()
		}
		before := o.count(method + " " + uri)
		if c == nil || !keepAlive {
			if c != nil {
				c.Close()
			}
			var err error
			if c, err = net.Dial("tcp", addr); err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			rd = bufio.NewReader(c)
		}
		req := st.req + "\r\n"
		if !keepAlive {
			req = st.req + "Connection: close\r\n\r\n"
		}
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if st.unanswered {
			c.SetReadDeadline(time.Now().Add(time.Second))
		}
		resp, err := http.ReadResponse(rd, &http.Request{Method: method})
		if err != nil && st.unanswered {
			// How it ended is what is compared: nothing within the
			// wait, a reset or a close.
			end := "closed"
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				end = "silent"
			case errors.Is(err, syscall.ECONNRESET):
				end = "reset"
			}
			seen = append(seen, cacheSeen{status: "none, " + end, origin: o.count(method+" "+uri) > before})
			c.Close()
			c = nil
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		s := cacheSeen{origin: o.count(method+" "+uri) > before, body: string(body), status: strconv.Itoa(resp.StatusCode),
			xn: resp.Header.Get("X-N"), framing: "close", encoding: resp.Header.Get("Content-Encoding")}
		if s.encoding == "gzip" {
			// Compressors differ in their bytes: what they hold is
			// compared (the origin's own "gzip" bodies are not).
			if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
				if plain, err := io.ReadAll(zr); err == nil {
					s.body = string(plain)
				}
			}
		}
		_, s.age = resp.Header["Age"]
		switch {
		case len(resp.TransferEncoding) > 0:
			s.framing = "chunked"
		case resp.Header.Get("Content-Length") != "":
			s.framing = "length"
		}
		seen = append(seen, s)
	}
	return seen
}

// maskChunkedMisses hides %B in the lines of chunked responses relayed
// from the server: the engine counts their chunk framing, the reference
// only their data (a relay matter, not the cache's).
func maskChunkedMisses(lines []string) {
	for i, l := range lines {
		f := strings.Split(l, fieldSep)
		if len(f) == len(cacheTerms) && f[2] != "<CACHE>" && strings.Contains(f[5], "chunk") {
			f[8] = "X"
			lines[i] = strings.Join(f, fieldSep)
		}
	}
}

// cacheCounters lists the proxies' cache_lookups/cache_hits of a
// `show stat` CSV.
func cacheCounters(csv string) string {
	lines := strings.Split(strings.TrimPrefix(csv, "# "), "\n")
	cols := strings.Split(lines[0], ",")
	lookups, hits := slices.Index(cols, "cache_lookups"), slices.Index(cols, "cache_hits")
	var out []string
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) > max(lookups, hits) && (f[1] == "FRONTEND" || f[1] == "BACKEND") {
			out = append(out, f[0]+"/"+f[1]+"="+f[lookups]+"/"+f[hits])
		}
	}
	return strings.Join(out, " ")
}

// sizedSteps ask twice for bodies about max-object-size 300, with a
// Content-Length or chunked.
func sizedSteps() []cacheStep {
	var steps []cacheStep
	for n := 72; n <= 90; n++ {
		for _, kind := range []string{"/sized/", "/sizedchunk/"} {
			p := kind + strconv.Itoa(n)
			steps = append(steps, cget(p), cget(p))
		}
	}
	return steps
}

// cacheCases are the scenarios of the cache comparison.
var cacheCases = []struct {
	desc       string
	cacheLines string
	rules      string
	steps      []cacheStep
	keepAlive  bool
	// beRules are the rules of a backend apart from the frontend.
	beRules string
}{
	{desc: "statuses and cache-control", steps: []cacheStep{
		cget("/plain"), cget("/plain"), cget("/bare"), cget("/bare"), cget("/lastmod"), cget("/lastmod"),
		cget("/expires"), cget("/expires"), cget("/expired"), cget("/expired"), cget("/badexp"), cget("/badexp"),
		cget("/nostore"), cget("/nostore"), cget("/private"), cget("/private"), cget("/nocache"), cget("/nocache"),
		cget("/maxage0"), cget("/maxage0"), cget("/public"), cget("/public"), cget("/404"), cget("/404"),
		cget("/301"), cget("/301"), cget("/203"), cget("/203"), cget("/500"), cget("/500"),
		cget("/maxagebad"), cget("/maxagebad"),
	}},
	{desc: "cookies, age, sizes, chunked", steps: []cacheStep{
		cget("/cookie"), cget("/cookie"), cget("/cookienc"), cget("/cookienc"), cget("/age"), cget("/age"),
		cget("/stale"), cget("/stale"), cget("/big"), cget("/big"), cget("/chunked"), cget("/chunked"),
		cget("/bigchunk"), cget("/bigchunk"),
	}},
	{desc: "request side", steps: []cacheStep{
		cget("/plain"), cget("/plain", "Cache-Control: no-cache"), cget("/plain", "Pragma: no-cache"),
		cget("/plain", "Cache-Control: max-age=0"), cget("/plain", "Cache-Control: no-store"),
		cget("/plain", "Pragma: no-cache", "Cache-Control: max-age=5"),
		cget("/plain", "Authorization: Basic eDp5"), cget("/plain", "If-None-Match: *"),
		cget("/etag"), cget("/etag", "If-None-Match: \"v1\""), cget("/etag", "If-None-Match: W/\"v1\""), cget("/etag", "If-None-Match: \"v2\""),
		cget("/lastmod"), cget("/lastmod", "If-Modified-Since: Wed, 11 Nov 2026 10:00:00 GMT"),
		cget("/lastmod", "If-Modified-Since: Mon, 09 Nov 2026 10:00:00 GMT"),
		cget("/etag", "If-None-Match: \"v2\"", "If-Modified-Since: Wed, 11 Nov 2094 10:00:00 GMT"),
		{req: "HEAD /plain HTTP/1.1\r\nHost: h\r\n"},
		{req: "HEAD /head HTTP/1.1\r\nHost: h\r\n"}, cget("/head"), cget("/head"),
		{req: "GET /plain HTTP/1.0\r\nHost: h\r\n"},
		{req: "GET /v10 HTTP/1.0\r\nHost: h\r\n"}, cget("/v10"),
		cget("/plain", "Host: other"), cget("/plain?q=1"), cget("/plain?q=1"),
		{req: "GET http://h/plain HTTP/1.1\r\nHost: h\r\n"},
		{req: "POST /plain HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"},
		cget("/plain"), cget("/plain"),
		{req: "DELETE /404 HTTP/1.1\r\nHost: h\r\n"},
	}},
	{desc: "object size limit", cacheLines: "\ttotal-max-size 4\n\tmax-object-size 300", steps: sizedSteps()},
	{desc: "large objects", cacheLines: "\ttotal-max-size 4\n\tmax-object-size 400000", steps: []cacheStep{
		cget("/sized/150000"), cget("/sized/150000"), cget("/sizedchunk/150000"), cget("/sizedchunk/150000"),
		cget("/sized/500000"), cget("/sized/500000"), cget("/sizedchunk/500000"), cget("/sizedchunk/500000"),
	}},
	{desc: "eviction", cacheLines: "\ttotal-max-size 1\n\tmax-object-size 400000", steps: []cacheStep{
		cget("/sized/300000?a"), cget("/sized/300000?b"), cget("/sized/300000?c"), cget("/sized/300000?a"),
		cget("/sized/300000?d"), cget("/sized/300000?c"), cget("/sized/300000?a"), cget("/sized/300000?d"), cget("/sized/300000?b"),
	}},
	{desc: "expiry", cacheLines: "\ttotal-max-size 4\n\tmax-age 1", steps: []cacheStep{
		cget("/plain"), cget("/plain"), {req: cget("/plain").req, wait: 2100 * time.Millisecond}, cget("/plain"),
		cget("/short"), cget("/short"), cget("/smaxage"), cget("/smaxage"),
	}},
	{desc: "vary off", steps: []cacheStep{
		cget("/vary"), cget("/vary"), cget("/varyref"), cget("/varyref"),
	}},
	{desc: "vary on", cacheLines: "\ttotal-max-size 4\n\tprocess-vary on\n\tmax-secondary-entries 2", steps: []cacheStep{
		cget("/vary"), cget("/vary"), cget("/vary", "Accept-Encoding: gzip"), cget("/vary", "Accept-Encoding: gzip"),
		cget("/vary", "Accept-Encoding: br"), cget("/vary", "Accept-Encoding: br"),
		cget("/varyref", "Referer: a"), cget("/varyref", "Referer: a"), cget("/varyref", "Referer: b"), cget("/varyref", "Referer: b"),
		cget("/varyref", "Referer: c"), cget("/varyref", "Referer: c"), cget("/varyref", "Referer: a"),
		cget("/varyua"), cget("/varyua"), cget("/varyorg", "Origin: a"), cget("/varyorg", "Origin: a"),
		cget("/varyboth", "Referer: a", "Accept-Encoding: gzip"), cget("/varyboth", "Referer: a", "Accept-Encoding: gzip, br"),
		cget("/varyboth", "Referer: a", "Accept-Encoding: br"), cget("/varyboth", "Referer: b", "Accept-Encoding: gzip"),
		cget("/varyboth", "Referer: a"),
	}},
	{desc: "conditions", rules: "\thttp-request cache-use c1 if { path_beg /plain }\n\thttp-response cache-store c1 unless { res.hdr(X-N) -m str 9 }", steps: []cacheStep{
		cget("/plain"), cget("/plain"), cget("/lastmod"), cget("/lastmod"),
	}},
	{desc: "kept alive", keepAlive: true, steps: []cacheStep{
		cget("/plain"), cget("/plain"), cget("/chunked"), cget("/chunked"), {req: "HEAD /plain HTTP/1.1\r\nHost: h\r\n"},
		cget("/etag", "If-None-Match: \"v1\""), cget("/etag", "If-None-Match: \"v1\""), cget("/bare"), cget("/plain"),
	}},
	{desc: "response rules on hits", rules: "\thttp-request cache-use c1\n\thttp-response cache-store c1\n" +
		"\thttp-response set-header X-N hit if { res.cache_hit }\n\thttp-after-response set-header X-N after-%[res.cache_name] if { res.cache_hit }",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/lastmod"), cget("/lastmod")}},
	{desc: "answering response rules on hits", rules: "\thttp-request set-var(txn.d) req.hdr(x-d)\n\thttp-request set-var(txn.p) path\n\thttp-request cache-use c1\n\thttp-response cache-store c1\n" +
		"\thttp-response deny deny_status 403 if { var(txn.d) -m found } { var(txn.p) -m str /plain }\n" +
		"\thttp-response return status 202 content-type text/plain string ret if { var(txn.d) -m found } { var(txn.p) -m str /lastmod }\n" +
		"\thttp-response redirect location /moved if { var(txn.d) -m found } { var(txn.p) -m str /etag }",
		steps: []cacheStep{cget("/plain"), cget("/plain", "X-D: 1"), cget("/lastmod"), cget("/lastmod", "X-D: 1"), cget("/etag"), cget("/etag", "X-D: 1"), cget("/plain?miss", "X-D: 1")}},
	{desc: "answering response rules on hits, frontend and backend", beRules: "\thttp-response cache-store c1", rules: "\thttp-request set-var(txn.d) req.hdr(x-d)\n\thttp-request set-var(txn.p) path\n\thttp-request cache-use c1\n" +
		"\thttp-response deny deny_status 403 if { var(txn.d) -m found } { var(txn.p) -m str /plain }\n" +
		"\thttp-response return status 202 content-type text/plain string ret if { var(txn.d) -m found } { var(txn.p) -m str /lastmod }\n" +
		"\thttp-response redirect location /moved if { var(txn.d) -m found } { var(txn.p) -m str /etag }",
		steps: []cacheStep{cget("/plain"), cget("/plain", "X-D: 1"), cget("/lastmod"), cget("/lastmod", "X-D: 1"), cget("/etag"), cget("/etag", "X-D: 1"), cget("/plain?miss", "X-D: 1")}},
	// A hit answers once the rules after the cache-use ran (the
	// variable set after it is in the answer); the legacy redirects
	// and the backend's rules do not run. (A later rule answering
	// itself is left out: the reference then sends its answer and a 400
	// after it, a defect we do not copy.)
	{desc: "rules after a hit", rules: "\thttp-request cache-use c1\n\thttp-request set-var(txn.v) str(later)\n" +
		"\tredirect location /r if { req.hdr(x-redir) -m found }\n\thttp-response cache-store c1\n\thttp-after-response set-header X-N %[var(txn.v)]",
		beRules: "\thttp-request deny deny_status 404 if { req.hdr(x-bedeny) -m found }",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/plain", "X-Redir: 1"), cget("/plain", "X-BeDeny: 1"),
			cget("/lastmod", "X-Redir: 1"), cget("/lastmod", "X-BeDeny: 1")}},
	// silent-drop on a hit: the client hears nothing at all.
	{desc: "silent-drop on hits", rules: "\thttp-request set-var(txn.d) req.hdr(x-d)\n\thttp-request cache-use c1\n\thttp-response cache-store c1\n" +
		"\thttp-response silent-drop if { var(txn.d) -m found }",
		steps: []cacheStep{cget("/plain"), {req: cget("/plain", "X-D: 1").req, unanswered: true}, cget("/plain")}},
	{desc: "use in the frontend, store in the backend", rules: "\thttp-request cache-use c1", beRules: "\thttp-response cache-store c1",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/lastmod")}},
	{desc: "both in the backend", rules: "\thttp-request set-header X-Fe 1", beRules: "\thttp-request cache-use c1\n\thttp-response cache-store c1",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/plain", "Cache-Control: no-cache")}},
	{desc: "persistence cookie", rules: "\tcookie SRV insert\n\thttp-request cache-use c1\n\thttp-response cache-store c1",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/cookie"), cget("/cookie"), cget("/lastmod", "Cookie: SRV=s1"), cget("/lastmod")}},
	{desc: "persistence cookie, nocache", rules: "\tcookie SRV insert nocache\n\thttp-request cache-use c1\n\thttp-response cache-store c1",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/cookie"), cget("/cookie")}},
	{desc: "option checkcache", rules: "\toption checkcache\n\thttp-request cache-use c1\n\thttp-response cache-store c1",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/cookie"), cget("/cookie"), cget("/cookienc"), cget("/cookienc")}},
	{desc: "with compression", rules: "\tcompression algo gzip\n\tfilter cache c1\n\tfilter compression\n\thttp-request cache-use c1\n\thttp-response cache-store c1",
		steps: []cacheStep{cget("/plain"), cget("/plain"), cget("/plain", "Accept-Encoding: gzip"), cget("/lastmod", "Accept-Encoding: gzip"),
			cget("/lastmod", "Accept-Encoding: gzip"), cget("/lastmod"), cget("/chunked", "Accept-Encoding: gzip"), cget("/chunked"),
			cget("/chunked", "Accept-Encoding: gzip"), cget("/etag", "Accept-Encoding: gzip"), cget("/etag", "Accept-Encoding: gzip"),
			cget("/etag", "If-None-Match: W/\"v1\""), {req: "HEAD /plain HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n"}}},
	{desc: "store after a rewrite", rules: "\thttp-request cache-use c1\n\thttp-response set-header X-N stored\n\thttp-response cache-store c1\n\thttp-response set-header X-N after",
		steps: []cacheStep{cget("/plain"), cget("/plain")}},
}

// TestCacheMatchesReference plays the same requests through the
// reference and ours with the same cache configuration and compares,
// request by request, what the client saw, whether the origin was
// reached, and the log lines.
func TestCacheMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, tc := range cacheCases {
		t.Run(tc.desc, func(t *testing.T) {
			cacheLines := tc.cacheLines
			if cacheLines == "" {
				cacheLines = "\ttotal-max-size 4\n\tmax-object-size 2000\n\tmax-age 60"
			}
			rules := tc.rules
			if rules == "" {
				rules = "\thttp-request cache-use c1\n\thttp-response cache-store c1"
			}
			cfg := cacheConfig(cacheLines, rules, tc.beRules)
			refOrigin := newCacheOrigin(t)
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port, refOrigin.addr))
			refSeen := playCache(t, fmt.Sprintf("127.0.0.1:%d", port), refOrigin, tc.steps, tc.keepAlive)
			refGot := refLines(ref, "C^", len(tc.steps))
			ourOrigin := newCacheOrigin(t)
			e, ours := startOurs(t, cfg(difftest.FreePort(t), ourOrigin.addr), plainLine)
			ourSeen := playCache(t, feAddr(e, "fe"), ourOrigin, tc.steps, tc.keepAlive)
			var ourGot []string
			waitFor(t, "our log lines", func() bool { ourGot = ours(); return len(ourGot) >= len(tc.steps) })
			for i := range tc.steps {
				req := strings.SplitN(tc.steps[i].req, "\r\nConn", 2)[0]
				if refSeen[i] != ourSeen[i] {
					t.Errorf("request %d %q:\nref  %s\nours %s", i, req, refSeen[i], ourSeen[i])
				}
			}
			// A miss is logged once its body left, which may be after the
			// next request (a hit) was: the lines are compared as sets.
			slices.Sort(refGot)
			slices.Sort(ourGot)
			maskChunkedMisses(refGot)
			maskChunkedMisses(ourGot)
			compareLines(t, cacheTerms, refGot, ourGot)
			refStat, err := ref.Command("show stat")
			if err != nil {
				t.Fatal(err)
			}
			var ourStat bytes.Buffer
			stats.WriteCSV(&ourStat, e.Snapshot(), stats.Options{})
			if r, o := cacheCounters(refStat), cacheCounters(ourStat.String()); r != o {
				t.Errorf("cache_lookups/cache_hits: reference %s, ours %s", r, o)
			}
		})
	}
}

// TestCacheH2MatchesReference: HTTP/2 clients are served from the cache
// as by the reference: what a request stored serves the next one, HEAD
// and conditional requests included, logged alike.
func TestCacheH2MatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	cfg := cacheConfig("\ttotal-max-size 4\n\tmax-object-size 2000", "\thttp-request cache-use c1\n\thttp-response cache-store c1", "")
	steps := []struct{ method, path, inm string }{
		{"GET", "/plain", ""}, {"GET", "/plain", ""}, {"HEAD", "/plain", ""}, {"GET", "/etag", ""},
		{"GET", "/etag", `"v1"`}, {"GET", "/chunked", ""}, {"GET", "/chunked", ""}, {"GET", "/bare", ""}, {"GET", "/bare", ""},
	}
	play := func(port int, o *cacheOrigin) []cacheSeen {
		c := h2Client(fmt.Sprintf("127.0.0.1:%d", port), true)
		var seen []cacheSeen
		for _, st := range steps {
			before := o.count(st.method + " " + st.path)
			req, err := http.NewRequest(st.method, fmt.Sprintf("http://127.0.0.1:%d%s", port, st.path), nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.inm != "" {
				req.Header.Set("If-None-Match", st.inm)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", st.method, st.path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			s := cacheSeen{status: strconv.Itoa(resp.StatusCode), xn: resp.Header.Get("X-N"), body: string(body),
				origin: o.count(st.method+" "+st.path) > before}
			_, s.age = resp.Header["Age"]
			seen = append(seen, s)
		}
		return seen
	}
	refOrigin := newCacheOrigin(t)
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port, refOrigin.addr))
	refSeen := play(port, refOrigin)
	refGot := refLines(ref, "C^", len(steps))

	ourOrigin := newCacheOrigin(t)
	ourPort := difftest.FreePort(t)
	_, ours := startOurs(t, cfg(ourPort, ourOrigin.addr), plainLine)
	ourSeen := play(ourPort, ourOrigin)
	var ourGot []string
	waitFor(t, "our log lines", func() bool { ourGot = ours(); return len(ourGot) >= len(steps) })
	for i, st := range steps {
		if refSeen[i] != ourSeen[i] {
			t.Errorf("request %d %s %s:\nref  %s\nours %s", i, st.method, st.path, refSeen[i], ourSeen[i])
		}
	}
	for i := range refGot {
		refGot[i] = strings.ReplaceAll(refGot[i], strconv.Itoa(port), "PORT")
	}
	for i := range ourGot {
		ourGot[i] = strings.ReplaceAll(ourGot[i], strconv.Itoa(ourPort), "PORT")
	}
	slices.Sort(refGot)
	slices.Sort(ourGot)
	maskChunkedMisses(refGot)
	maskChunkedMisses(ourGot)
	compareLines(t, cacheTerms, refGot, ourGot)
}
