package apisock

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fulcrum/haproxy"
	"fulcrum/internal/reftest"
	"fulcrum/proxy"
	"fulcrum/proxy/internal/difftest"
)

// cacheMasks hide what differs by nature in `show cache`: addresses, and
// the Referer hash part of the secondary key.
var cacheMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`0x[0-9a-f]+(:| \(|\))`), "PTR$1"},
	{regexp.MustCompile(`shctx:0x[0-9a-f]+`), "shctx:PTR"},
	{regexp.MustCompile(`^0x[0-9a-f]+ `), "PTR "},
	{regexp.MustCompile(`(vary:0x[0-9a-f]{8})[0-9a-f]{8}`), "${1}HASH"},
}

func maskCache(s string) string {
	lines := regexp.MustCompile(`(?m)^0x[0-9a-f]+`).ReplaceAllString(s, "PTR")
	for _, m := range cacheMasks {
		lines = m.re.ReplaceAllString(lines, m.with)
	}
	return lines
}

// TestShowCacheMatchesReference: after the same requests, `show cache`
// lists the same caches and entries (keys, variants, sizes, blocks,
// expiry) as the reference's.
func TestShowCacheMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	origin := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		if strings.HasPrefix(string(buf[:n]), "GET /c ") {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nVary: accept-encoding\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
	})
	cfg := func(port int) string {
		return fmt.Sprintf(`defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
cache c1
	total-max-size 4
	process-vary on
cache c2
	total-max-size 1
listen fe
	bind 127.0.0.1:%d
	http-request cache-use c1
	http-response cache-store c1
	server s1 %s
`, port, origin.Addr())
	}
	play := func(addr string) {
		for _, req := range []string{"/a", "/b", "/a", "/c"} {
			difftest.RawHTTP(addr, "GET "+req+" HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
		}
	}
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port))
	play(fmt.Sprintf("127.0.0.1:%d", port))
	want, err := ref.Command("show cache")
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg(difftest.FreePort(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, _ := haproxy.Load(path)
	ecfg, _ := proxy.FromConfig(hc)
	e := startEngine(t, ecfg)
	play(e.Addrs()["fe"][0].String())
	srv := New(e, nil)
	t.Cleanup(srv.Close)
	sock := filepath.Join(t.TempDir(), "admin.sock")
	if err := srv.Update(Config{Sockets: []Socket{{Network: "unix", Addr: sock, FD: -1, Mode: 0o600, UID: -1, GID: -1, Level: LevelAdmin}}}); err != nil {
		t.Fatal(err)
	}
	got := ask(t, "unix", sock, "show cache")
	if maskCache(got) != maskCache(want) {
		t.Errorf("show cache:\nreference\n%s\nours\n%s", want, got)
	}
}
