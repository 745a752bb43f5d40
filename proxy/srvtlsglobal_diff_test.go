package proxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestServerTLSGlobalsDifferential: the global defaults of `ssl` servers
// (ssl-server-verify, ssl-default-server-options, -ciphers) decide the
// verification, protocol version and cipher of server connections as
// the reference's do; a server line's own `verify` wins.
func TestServerTLSGlobalsDifferential(t *testing.T) {
	ref := reftest.HAProxy(t)
	dir := t.TempDir()
	ca, other := newTestCA(t, dir, "ca"), newTestCA(t, dir, "other")
	addr := startTLSEcho(t, ca, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%x cipher=%x", r.TLS.Version, r.TLS.CipherSuite)
	})
	const proxies = `defaults
  mode http
  timeout connect 2s
  retries 0
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  use_backend b2 if { path_beg /b2 }
  use_backend b3 if { path_beg /b3 }
  default_backend b1
`
	for _, tc := range []struct{ desc, global, servers string }{
		{"verify none, TLS 1.2 and one cipher by default", `  ssl-server-verify none
  ssl-default-server-options ssl-max-ver TLSv1.2
  ssl-default-server-ciphers ECDHE-ECDSA-AES128-GCM-SHA256
`, "backend b1\n  server s " + addr + " ssl\n" +
			"backend b2\n  server s " + addr + " ssl ciphers ECDHE-ECDSA-AES256-GCM-SHA384\n" +
			"backend b3\n  server s " + addr + " ssl verify required ca-file " + other.pem + "\n"},
		{"verify required", "  ssl-server-verify required\n  ssl-default-server-options no-tlsv13\n",
			"backend b1\n  server s " + addr + " ssl ca-file " + ca.pem + "\n" +
				"backend b2\n  server s " + addr + " ssl ca-file " + other.pem + "\n" +
				"backend b3\n  server s " + addr + " ssl verify none ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			refPort, oursPort := difftest.FreePort(t), difftest.FreePort(t)
			// The reference's run opens the global section itself.
			difftest.StartReferenceConfig(t, ref, tc.global+fmt.Sprintf(proxies, refPort)+tc.servers)
			startText(t, "global\n"+tc.global+fmt.Sprintf(proxies, oursPort)+tc.servers)
			get := func(addr, path string) string {
				status, body := getOnce(addr, path, "")
				return fmt.Sprintf("%d %s", status, strings.TrimSpace(body))
			}
			ok := 0
			for _, path := range []string{"/b1", "/b2", "/b3"} {
				want, got := get(fmt.Sprintf("127.0.0.1:%d", refPort), path), get(fmt.Sprintf("127.0.0.1:%d", oursPort), path)
				if got != want {
					t.Errorf("%s: ours %q, reference %q", path, got, want)
				}
				if strings.HasPrefix(want, "200 ") {
					ok++
				}
			}
			if ok == 0 || ok == 3 {
				t.Errorf("the reference answered %d of 3 through a server: the scenario is not what it means to test", ok)
			}
		})
	}
}

// startTLSEcho serves HTTPS on loopback with a certificate of ca (for
// backend.test and 127.0.0.1), answering with answer, until the test
// ends; it returns the address.
func startTLSEcho(t *testing.T, ca *testCA, answer http.HandlerFunc) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "backend.test")}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: answer}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// getOnce sends one GET for path (with the header lines in header) on
// a connection of its own and returns the status and body; status 0 and
// the error's text when there is no answer.
func getOnce(addr, path, header string) (int, string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(8 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n", path, header)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
