package sample

import (
	"fmt"
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

// BenchmarkLargeLists: ACLs over thousands of hosts or networks (block
// lists, host maps) cost a map lookup, not a scan.
func BenchmarkLargeLists(b *testing.B) {
	e := httpEnv(b, testReq)
	hosts := []string{"hdr(host)", "-i"}
	nets := []string{"src"}
	for i := range 5000 {
		hosts = append(hosts, fmt.Sprintf("h%d.example.com", i))
		nets = append(nets, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	hosts = append(hosts, "www.example.com:8080")
	nets = append(nets, "192.168.1.0/24")
	for name, words := range map[string][]string{"5000 hosts": hosts, "5000 networks": nets} {
		a, err := ParseACL(words, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if a.Match(e) != Found {
					b.Fatal("no match")
				}
			}
		})
	}
}
