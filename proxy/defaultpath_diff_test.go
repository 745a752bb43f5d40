package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// defaultPathCases use files by relative names that only "default-path
// origin DIR" (the test runs elsewhere) makes findable: an errorfile, a
// map converter, an ACL pattern file and an http-request return file.
var defaultPathCases = []actCase{
	{"errorfile", "errorfile 503 e503.http\n\thttp-request deny deny_status 503", []string{get("/")}},
	{"map converter", "http-request return status 200 content-type text/plain lf-string \"v=%[query,map(m.map,none)]\"",
		[]string{get("/?a"), get("/?z"), get("/?q")}},
	{"acl pattern file", "acl listed hdr(x-name) -f l.acl\n\thttp-request deny deny_status 403 if listed",
		[]string{get("/", "X-Name: listed-first"), get("/", "X-Name: other")}},
	{"return file", "http-request return status 200 content-type text/plain file body.txt", []string{get("/")}},
}

// defaultPathConfig is the configuration both sides run for
// defaultPathCases: every file name in it is relative.
func defaultPathConfig(dir string, ports []int, s1, s2 string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n\tdefault-path origin %s\n", dir)
	b.WriteString("defaults\n\tmode http\n\tlog stdout format raw local0\n\toption httplog\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n")
	for i, c := range defaultPathCases {
		fmt.Fprintf(&b, "listen dp%d\n\tbind 127.0.0.1:%d\n\t%s\n\tserver s1 %s\n", i, ports[i], c.lines, s1)
	}
	return b.String()
}

// TestDefaultPathMatchesReference: files named relative to the global
// default-path directory answer as the reference's do.
func TestDefaultPathMatchesReference(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"e503.http", "m.map", "l.acl", "body.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(actFiles[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat("e503.http"); err == nil {
		t.Fatal("the test must not run where its files are")
	}
	runListenDiff(t, dir, listenDiff{cases: defaultPathCases, prefix: "dp", config: defaultPathConfig, run: runActCase,
		logRE: httplogRE, maskLog: maskHTTPLog})
}
