package proxy

import (
	"strings"
	"testing"
	"time"
)

// TestStatsAdapter maps `stats` lines (with defaults inheritance) and
// the exporter's use-service rule onto the engine's settings.
func TestStatsAdapter(t *testing.T) {
	cfg, diags := adapt(t, `global
	stats socket /nonexistent/s.sock
	node n1
	description the desc
defaults
	mode http
	timeout connect 1s
	timeout client 1s
	timeout server 1s
	stats refresh 10
frontend fe
	bind 127.0.0.1:1
	id 9
	http-request use-service prometheus-exporter if TRUE
	stats uri /st
	stats realm My\ Stats
	stats auth a:b
	stats auth c:d
	stats admin if TRUE
	stats show-node
	stats show-modules
	default_backend be
backend be
	server s 127.0.0.1:2
backend other
	server s 127.0.0.1:2
`)
	g := cfg.Stats
	if g == nil {
		t.Fatal("no statistics settings")
	}
	if g.ProxyIDs["fe"] != 9 || g.ProxyIDs["be"] != 2 || g.ProxyIDs["other"] != 3 {
		t.Errorf("proxy ids %v (want explicit 9, then 2 and 3 after the socket's 1)", g.ProxyIDs)
	}
	if g.Node != "n1" || g.Description != "the desc" {
		t.Errorf("node %q desc %q", g.Node, g.Description)
	}
	p := g.Pages["fe"]
	if p == nil {
		t.Fatal("no page for fe")
	}
	if p.URI != "/st" || p.Realm != "My Stats" || len(p.Users) != 2 || p.Users[1] != (StatsUser{"c", "d"}) ||
		p.Refresh != 10*time.Second || len(p.Admin) != 1 || !p.ShowNode {
		t.Errorf("page %+v", p)
	}
	if g.Pages["be"] == nil || g.Pages["be"].URI != "/haproxy?stats" || g.Pages["be"].Refresh != 10*time.Second {
		t.Errorf("defaults' stats refresh not inherited by be: %+v", g.Pages["be"])
	}
	var services int
	for _, r := range cfg.Frontends[0].HTTP.RequestRules {
		if r.Action == HTTPUseService {
			services++
		}
	}
	if services != 1 {
		t.Errorf("%d use-service rules in fe, want 1", services)
	}
	var warned []string
	for _, d := range diags {
		warned = append(warned, d.Message)
	}
	all := strings.Join(warned, "\n")
	if !strings.Contains(all, "'stats show-modules' is not acted on") {
		t.Errorf("show-modules not warned:\n%s", all)
	}
	if strings.Contains(all, "use-service") {
		t.Errorf("the exporter rule is acted on, yet warned:\n%s", all)
	}
}
