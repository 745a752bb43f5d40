package haproxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoad measures Load on a generated configuration of about
// 20,000 lines (bench/haproxy-check.sh compares with the reference).
func BenchmarkLoad(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("defaults\n mode http\n timeout client 1s\n timeout connect 1s\n timeout server 1s\nfrontend fe\n bind 127.0.0.1:18080\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, " acl host_%d hdr(host) -i app%d.example.com\n use_backend be_%d if host_%d\n", i, i, i, i)
	}
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "backend be_%d\n balance roundrobin\n", i)
		for s := 0; s < 16; s++ {
			fmt.Fprintf(&sb, " server s%d 127.0.0.1:%d check inter 2s weight %d\n", s, 20000+s, s+1)
		}
	}
	path := filepath.Join(b.TempDir(), "bench.cfg")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg, diags := LoadWith(Options{Resolve: noNetwork}, path)
		if HasFatal(cfg) {
			b.Fatal(diags)
		}
	}
}
