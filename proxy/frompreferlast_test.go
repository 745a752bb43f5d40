package proxy

import (
	"strings"
	"testing"

	"fulcrum/proxy/balance"
)

// option prefer-last-server, max-keep-alive-queue and
// max-session-srv-conns are mapped (the last line of the proxy or its
// defaults deciding, `no option` included) and no longer warned; the
// http hashing algorithms keep their arguments in http mode and fall
// back to round robin in tcp mode.
func TestPreferLastFromConfig(t *testing.T) {
	cfg, diags := adapt(t, `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
    option prefer-last-server
    max-keep-alive-queue 3
listen a
    bind 127.0.0.1:27411
    balance uri path-only whole len 12 depth 2
    max-session-srv-conns 2
    server s1 127.0.0.1:27412
listen b
    bind 127.0.0.1:27413
    no option prefer-last-server
    max-keep-alive-queue -1
    balance hdr(X-Key) use_domain_only
    server s1 127.0.0.1:27414
listen c
    mode tcp
    bind 127.0.0.1:27415
    balance url_param id
    server s1 127.0.0.1:27416
`)
	for _, d := range diags {
		if strings.Contains(d.Message, "not acted on") {
			t.Errorf("unexpected notice: %s", d.Message)
		}
	}
	for _, tc := range []struct {
		desc string
		got  PreferLast
		want PreferLast
	}{
		{"a: from defaults", backendNamed(cfg, "a").PreferLast, PreferLast{On: true, MaxQueue: 3}},
		{"b: turned off", backendNamed(cfg, "b").PreferLast, PreferLast{MaxQueue: -1}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.desc, tc.got, tc.want)
		}
	}
	sessConns := map[string]int{}
	for _, fe := range cfg.Frontends {
		sessConns[fe.Name] = fe.SessionSrvConns
	}
	if sessConns["a"] != 2 || sessConns["b"] != defaultSessionSrvConns {
		t.Errorf("max-session-srv-conns: %v, want a:2 b:%d", sessConns, defaultSessionSrvConns)
	}
	for _, tc := range []struct {
		desc string
		got  balance.Config
		want balance.Config
	}{
		{"uri options", backendNamed(cfg, "a").Balance, balance.Config{Algo: balance.URI, URIPathOnly: true, URIWhole: true, URILen: 12, URIDepth: 2}},
		{"hdr", backendNamed(cfg, "b").Balance, balance.Config{Algo: balance.Hdr, Param: "X-Key", UseDomainOnly: true}},
		{"tcp mode", backendNamed(cfg, "c").Balance, balance.Config{Algo: balance.RoundRobin}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.desc, tc.got, tc.want)
		}
	}
	for _, kw := range []string{"max-keep-alive-queue", "max-session-srv-conns"} {
		if !ActsOn(kw) {
			t.Errorf("ActsOn(%q) = false", kw)
		}
	}
}
