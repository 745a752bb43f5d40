package proxy

import (
	"context"
	"fmt"
	"fulcrum/internal/reftest"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
)

// adapt loads a configuration text and maps it.
func adapt(t testing.TB, text string) (*Config, []confparse.Diagnostic) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, diags := haproxy.Load(path)
	if confparse.HasAlert(diags) {
		t.Fatalf("model refused the configuration: %v", diags)
	}
	return FromConfig(hc)
}

func backendNamed(c *Config, name string) *Backend {
	for _, b := range c.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

func TestFromConfig(t *testing.T) {
	cases := []struct {
		desc  string
		cfg   string
		check func(t *testing.T, c *Config)
	}{
		{desc: "listen is a frontend and a backend with HAProxy's defaults",
			cfg: "listen app\n bind 127.0.0.1:8000\n server s1 127.0.0.1:9000\n",
			check: func(t *testing.T, c *Config) {
				if len(c.Frontends) != 1 || c.Frontends[0].DefaultBackend != "app" {
					t.Fatalf("frontends: %+v", c.Frontends)
				}
				b := backendNamed(c, "app")
				s := b.Servers[0]
				if b.Retries != 3 || b.RedispatchAfter != -1 || b.Balance.Algo != balance.RoundRobin {
					t.Errorf("backend defaults: %+v", b)
				}
				if s.Weight != 1 || s.Rise != 2 || s.Fall != 3 || s.Inter != 2*time.Second || s.Addr != netip.MustParseAddrPort("127.0.0.1:9000") {
					t.Errorf("server defaults: %+v", s)
				}
			}},
		{desc: "defaults section values and later overrides",
			cfg: "defaults\n mode tcp\n retries 5\n timeout connect 3s\n timeout client 1m\n timeout server 20s\n option redispatch 2\n hash-type consistent\n balance source\n" +
				"frontend f\n bind :8001,127.0.0.2:8002\n maxconn 77\n default_backend b\nbackend b\n retries 1\n server s 127.0.0.1:9000 weight 7 check inter 500ms rise 4 fall 1 backup maxconn 9 slowstart 10s\n",
			check: func(t *testing.T, c *Config) {
				f := c.Frontends[0]
				if f.MaxConn != 77 || f.TimeoutClient != time.Minute || len(f.Binds) != 2 || f.Binds[1].Addr.PortLow != 8002 {
					t.Errorf("frontend: %+v", f)
				}
				b := backendNamed(c, "b")
				if b.Retries != 1 || !b.Redispatch || b.RedispatchAfter != 2 || b.TimeoutConnect != 3*time.Second || b.TimeoutServer != 20*time.Second {
					t.Errorf("backend: %+v", b)
				}
				if b.Balance.Algo != balance.Source || !b.Balance.Consistent || !b.Balance.Avalanche {
					t.Errorf("balance: %+v", b.Balance)
				}
				s := b.Servers[0]
				if s.Weight != 7 || !s.Check || s.Inter != 500*time.Millisecond || s.Rise != 4 || s.Fall != 1 || !s.Backup || s.MaxConn != 9 || s.SlowStart != 10*time.Second {
					t.Errorf("server: %+v", s)
				}
			}},
		{desc: "default-server and server-template expansion",
			cfg: "backend b\n default-server weight 3 check\n server-template web 1-3 127.0.0.1:9100 fall 5\n server last 127.0.0.1:9200\n",
			check: func(t *testing.T, c *Config) {
				b := backendNamed(c, "b")
				var names []string
				for _, s := range b.Servers {
					names = append(names, s.Name)
					if s.Weight != 3 || !s.Check {
						t.Errorf("%s: default-server not applied: %+v", s.Name, s)
					}
				}
				// In configuration order, as the reference numbers them
				// (see TestResolversDifferential's `show servers state`).
				if got := strings.Join(names, ","); got != "web1,web2,web3,last" {
					t.Errorf("servers %s", got)
				}
				if b.Servers[0].Fall != 5 {
					t.Errorf("template option lost: %+v", b.Servers[0])
				}
			}},
		{desc: "hash-type with function and avalanche",
			cfg: "backend b\n balance source\n hash-type map-based djb2 avalanche\n server s 127.0.0.1:9000\n",
			check: func(t *testing.T, c *Config) {
				bc := backendNamed(c, "b").Balance
				if bc.Consistent || bc.Func != balance.DJB2 || !bc.Avalanche {
					t.Errorf("balance %+v", bc)
				}
			}},
		{desc: "httpchk with http-check send and expect",
			cfg: "backend b\n option httpchk\n http-check send meth GET uri /health ver HTTP/1.1 hdr Host x\n http-check expect ! rstatus ^5\n server s 127.0.0.1:9000 check\n",
			check: func(t *testing.T, c *Config) {
				sp := backendNamed(c, "b").Check
				if sp.Kind != check.HTTP || sp.Method != "GET" || sp.URI != "/health" || sp.Version != "HTTP/1.1" || len(sp.Headers) != 1 {
					t.Errorf("spec %+v", sp)
				}
				if sp.Expect == nil || !sp.Expect.Negate || sp.Expect.Kind != check.ExpectRStatus {
					t.Errorf("expect %+v", sp.Expect)
				}
			}},
		{desc: "tcp-check script",
			cfg: "backend b\n option tcp-check\n tcp-check connect port 9001\n tcp-check send PING\\r\\n\n tcp-check expect string +PONG\n server s 127.0.0.1:9000 check\n",
			check: func(t *testing.T, c *Config) {
				sp := backendNamed(c, "b").Check
				if sp.Kind != check.TCPCheck || len(sp.Steps) != 3 || sp.Steps[0].Port != 9001 || sp.Steps[1].Data != "PING\r\n" {
					t.Errorf("spec %+v", sp)
				}
			}},
		{desc: "redis check preset",
			cfg: "backend b\n option redis-check\n server s 127.0.0.1:9000 check\n",
			check: func(t *testing.T, c *Config) {
				if sp := backendNamed(c, "b").Check; sp.Kind != check.TCPCheck || !sp.Preset {
					t.Errorf("spec %+v", sp)
				}
			}},
		{desc: "routing rules and SNI condition",
			cfg: "frontend f\n bind 127.0.0.1:8443\n tcp-request inspect-delay 5s\n acl local src 10.0.0.0/8 192.168.1.1\n tcp-request connection reject if !local\n tcp-request content accept if { req.ssl_hello_type 1 }\n" +
				" use_backend tls if { req.ssl_sni -i example.com }\n default_backend other\nbackend tls\n server s 127.0.0.1:9000\nbackend other\n server s 127.0.0.1:9001\n",
			check: func(t *testing.T, c *Config) {
				f := c.Frontends[0]
				if f.InspectDelay != 5*time.Second || len(f.ConnectionRules) != 1 || len(f.ContentRules) != 1 || len(f.UseBackend) != 1 {
					t.Fatalf("frontend %+v", f)
				}
				in := &Session{Src: netip.MustParseAddrPort("10.1.2.3:5000")}
				out := &Session{Src: netip.MustParseAddrPort("11.1.2.3:5000")}
				if f.ConnectionRules[0].Cond(in) != False || f.ConnectionRules[0].Cond(out) != True {
					t.Errorf("reject if !local wrong")
				}
				if v := f.UseBackend[0].Cond(&Session{Complete: true}); v != False {
					t.Errorf("no SNI gave %v", v)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			c, diags := adapt(t, tc.cfg)
			if confparse.HasAlert(diags) {
				t.Fatalf("alerts: %v", diags)
			}
			tc.check(t, c)
		})
	}
}

func TestFromConfigDiagnostics(t *testing.T) {
	cases := []struct {
		desc string
		cfg  string
		sev  confparse.Severity
		want string
	}{
		{desc: "http-request action without engine support warned", cfg: "frontend f\n mode http\n bind 127.0.0.1:8000\n http-request sc-inc-gpc(0,0)\n default_backend b\nbackend b\n mode http\n server s 127.0.0.1:9000\n",
			sev: confparse.Warning, want: ":4] : 'http-request sc-inc-gpc(0,0)' is not acted on yet"},
		{desc: "log-format header value warned", cfg: "frontend f\n mode http\n bind 127.0.0.1:8000\n http-request set-header X-Src %zz\n default_backend b\nbackend b\n mode http\n server s 127.0.0.1:9000\n",
			sev: confparse.Warning, want: "no such format variable 'zz'"},
		{desc: "unsupported fetch refused", cfg: "frontend f\n bind 127.0.0.1:8000\n acl x sc_get_gpc(0,0) gt 3\n use_backend b if x\nbackend b\n server s 127.0.0.1:9000\n",
			sev: confparse.Alert, want: "'sc_get_gpc' is not supported"},
		{desc: "unacted check option warned", cfg: "backend b\n option spop-check\n server s 127.0.0.1:9000 check\n",
			sev: confparse.Warning, want: ":2] : 'option spop-check' is not acted on"},
		{desc: "unacted tcp-request action warned", cfg: "frontend f\n bind 127.0.0.1:8000\n tcp-request content sc-inc-gpc(0,0)\n default_backend b\nbackend b\n server s 127.0.0.1:9000\n",
			sev: confparse.Warning, want: ":3] : 'tcp-request content sc-inc-gpc(0,0)' is not acted on"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			_, diags := adapt(t, tc.cfg)
			for _, d := range diags {
				if d.Severity == tc.sev && strings.Contains(d.Message, tc.want) {
					return
				}
			}
			t.Errorf("no %v containing %q in %v", tc.sev, tc.want, diags)
		})
	}
}

func TestCompileACL(t *testing.T) {
	sess := &Session{Src: netip.MustParseAddrPort("192.168.1.7:4000"), Dst: netip.MustParseAddrPort("127.0.0.1:443"), Payload: []byte("hello"), Complete: true}
	cases := []struct {
		desc string
		expr string
		want Verdict
	}{
		{"src in network", "src 192.168.0.0/16", True},
		{"src not in list", "src 10.0.0.1 10.0.0.2", False},
		{"dst_port exact", "dst_port 443", True},
		{"dst_port range", "dst_port 1:100", False},
		{"src_port operator", "src_port ge 4000", True},
		{"req.len operator", "req.len gt 4", True},
		{"old spelling", "req_len lt 5", False},
		{"payload hex", "req.payload(0,2) 6865", True},
		{"payload beg", "req.payload(0,0) -m beg he", True},
		{"always_true", "always_true", True},
		{"sni absent", "req.ssl_sni -i a.b", False},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			c, err := compileACL(strings.Fields(tc.expr))
			if err != nil {
				t.Fatal(err)
			}
			if got := c(sess); got != tc.want {
				t.Errorf("got %v want %v", got, tc.want)
			}
		})
	}
}

