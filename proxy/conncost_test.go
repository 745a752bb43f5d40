package proxy

import (
	"fmt"
	"io"
	"net"
	"testing"

	"fulcrum/confparse"
	"fulcrum/proxy/internal/difftest"
)

// BenchmarkTCPNewConnection proxies one request and its response per
// connection in tcp mode: accept, dial, tunnel, close. Its allocations
// per operation (client and server included) follow the per-connection
// cost of the engine.
func BenchmarkTCPNewConnection(b *testing.B) {
	srv := difftest.Serve(b, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err == nil {
			c.Write([]byte("pong"))
		}
	})
	cfg, diags := adapt(b, fmt.Sprintf(`defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen bench
    bind 127.0.0.1:%d
    server s1 %s
`, difftest.FreePort(b), srv.Addr()))
	if cfg == nil || confparse.HasAlert(diags) {
		b.Fatalf("adapter refused the configuration: %v", diags)
	}
	e, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer e.Stop(0)
	addr := feAddr(e, "bench")
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Write([]byte("ping"))
		if got, err := io.ReadAll(c); err != nil || string(got) != "pong" {
			b.Fatalf("got %q, %v", got, err)
		}
		c.Close()
	}
}
