package proxy

import (
	"net/netip"

	"fulcrum/confparse"
	"testing"
)

func TestFromConfigHTTP(t *testing.T) {
	cases := []struct {
		desc  string
		cfg   string
		check func(t *testing.T, c *Config)
	}{
		{desc: "mode http with HAProxy's defaults",
			cfg: "defaults\n mode http\n timeout client 5s\nlisten app\n bind 127.0.0.1:8000\n server s1 127.0.0.1:9000\n",
			check: func(t *testing.T, c *Config) {
				fe, be := c.Frontends[0], backendNamed(c, "app")
				if fe.Mode != ModeHTTP || be.Mode != ModeHTTP {
					t.Fatalf("modes: frontend %v backend %v, want http", fe.Mode, be.Mode)
				}
				if fe.HTTP.Conn != KeepAlive || be.HTTP.Reuse != ReuseSafe || fe.HTTP.ForwardFor != nil {
					t.Errorf("defaults: %+v / %+v", fe.HTTP, be.HTTP)
				}
			}},
		{desc: "tcp stays tcp", cfg: "listen app\n bind 127.0.0.1:8000\n server s1 127.0.0.1:9000\n",
			check: func(t *testing.T, c *Config) {
				if c.Frontends[0].Mode != ModeTCP {
					t.Errorf("mode %v, want tcp", c.Frontends[0].Mode)
				}
			}},
		{desc: "connection options, timeouts, forwardfor, reuse",
			cfg: "defaults\n mode http\n option forwardfor except 10.0.0.0/8 header X-Real-IP if-none\n option http-server-close\n timeout http-request 3s\n timeout http-keep-alive 1s\n option accept-invalid-http-response\n" +
				"frontend f\n bind 127.0.0.1:8000\n option accept-invalid-http-request\n default_backend b\n" +
				"backend b\n option httpclose\n http-reuse never\n no option accept-invalid-http-response\n server s1 127.0.0.1:9000\n",
			check: func(t *testing.T, c *Config) {
				fe, be := c.Frontends[0], backendNamed(c, "b")
				if fe.HTTP.Conn != ServerClose || be.HTTP.Conn != HTTPClose {
					t.Errorf("conn modes: frontend %v backend %v", fe.HTTP.Conn, be.HTTP.Conn)
				}
				if fe.HTTP.TimeoutRequest.Seconds() != 3 || fe.HTTP.TimeoutKeepAlive.Seconds() != 1 {
					t.Errorf("timeouts: %+v", fe.HTTP)
				}
				want := ForwardFor{Except: netip.MustParsePrefix("10.0.0.0/8"), Header: "X-Real-IP", IfNone: true}
				if fe.HTTP.ForwardFor == nil || *fe.HTTP.ForwardFor != want {
					t.Errorf("frontend forwardfor %+v, want %+v", fe.HTTP.ForwardFor, want)
				}
				if be.HTTP.ForwardFor == nil || *be.HTTP.ForwardFor != want {
					t.Errorf("backend forwardfor %+v, want %+v from defaults", be.HTTP.ForwardFor, want)
				}
				if !fe.HTTP.Parse.AcceptInvalid || be.HTTP.Parse.AcceptInvalid {
					t.Errorf("accept-invalid: frontend %v backend %v", fe.HTTP.Parse.AcceptInvalid, be.HTTP.Parse.AcceptInvalid)
				}
				if be.HTTP.Reuse != ReuseNever {
					t.Errorf("reuse %v, want never", be.HTTP.Reuse)
				}
			}},
		{desc: "http-request rules with conditions",
			cfg: "frontend f\n mode http\n bind 127.0.0.1:8000\n acl local src 127.0.0.0/8\n" +
				" http-request deny deny_status 429 unless local\n http-request set-header X-A 1\n http-request del-header X-B\n" +
				" http-request redirect location /new code 301\n default_backend b\nbackend b\n mode http\n server s 127.0.0.1:9000\n",
			check: func(t *testing.T, c *Config) {
				rules := c.Frontends[0].HTTP.RequestRules
				if len(rules) != 4 {
					t.Fatalf("%d rules, want 4: %+v", len(rules), rules)
				}
				if rules[0].Action != HTTPDeny || rules[0].Status != 429 || rules[0].Cond == nil {
					t.Errorf("deny rule: %+v", rules[0])
				}
				local := &Session{Src: netip.MustParseAddrPort("127.0.0.1:5000")}
				remote := &Session{Src: netip.MustParseAddrPort("192.0.2.1:5000")}
				if rules[0].Cond(local) != False || rules[0].Cond(remote) != True {
					t.Errorf("'unless local' evaluated wrongly")
				}
				if rules[1].Action != HTTPSetHeader || rules[1].Name != "X-A" || rules[1].Value != "1" || rules[1].Cond != nil {
					t.Errorf("set-header rule: %+v", rules[1])
				}
				if rules[2].Action != HTTPDelHeader || rules[2].Name != "X-B" {
					t.Errorf("del-header rule: %+v", rules[2])
				}
				if rd := rules[3].Redirect; rules[3].Action != HTTPRedirect || rd == nil || rd.Kind != "location" || rd.Target != "/new" || rd.Code != 301 {
					t.Errorf("redirect rule: %+v", rules[3])
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			c, diags := adapt(t, tc.cfg)
			for _, d := range diags {
				if d.Severity == confparse.Alert {
					t.Fatalf("unexpected alert: %v", d)
				}
			}
			tc.check(t, c)
		})
	}
}