// FuzzCompileACL: no ACL expression or condition panics, compiled or run.
func FuzzCompileACL(f *testing.F) {
	for _, s := range []string{"src 10.0.0.0/8", "req.ssl_sni -i -m end .example.com", "req.payload(0,2) 1603",
		"dst_port 80:90 443", "req.len ge 5", "req_ssl_ver 3.1", "src_port -m int lt 1024", "req.ssl_sni -m reg ^a.*$",
		"nbsrv(b) lt 1", "req.payload(-1,1) 00", "-m", "src -- -x", "req.payload(a,b) zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		sess := &Session{Src: netip.MustParseAddrPort("10.0.0.1:1000"), Payload: []byte(expr), Complete: true}
		if c, err := compileACL(strings.Fields(expr)); err == nil {
			c(sess)
		}
		a := &adapter{}
		words := append([]string{"if"}, strings.Fields(expr)...)
		if c, ok := a.cond(map[string][]acl{"x": {{cond: builtinACL("TRUE")}}}, confparse.Pos{}, words); ok && c != nil {
			c(sess)
		}
	})
}

// TestServerWithoutPort: a server given no port gets the connection's
// destination port (the frontend's port), as in HAProxy.
func TestServerWithoutPort(t *testing.T) {
	port := reftest.FreePort(t)
	backend, err := net.Listen("tcp", fmt.Sprintf("127.0.0.2:%d", port))
	if err != nil {
		t.Skipf("127.0.0.2 not usable: %v", err)
	}
	defer backend.Close()
	go serveReply(backend, "mapped")
	// (With `check` and no port to check, the reference refuses the
	// file: the haproxy package's case chk-server-no-port.)
	cfg, diags := adapt(t, fmt.Sprintf("listen app\n bind 127.0.0.1:%d\n timeout connect 1s\n server s 127.0.0.2\n", port))
	if confparse.HasAlert(diags) {
		t.Fatal(diags)
	}
	if s := cfg.Backends[0].Servers[0]; !s.MapPorts {
		t.Fatalf("server %+v: want mapped ports", s)
	}
	e, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	if string(got) != "mapped" {
		t.Errorf("got %q through a port-less server", got)
	}
}

