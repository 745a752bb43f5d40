package sample

import (
	"crypto/tls"
	"testing"
)

// bodyEnv is a test Env with a buffered body, captures and a TLS state.
type bodyEnv struct {
	*env
	body  []byte
	size  int64
	line  []byte
	slots [][]byte
	tls   *tls.ConnectionState
}

func (e *bodyEnv) RequestBody() ([]byte, int64) { return e.body, e.size }
func (e *bodyEnv) CapturedLine() []byte         { return e.line }
func (e *bodyEnv) CapturedSlot(res bool, i int) ([]byte, bool) {
	if res || i >= len(e.slots) || e.slots[i] == nil {
		return nil, false
	}
	return e.slots[i], true
}
func (e *bodyEnv) TLSState() *tls.ConnectionState { return e.tls }

// TestBodyCaptureTLSFetches: the body, capture and TLS fetches read their
// optional Env extensions, and find no value without them.
func TestBodyCaptureTLSFetches(t *testing.T) {
	full := &bodyEnv{env: httpEnv(t, testReq), body: []byte("b=2;a=x?a=y&e&f=#g=1"), size: 30,
		line: []byte("GET http://h.example/p?q HTTP/1.1"), slots: [][]byte{[]byte("h0"), nil},
		tls: &tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			ServerName: "a.example", NegotiatedProtocol: "http/1.1"}}
	plain := httpEnv(t, testReq)
	for _, tc := range []struct {
		desc, expr string
		env        Env
		want       string
		ok         bool
	}{
		{"body", "req.body", full, "b=2;a=x?a=y&e&f=#g=1", true},
		{"body length", "req.body_len", full, "20", true},
		{"body size", "req.body_size", full, "30", true},
		{"param after ';'", "req.body_param(a)", full, "x?a=y", true},
		{"param without value", "req.body_param(e)", full, "", true},
		{"empty param value", "req.body_param(f)", full, "#g=1", true},
		{"first param", "req.body_param", full, "2", true},
		{"missing param", "req.body_param(z)", full, "", false},
		{"no body in tcp", "req.body_len", plain, "", false},
		{"captured method", "capture.req.method", full, "GET", true},
		{"captured uri of an absolute form", "capture.req.uri", full, "/p?q", true},
		{"captured version", "capture.req.ver", full, "HTTP/1.1", true},
		{"capture slot", "capture.req.hdr(0)", full, "h0", true},
		{"empty capture slot", "capture.req.hdr(1)", full, "", false},
		{"capture slot out of range", "capture.req.hdr(5)", full, "", false},
		{"no capture", "capture.req.method", plain, "", false},
		{"ssl_fc", "ssl_fc", full, "1", true},
		{"ssl_fc plain", "ssl_fc", plain, "0", true},
		{"ssl_fc_has_sni plain", "ssl_fc_has_sni", plain, "0", true},
		{"ssl_fc_sni plain", "ssl_fc_sni", plain, "", false},
		{"protocol", "ssl_fc_protocol", full, "TLSv1.2", true},
		{"cipher", "ssl_fc_cipher", full, "ECDHE-RSA-AES128-GCM-SHA256", true},
		{"sni", "ssl_fc_sni", full, "a.example", true},
		{"alpn", "ssl_fc_alpn", full, "http/1.1", true},
		{"key size", "ssl_fc_use_keysize", full, "128", true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			x, err := ParseExpr(tc.expr, &Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := x.String(tc.env)
			if ok != tc.ok || ok && got != tc.want {
				t.Errorf("%s = %q, %v; want %q, %v", tc.expr, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzBodyParam: no body makes the parameter fetch panic or loop.
func FuzzBodyParam(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "&&;;=", "a", "=a&a=", ";a=b;"} {
		f.Add(s, "a")
	}
	x, _ := ParseExpr("req.body_param", &Options{})
	f.Fuzz(func(t *testing.T, body, name string) {
		e := &bodyEnv{env: httpEnv(t, testReq), body: []byte(body), size: int64(len(body))}
		x.String(e)
		if y, err := ParseACL([]string{"req.body_param(" + name + ")", "-m", "found"}, &Options{}); err == nil {
			y.Match(e)
		}
	})
}
