package proxy

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// gapPause splits a request into writes 200ms apart (a body that comes
// in pieces).
const gapPause = "|PAUSE|"

// post is a POST of body with a Content-Length.
func post(path, body string, headers ...string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: example.com\r\n" + strings.Join(append(headers, ""), "\r\n") +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(strings.ReplaceAll(body, gapPause, ""))) + body
}

// postChunked is a POST with a chunked body made of chunks.
func postChunked(path string, chunks ...string) string {
	var b strings.Builder
	b.WriteString("POST " + path + " HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n")
	for _, c := range chunks {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

const bodyFetches = `"b=%[req.body] l=%[req.body_len] s=%[req.body_size] a=%[req.body_param(a)] f=%[req.body_param] e=%[req.body_param(e)] n=%[req.len]"`

// gapCases are the configurations and requests of the differential test
// of httpgaps.go: body fetches and waits, capture fetches, tcp-request
// content rules in http mode and logasap.
var gapCases = []actCase{
	{"buffer-request body fetches", "option http-buffer-request\n\thttp-request return status 200 content-type text/plain lf-string " + bodyFetches,
		[]string{post("/f", "b=2;a=x?a=y&e&f=#g=1"), postChunked("/c", "abc", "de"), post("/slow", "ab"+gapPause+"cde"),
			post("/a", "A=1&a=2"), get("/")}},
	{"body fetches without a wait", "http-request return status 200 content-type text/plain lf-string " + bodyFetches,
		[]string{post("/f", "a=1"), get("/")}},
	{"body larger than the buffer", `http-request return status 200 content-type text/plain lf-string "l=%[req.body_len] s=%[req.body_size]"`,
		[]string{post("/big", strings.Repeat("x", 20000))}},
	{"chunked body larger than the buffer", `http-request return status 200 content-type text/plain lf-string "l=%[req.body_len] s=%[req.body_size]"`,
		[]string{postChunked("/bigc", "abc", strings.Repeat("y", 20000))}},
	{"wait-for-body at-least", `http-request wait-for-body time 1s at-least 1k
	http-request return status 200 content-type text/plain lf-string "l=%[req.body_len] s=%[req.body_size]"`,
		[]string{post("/w", "ab"+gapPause+"cde"), post("/w", strings.Repeat("z", 1100)+gapPause+strings.Repeat("z", 1900))}},
	{"wait-for-body timeout", "http-request wait-for-body time 300ms at-least 3\n\thttp-request return status 200",
		[]string{"POST /t HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"}},
	{"buffer-request timeout", "timeout http-request 300ms\n\toption http-buffer-request\n\thttp-request return status 200",
		[]string{"POST /t HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"}},
	{"body to the server", `option http-buffer-request
	http-request set-header X-Body %[req.body]
	http-request set-header X-Len %[req.body_len]`,
		[]string{post("/fwd", "ab"+gapPause+"cde"), postChunked("/fwdc", "12", "345"), get("/after")}},
	{"body larger than the buffer to the server", `option http-buffer-request
	http-request set-header X-Len %[req.body_len]
	http-request set-header X-Size %[req.body_size]`,
		[]string{post("/bigfwd", strings.Repeat("b", 20000)), get("/after")}},
	{"expect 100-continue while waiting", `option http-buffer-request
	http-request return status 200 content-type text/plain lf-string "l=%[req.body_len] e=%[req.hdr(expect)]" if { path /e }`,
		[]string{post("/e", gapPause+"abcde", "Expect: 100-continue"), post("/ef", gapPause+"abc", "Expect: 100-continue"),
			"POST /e10 HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n" + gapPause + "hi"}},
	{"response body fetches", `http-response set-header X-Body "l=%[res.body_len] s=%[res.body_size] b=%[res.body,length]"
	http-after-response set-header X-After "%[res.body_len]"`,
		[]string{get("/r"), post("/r2", "hi")}},
	{"capture fetches", `capture request header Host len 10
	capture request header X-A len 3
	declare capture request len 8
	capture response header X-Server len 2
	http-request capture req.hdr(x-c) id 2
	http-request set-header X-Caps "%[capture.req.method] %[capture.req.uri] %[capture.req.ver] %[capture.req.hdr(0)] %[capture.req.hdr(1)] %[capture.req.hdr(2)]"
	http-response set-header X-RCaps "%[capture.res.hdr(0)] %[capture.res.ver] %[capture.req.hdr(1)]"`,
		[]string{get("/a?b", "X-A: abcdef", "X-C: 0123456789"), "GET http://h.example/p?q HTTP/1.1\r\nHost: h.example\r\n\r\n",
			"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}},
	{"tcp-request content rules", `tcp-request inspect-delay 1s
	tcp-request content set-var(txn.cnt) int(1)
	tcp-request content set-var(sess.seen) path
	tcp-request content reject if { path /bad }
	tcp-request content accept if { path /acc }
	tcp-request content set-var(txn.after) str(yes)
	http-request return status 200 content-type text/plain lf-string "txn=%[var(txn.cnt)] sess=%[var(sess.seen)] after=%[var(txn.after)] len=%[req.len]"`,
		[]string{get("/a"), get("/acc"), get("/bad")}},
	{"tcp-request content rules see the body", `tcp-request inspect-delay 1s
	tcp-request content set-var(txn.l) req.len
	tcp-request content set-var(txn.b) req.body
	http-request return status 200 content-type text/plain lf-string "l=%[var(txn.l)] b=%[var(txn.b)] l2=%[req.len] b2=%[req.body]"`,
		[]string{post("/b", "hello"), post("/b", "he"+gapPause+"llo")}},
	{"tcp-request content track-sc", `stick-table type ip size 10 store http_req_cnt,conn_cnt
	tcp-request inspect-delay 1s
	tcp-request content track-sc0 src
	http-request return status 200 content-type text/plain lf-string "r=%[sc0_http_req_cnt] c=%[sc0_conn_cnt]"`,
		[]string{get("/1"), get("/2"), get("/3")}},
	{"logasap", "option logasap", []string{get("/"), post("/p", "hi")}},
	{"backend tcp-request content rules", "use_backend gbk", []string{get("/a"), get("/x")}},
}

// httpLogDefaults are the defaults of the differential configurations:
// http mode, httplog lines on stdout.
const httpLogDefaults = `defaults
	mode http
	log stdout format raw local0
	option httplog
	timeout connect 1s
	timeout client 5s
	timeout server 5s
`

// gapConfigText is the configuration both sides run.
func gapConfigText(_ string, ports []int, s1, s2 string) string {
	var b strings.Builder
	b.WriteString(httpLogDefaults)
	b.WriteString(`backend gbk
	tcp-request content set-var(txn.b) str(seen)
	tcp-request content reject if { path /x }
	http-request return status 200 content-type text/plain lf-string "b=%[var(txn.b)]"
`)
	for i, c := range gapCases {
		fmt.Fprintf(&b, "listen g%d\n\tbind 127.0.0.1:%d\n\tbalance roundrobin\n\t%s\n\tserver s1 %s\n\tserver s2 %s\n",
			i, ports[i], c.lines, s1, s2)
	}
	return b.String()
}

// gapLogRE splits an httplog line around what differs by nature, keeping
// the '+' of logasap's partial values.
var gapLogRE = regexp.MustCompile(`^([0-9.]+):\d+ \[[^\]]+\] (\S+ \S+) (\S+) (-?\d+) (\+?\d+) (.*)$`)

// maskGapLog masks the client port, the date and the timer values (-1
// kept, '+' kept) of an httplog line.
func maskGapLog(t *testing.T, line string) string {
	m := gapLogRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not an httplog line: %q", line)
	}
	timers := strings.Split(m[3], "/")
	for i, v := range timers {
		if v != "-1" {
			timers[i] = regexp.MustCompile(`\d+`).ReplaceAllString(v, "T")
		}
	}
	return fmt.Sprintf("%s:PORT [DATE] %s %s %s %s %s", m[1], m[2], strings.Join(timers, "/"), m[4], m[5], m[6])
}

// TestHTTPGapsDifferential: the body fetches and waits, the capture
// fetches, tcp-request content rules in http mode and logasap answer and
// log as the reference's, with the same configuration.
func TestHTTPGapsDifferential(t *testing.T) {
	runListenDiff(t, t.TempDir(), listenDiff{cases: gapCases, prefix: "g", config: gapConfigText, run: runActCase,
		logRE: gapLogRE, maskLog: maskGapLog})
}

// TestCaptureLogFormatDifferential: the capture fetches in a log-format
// (a body captured by a rule, a response header, the request line's
// parts and the versions) log as the reference's, for a request answered
// by the proxy and for one a server answered.
func TestCaptureLogFormatDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := actBackend(t, "s1")
	text := func(port int) string {
		return fmt.Sprintf(`defaults
	mode http
	log stdout format raw local0
	timeout client 5s
	timeout connect 1s
	timeout server 5s
frontend cap
	bind 127.0.0.1:%d
	option http-buffer-request
	declare capture request len 40
	capture response header X-Server len 5
	http-request capture req.body id 0
	log-format "cap %%[capture.req.hdr(0)] %%[capture.res.hdr(0)] %%[capture.req.method] %%[capture.req.uri] %%[capture.req.ver] %%[capture.res.ver] %%{+Q}r"
	http-request return status 200 content-type text/plain string ok if { path /local }
	server s1 %s
`, port, srv)
	}
	refPort, ourPort := difftest.FreePort(t), difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, strings.Replace(text(refPort), "frontend cap", "listen cap", 1))
	_, lines := startOurs(t, strings.Replace(text(ourPort), "frontend cap", "listen cap", 1), plainLine)
	c := actCase{reqs: []string{post("/local?q", gapPause+"a=1&b=2"), "GET http://h.example/srv HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}}
	runActCase(t, fmt.Sprintf("127.0.0.1:%d", refPort), c)
	runActCase(t, fmt.Sprintf("127.0.0.1:%d", ourPort), c)
	want := refLines(ref, "cap ", 3)
	var got []string
	for range 200 {
		if got = lines(); len(got) >= len(want) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if len(want) != 3 || strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("log lines:\nref\n%s\nours\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}
