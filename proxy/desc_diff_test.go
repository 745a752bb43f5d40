package proxy

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// descConfig gives a listen, a frontend and a backend descriptions (one
// with characters HTML would escape, one quoted) and leaves a backend
// without; the %d are the stats and frontend ports, %s the server.
const descConfig = `defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen st
	bind 127.0.0.1:%d
	description Stats <page> & co
	stats enable
	stats uri /s
frontend fe
	bind 127.0.0.1:%d
	description The "front" door
	default_backend be
backend be
	description Pool of   app servers
	server s1 %s
backend plain
	server s2 %s
`

// proxyTitleRE is a proxy's title row on the statistics page.
var proxyTitleRE = regexp.MustCompile(`<tr class="titre"><th class="pxname".*?</tr>`)

// TestProxyDescriptionMatchesReference: a proxy's description stands
// beside its name on the statistics page, as in the reference's.
func TestProxyDescriptionMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := startHTTPBackend(t, "s").addr().String()
	refPort := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, fmt.Sprintf(descConfig, refPort, difftest.FreePort(t), srv, srv))
	ours := startAdapted(t, fmt.Sprintf(descConfig, difftest.FreePort(t), difftest.FreePort(t), srv, srv))
	titles := func(base string) string {
		a := pageRequest(t, "GET", base, "", false)
		return strings.Join(proxyTitleRE.FindAllString(a.body, -1), "\n")
	}
	ref := titles(fmt.Sprintf("http://127.0.0.1:%d/s", refPort))
	got := titles("http://" + feAddr(ours, "st") + "/s")
	if !strings.Contains(ref, `class="desc"`) {
		t.Fatalf("the reference shows no description:\n%s", ref)
	}
	if ref != got {
		t.Errorf("proxy titles:\nref\n%s\nours\n%s", ref, got)
	}
}