// Keywords the adapter maps must not draw the model's "not acted on yet"
// notice (the daemon drops it for keywords ActsOn reports).
func TestActedKeywordsMapped(t *testing.T) {
	cfg, _ := adapt(t, `defaults
  mode tcp
  timeout client 1s
  timeout server 1s
  timeout connect 1s
listen a
  bind 127.0.0.1:1
  backlog 123
  fullconn 100
  hash-balance-factor 150
  clitcpka-cnt 3
  srvtcpka-cnt 4
  balance uri
  hash-type consistent
  server s 127.0.0.1:2 minconn 5 maxconn 50
`)
	be := backendNamed(cfg, "a")
	fe := cfg.Frontends[0]
	if fe.Backlog != 123 || be.Balance.FullConn != 100 || be.Balance.HashBalanceFactor != 150 ||
		fe.ClientKeepAlive.Count != 3 || be.ServerKeepAlive.Count != 4 {
		t.Fatalf("backlog %d fullconn %d hash-balance-factor %d clitcpka-cnt %d srvtcpka-cnt %d; want 123 100 150 3 4",
			fe.Backlog, be.Balance.FullConn, be.Balance.HashBalanceFactor, fe.ClientKeepAlive.Count, be.ServerKeepAlive.Count)
	}
	for _, kw := range []string{"backlog", "fullconn", "hash-balance-factor", "clitcpka-cnt", "srvtcpka-cnt"} {
		if !ActsOn(kw) {
			t.Errorf("ActsOn(%q) = false: the model's notice would call it not acted on", kw)
		}
	}
}

