package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// httpErrorCases are http-error lines (and the errorfile lines they
// compete with) checked against the reference. A case's lines before a
// "--" line go to its own defaults section, the rest to its listen
// section; a case whose lines say "server " gets no s1 and s2.
var httpErrorCases = []actCase{
	{"defaults string", "http-error status 503 content-type text/plain string \"from defaults\"\n--\nhttp-request deny deny_status 503",
		[]string{get("/")}},
	{"lf-string and hdr samples", `http-error status 503 content-type text/plain lf-string "lf %[path] %%" hdr X-A "%[method]" hdr X-B lit
	http-request deny deny_status 503`, []string{get("/some/path"), get("/again")}},
	{"default-errorfiles resets the defaults' page", "http-error status 503 content-type text/plain string nope\n--\nhttp-error status 503 default-errorfiles\n\thttp-request deny deny_status 503",
		[]string{get("/")}},
	{"errorfiles section", "http-error status 503 errorfiles myerrs\n\thttp-request deny deny_status 503", []string{get("/")}},
	{"a later errorfile wins", "http-error status 503 content-type text/plain lf-file @DIR@/lf.txt\n\terrorfile 503 @DIR@/e503.http\n\thttp-request deny deny_status 503",
		[]string{get("/")}},
	{"a later http-error wins, empty", "errorfile 503 @DIR@/e503.http\n\thttp-error status 503\n\thttp-request deny deny_status 503",
		[]string{get("/"), get("/2")}},
	{"the proxy's own beats the defaults' errorfile", "errorfile 503 @DIR@/e503.http\n--\nhttp-error status 503 content-type text/plain string mine\n\thttp-request deny deny_status 503",
		[]string{get("/")}},
	{"file", "http-error status 403 content-type text/plain file @DIR@/body.txt\n\thttp-request deny", []string{get("/")}},
	{"lf-file", "http-error status 403 content-type text/html lf-file @DIR@/lf.txt\n\thttp-request deny", []string{get("/lf")}},
	{"auth challenge", "http-error status 401 content-type text/plain string \"need auth\" hdr X-Auth yes\n\thttp-request auth realm R",
		[]string{get("/")}},
	{"tarpit", "timeout tarpit 50ms\n\thttp-error status 500 content-type text/plain lf-string \"held %%\"\n\thttp-request tarpit",
		[]string{get("/t")}},
	{"tarpit answers without the request", "timeout tarpit 50ms\n\thttp-error status 500 content-type text/plain lf-string \"p=%[path] m=%[method] h=%[req.hdr(host)] s=%[src]\" hdr X-P \"%[path]\" hdr X-M \"%[method]\"\n\thttp-request tarpit",
		[]string{get("/t?q=1")}},
	{"tarpit rule's own payload", "timeout tarpit 50ms\n\thttp-request tarpit deny_status 403 content-type text/plain lf-string \"own p=%[path]\" hdr X-P \"%[path]\"",
		[]string{get("/own")}},
	{"an empty computed hdr is left out", "http-error status 503 content-type text/plain string x hdr X-E \"%[req.hdr(nope)]\" hdr X-F a\n\thttp-request deny deny_status 503",
		[]string{get("/")}},
	{"no server available", "http-error status 503 content-type text/plain lf-string \"no server for %[path]\"\n\t# and no server line",
		[]string{get("/busy")}},
	{"bad request", "http-error status 400 content-type text/plain string \"bad one\"",
		[]string{"GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n"}},
	{"an unrelated status keeps the built-in page", "http-error status 404 content-type text/plain string gone\n\thttp-request deny deny_status 503",
		[]string{get("/")}},
}

// httpErrorConfig is the configuration both sides run for
// httpErrorCases.
func httpErrorConfig(dir string, ports []int, s1, s2 string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "http-errors myerrs\n\terrorfile 503 %s/e503.http\n", dir)
	for i, c := range httpErrorCases {
		lines := strings.ReplaceAll(c.lines, "@DIR@", dir)
		def, own, split := strings.Cut(lines, "\n--\n")
		if !split {
			def, own = "", lines
		}
		fmt.Fprintf(&b, `defaults d%d
	mode http
	log stdout format raw local0
	option httplog
	timeout connect 1s
	timeout client 5s
	timeout server 5s
	%s
listen c%d from d%d
	bind 127.0.0.1:%d
	%s
`, i, def, i, i, ports[i], own)
		if !strings.Contains(own, "server ") {
			fmt.Fprintf(&b, "\tserver s1 %s\n\tserver s2 %s\n", s1, s2)
		}
	}
	return b.String()
}

// TestHTTPErrorMatchesReference: the pages http-error declares (plain,
// from files, log-format ones computed per request, empty, reset to the
// built-in page) answer deny, auth, tarpit, the missing server and the
// bad request as the reference's do, with errorfile and errorfiles lines
// overriding each other in file order, defaults first; the log lines
// (%B counts the page) match too.
func TestHTTPErrorMatchesReference(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"e503.http": actFiles["e503.http"],
		"body.txt":  actFiles["body.txt"],
		"lf.txt":    "<p>path=%[path] method=%[method]</p>\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runListenDiff(t, dir, listenDiff{cases: httpErrorCases, prefix: "c", config: httpErrorConfig, run: runActCase,
		logRE: httplogRE, maskLog: maskHTTPLog})
}
