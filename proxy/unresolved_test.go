package proxy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stats"
)

// Servers without an address at start, as the reference shows them:
// `init-addr none` (tried before any lookup: neither process resolves
// anything) and a server-template on a DNS SRV record, which only the
// resolvers fill. Both stay in maintenance "(resolution)" with an empty
// address. (The SRV name would be asked of the resolvers' nameserver on
// loopback, nowhere else.)
func TestUnresolvedServersMatchReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	body := fmt.Sprintf(`resolvers kube
  nameserver dns1 127.0.0.1:%d
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%%d
  default_backend be
backend be
  server-template www 2 _http._tcp.nginx.default.svc.cluster.local check resolvers kube
  server app1 app.invalid:8080 init-addr none
  server app2 app.invalid:8080 check init-addr none,libc
  server lit 127.0.0.1:8080 init-addr none
`, difftest.FreePort(t))
	r := difftest.StartReferenceConfig(t, ref, fmt.Sprintf(body, difftest.FreePort(t)))
	e := startText(t, fmt.Sprintf(body, difftest.FreePort(t)))
	var csv bytes.Buffer
	if err := stats.WriteCSV(&csv, e.Snapshot(), stats.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"www1", "www2", "app1", "app2", "lit"} {
		for _, col := range []struct {
			name string
			idx  int
		}{{"status", 17}, {"addr", 73}} {
			want := r.StatField(name, col.idx)
			got := ""
			for _, line := range strings.Split(csv.String(), "\n") {
				if f := strings.Split(line, ","); len(f) > col.idx && f[0] == "be" && f[1] == name {
					got = f[col.idx]
				}
			}
			if got != want {
				t.Errorf("%s %s: ours %q, reference %q", name, col.name, got, want)
			}
		}
	}
}
