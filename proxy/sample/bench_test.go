package sample

import (
	"strings"
	"testing"
)

// BenchmarkACL measures the common routing ACLs on a parsed request; they
// must not allocate.
func BenchmarkACL(b *testing.B) {
	e := httpEnv(b, testReq)
	for _, acl := range []string{"hdr(host) -i www.example.com:8080", "path_beg /static /api", "hdr_dom(host) -i example.com",
		"path_reg ^/api/v[0-9]+/", "src 192.168.0.0/16", "cook(sid) def", "url_param(name) bob"} {
		a, err := ParseACL(strings.Fields(acl), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(acl, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if a.Match(e) != Found {
					b.Fatal("no match")
				}
			}
		})
	}
}
