package proxy

import (
	"net/netip"
	"strings"
	"testing"

	"fulcrum/confparse"
	"fulcrum/proxy/http1"
)

// sessionWithRequest is a Session in http mode holding a parsed request.
func sessionWithRequest(t *testing.T, raw string) *Session {
	h := &httpConn{}
	opts := http1.Options{Limits: http1.DefaultLimits()}
	if _, err := h.req.Parse([]byte(raw), &opts); err != nil {
		t.Fatal(err)
	}
	s := &Session{Frontend: "fe", Src: netip.MustParseAddrPort("10.0.0.1:1234"), http: h}
	h.sess = s
	return s
}

func TestHashKeyExpression(t *testing.T) {
	cfg, diags := adapt(t, "backend b\n mode http\n balance hash req.hdr(x-key),lower\n server s 127.0.0.1:9000\n")
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	key := backendNamed(cfg, "b").HashKey
	if key == nil {
		t.Fatal("no hash key")
	}
	s := sessionWithRequest(t, "GET / HTTP/1.1\r\nHost: a\r\nX-Key: ABC\r\n\r\n")
	if got := string(key(s)); got != "abc" {
		t.Errorf("key %q, want abc", got)
	}
	if got := key(sessionWithRequest(t, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")); got != nil {
		t.Errorf("key %q without the header, want none (round robin)", got)
	}
}

func TestDynamicUseBackend(t *testing.T) {
	cfg, diags := adapt(t, "defaults\n mode http\nfrontend fe\n bind 127.0.0.1:8000\n"+
		" use_backend be_%[req.hdr(x-b)] if { req.hdr(x-b) -m found }\n default_backend dflt\n"+
		"backend be_one\n server s 127.0.0.1:9000\nbackend dflt\n server s 127.0.0.1:9001\n")
	if confparse.HasAlert(diags) {
		t.Fatalf("diagnostics: %v", diags)
	}
	fe := cfg.Frontends[0]
	for _, tc := range []struct{ desc, hdr, want string }{
		{"existing backend", "X-B: one\r\n", "be_one"},
		{"unknown name falls back to default", "X-B: two\r\n", "dflt"},
		{"condition false", "", "dflt"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := sessionWithRequest(t, "GET / HTTP/1.1\r\nHost: a\r\n"+tc.hdr+"\r\n")
			if got := pickBackend(fe, s); got != tc.want {
				t.Errorf("backend %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSampleDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		desc, cfg string
		sev       confparse.Severity
		want      string
	}{
		{"fetch not built refused", "frontend f\n mode http\n bind 127.0.0.1:8000\n acl x ssl_fc_session_id -m found\n use_backend b if x\nbackend b\n mode http\n server s 127.0.0.1:9000\n",
			confparse.Alert, "fetch method 'ssl_fc_session_id' is not supported by Fulcrum yet"},
		{"bad ACL flag refused", "frontend f\n mode http\n bind 127.0.0.1:8000\n acl x path -z a\n use_backend b if x\nbackend b\n mode http\n server s 127.0.0.1:9000\n",
			confparse.Alert, "'-z' is not a valid ACL option"},
		{"balance hash expression not built", "backend b\n balance hash ssl_fc_session_id\n server s 127.0.0.1:9000\n",
			confparse.Warning, "'balance hash ssl_fc_session_id' : fetch method 'ssl_fc_session_id' is not supported by Fulcrum yet; using roundrobin"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, diags := adapt(t, tc.cfg)
			for _, d := range diags {
				if d.Severity == tc.sev && strings.Contains(d.String(), tc.want) {
					return
				}
			}
			t.Errorf("no %v containing %q in %v", tc.sev, tc.want, diags)
		})
	}
}