// "or" joins condition terms in any case (`if a OR b`), as the reference
// reads it: a configuration the reference runs must load and route here.
func TestConditionOrAnyCase(t *testing.T) {
	for _, or := range []string{"or", "OR", "Or", "||"} {
		cfg, diags := adapt(t, `defaults
  mode tcp
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend fe
  bind 127.0.0.1:1
  acl never src 10.0.0.0/8
  acl always always_true
  use_backend b2 if never `+or+` always
  default_backend b1
backend b1
  server s 127.0.0.1:2
backend b2
  server s 127.0.0.1:3
`)
		if confparse.HasAlert(diags) || cfg == nil {
			t.Fatalf("%q: refused: %v", or, diags)
		}
		sess := &Session{Src: netip.MustParseAddrPort("192.168.1.7:4000")}
		if got := cfg.Frontends[0].UseBackend[0].Cond(sess); got != True {
			t.Errorf("%q: never %s always = %v, want true", or, or, got)
		}
	}
}

// A server without a port is still checked when the backend's first
// tcp-check rule connects to a port, as the reference does (without one
// the reference refuses the file: the haproxy package's cases).
func TestCheckPortFromTCPCheckConnect(t *testing.T) {
	cfg, diags := adapt(t, `defaults
  mode tcp
  timeout client 1s
  timeout server 1s
  timeout connect 1s
backend withport
  option tcp-check
  tcp-check connect port 6443
  server s 127.0.0.1 check
`)
	if confparse.HasAlert(diags) {
		t.Fatal(diags)
	}
	if s := backendNamed(cfg, "withport").Servers[0]; !s.Check {
		t.Errorf("server %+v: want it checked on the tcp-check connect's port", s)
	}
}
