package stats

import (
	"bytes"
	"testing"
)

// FuzzParseQuery: the page's URI flags and the exporter's query never
// panic, and what the page parses renders.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{";csv;norefresh", ";up;st=DONE", "?scope=be", ";json?scope=", "scope=server&no-maint",
		"scope=*&scope=global", "scope=listener", "scope=%zz", ";;=;", "?&&="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flags := ParseQuery(s)
		ParsePromQuery(s)
		_, up := flags["up"]
		var b bytes.Buffer
		if err := WritePage(&b, sampleSnapshot(), NewInfo(Process{}), Page{URI: "/s", Scope: flags["scope"], Status: flags["st"], Up: up},
			Options{Up: up, Scope: flags["scope"]}); err != nil {
			t.Fatal(err)
		}
	})
}
