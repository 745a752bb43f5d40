package haproxy

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fulcrum/confparse"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// noNetwork resolves only "localhost", so tests never query DNS.
func noNetwork(h string) bool { return h == "localhost" }

func load(t *testing.T, text string) (*Config, []confparse.Diagnostic) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return LoadWith(Options{Resolve: noNetwork}, path)
}

func TestModel(t *testing.T) {
	cfg, diags := load(t, `global
    daemon
    maxconn 2000
    log 127.0.0.1:514 local0 info
defaults base
    mode http
    timeout client 5s
    timeout connect 100ms
    timeout server 1m
    option httplog
frontend fe from base
    bind 127.0.0.1:8080,127.0.0.1:8081 name web
    acl is_api path_beg /api
    use_backend api if is_api
    default_backend web
    http-request deny if !is_api METH_POST
    stick-table type ip size 1k
backend api from base
    balance leastconn
    default-server inter 2s
    server a1 127.0.0.1:9001 check weight 10
backend web from base
    server w1 localhost:9002
`)
	if HasFatal(cfg) {
		t.Fatalf("unexpected failure: %v", diags)
	}
	if !cfg.Global.Daemon || cfg.Global.MaxConn != 2000 || len(cfg.Global.Logs) != 1 || cfg.Global.Logs[0].Facility != "local0" {
		t.Errorf("global %+v", cfg.Global)
	}
	if len(cfg.Proxies) != 3 {
		t.Fatalf("%d proxies", len(cfg.Proxies))
	}
	fe, api := cfg.Proxies[0], cfg.Proxies[1]
	for _, tc := range []struct {
		desc string
		ok   bool
	}{
		{"inherited mode", fe.Mode == "http" && api.Mode == "http"},
		{"timeouts in ms", fe.Timeouts["client"] == 5000 && api.Timeouts["connect"] == 100 && api.Timeouts["server"] == 60000},
		{"inherited option", fe.Options["httplog"]},
		{"two bind addresses", len(fe.Binds) == 1 && len(fe.Binds[0].Addrs) == 2 && fe.Binds[0].Addrs[1].Port == 8081 && fe.Binds[0].Options["name"] == "web"},
		{"acl", len(fe.ACLs) == 1 && fe.ACLs[0].Criterion == "path_beg"},
		{"use_backend", len(fe.UseBackends) == 1 && fe.UseBackends[0].Backend == "api" && strings.Join(fe.UseBackends[0].Cond, " ") == "if is_api"},
		{"default_backend", fe.DefaultBackend == "web"},
		{"rule", len(fe.Rules) == 1 && fe.Rules[0].Action[0] == "deny"},
		{"balance", strings.Join(api.Balance, " ") == "leastconn"},
		{"server with default-server", len(api.Servers) == 1 && api.Servers[0].Options["inter"] == "2s" && api.Servers[0].Options["weight"] == "10" && api.Servers[0].Addr.Port == 9001},
	} {
		if !tc.ok {
			t.Errorf("%s: wrong", tc.desc)
		}
	}
	if len(cfg.Pending) != 1 || !strings.Contains(cfg.Pending[0].Message, "'stick-table' is accepted but not acted on yet") || cfg.Pending[0].Pos.Line != 17 {
		t.Errorf("pending notices %v, want one for stick-table at line 17", cfg.Pending)
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "not acted on") {
			t.Errorf("a pending notice leaked into the reference-visible diagnostics: %v", d)
		}
	}
}

func TestDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		text    string
		want    string // substring of the first alert
		verdict int
	}{
		{"valid", "frontend f\n bind :80\n timeout client 1s\n", "", Valid},
		{"no listener", "backend b\n", "", NoListener},
		{"unknown keyword", "frontend f\n foo\n", "unknown keyword 'foo' in 'frontend' section", Invalid},
		{"suggestion", "global\n tune.zlib.memlevel 1\n", "did you mean 'tune.comp.maxlevel' maybe ?", Invalid},
		{"removed keyword", "defaults\n contimeout 1\n", "Use 'timeout connect'", Invalid},
		{"out of section", "maxconn 1\n", "unknown keyword 'maxconn' out of section.", Invalid},
		{"bind port", "frontend f\n bind 127.0.0.1\n", "missing port specification in '127.0.0.1'", Invalid},
		{"server name", "frontend f\n bind :80\n default_backend b\nbackend b\n server s nohost:80\n", "could not resolve address 'nohost'", Invalid},
		{"undefined backend", "frontend f\n bind :80\n default_backend b\n", "unable to find required default_backend: 'b'", Invalid},
		{"dup server", "backend b\n server s 127.0.0.1:1\n server s 127.0.0.1:2\n", "another server named 's' was already defined at line 2", Invalid},
		{"legacy listen", "listen l 127.0.0.1:80\n", "please use the 'bind' keyword", NoListener},
		{"missing file", "frontend f\n bind :80\n errorfile 503 /nonexistent\n", "errorfile : error opening file '/nonexistent'.", Invalid},
		{"acl", "frontend f\n bind :80\n http-request deny if nope\n", "no such ACL : 'nope'", Invalid},
		{"timeout", "frontend f\n bind :80\n timeout client 1x\n", "unexpected character 'x' in 'timeout client'", Invalid},
		{"external check without a port", "global\n external-check\n insecure-fork-wanted\nbackend b\n option external-check\n external-check command /bin/true\n server s 127.0.0.1 check\n",
			"config: backend 'b': server 's' has neither service port nor check port.", Invalid},
		{"external check with a check port", "global\n external-check\n insecure-fork-wanted\nbackend b\n option external-check\n external-check command /bin/true\n server s 127.0.0.1 check port 80\n", "", NoListener},
		{"two global sections", "global\n external-check\nglobal\n insecure-fork-wanted\nbackend b\n option external-check\n external-check command /bin/true\n server s 127.0.0.1:80 check\n", "", NoListener},
		{"stats auth and rules", "listen l\n mode http\n bind :80\n stats auth a:b\n stats http-request allow\n", "stats 'auth'/'realm' and 'http-request' can't be used at the same time.", Invalid},
	} {
		cfg, diags := load(t, tc.text)
		if got := Verdict(cfg); got != tc.verdict {
			t.Errorf("%s: verdict %d, want %d (%v)", tc.desc, got, tc.verdict, diags)
		}
		first := ""
		for _, d := range diags {
			if d.Severity == confparse.Alert {
				first = d.Message
				break
			}
		}
		if tc.want == "" && first != "" || !strings.Contains(first, tc.want) {
			t.Errorf("%s: first alert %q, want %q", tc.desc, first, tc.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ms   int64
		fail bool
	}{
		{"100", 100, false}, {"100ms", 100, false}, {"2s", 2000, false}, {"3m", 180000, false},
		{"1h", 3600000, false}, {"1d", 86400000, false}, {"5000us", 5, false}, {"1x", 0, true}, {"s", 0, true},
		{"30d", 0, true},
	} {
		ms, msg := parseTime(tc.in)
		if (msg != "") != tc.fail || !tc.fail && ms != tc.ms {
			t.Errorf("parseTime(%q) = %d, %q", tc.in, ms, msg)
		}
	}
}

// TestGoldenAndRoundTrip dumps the model of every valid case as JSON
// (testdata/haproxy/golden, -update rewrites), then prints the model as
// configuration, reads it again and expects the same dump.
func TestGoldenAndRoundTrip(t *testing.T) {
	root := filepath.Join("..", "testdata", "haproxy")
	cases, _ := filepath.Glob(filepath.Join(root, "cases", "*.cfg"))
	checked := 0
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(".."); err != nil { // case files name paths from the repository root
		t.Fatal(err)
	}
	for _, c := range cases {
		rel := filepath.Join("testdata", "haproxy", "cases", filepath.Base(c))
		cfg, _ := LoadWith(Options{Resolve: noNetwork}, rel)
		if Verdict(cfg) == Invalid {
			continue
		}
		checked++
		got, err := cfg.JSON()
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "haproxy", "golden", strings.TrimSuffix(filepath.Base(c), ".cfg")+".json")
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(bytes.TrimSpace(want), got) {
			t.Errorf("%s: model dump differs from %s (run with -update if intended)", rel, golden)
		}
		printed := filepath.Join(t.TempDir(), "printed.cfg")
		if err := os.WriteFile(printed, []byte(cfg.Format()), 0o644); err != nil {
			t.Fatal(err)
		}
		again, diags2 := LoadWith(Options{Resolve: noNetwork}, printed)
		if Verdict(again) == Invalid {
			t.Errorf("%s: printed configuration does not load: %v\n%s", rel, diags2, cfg.Format())
			continue
		}
		got2, _ := again.JSON()
		if !bytes.Equal(got, got2) {
			t.Errorf("%s: parse(print(x)) != x\n%s", rel, cfg.Format())
		}
	}
	if checked < 30 {
		t.Errorf("only %d valid cases checked", checked)
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{"frontend f\n bind :80\n default_backend b\nbackend b\n server s 127.0.0.1:1\n",
		"global\n log 127.0.0.1 local0\n", "listen l\n bind :1-2\n acl a src 1.2.3.4\n http-request deny if a\n",
		"backend b\n server-template s 3 a.b:1 resolvers r\n",
		"global\n setenv A \"${B}x\"\n presetenv B 1\n unsetenv A\n resetenv B\n.if defined(B)\n.endif\n",
		"defaults\n http-error status 503 content-type t lf-string \"%[path]\" hdr X y\n http-error status 404 default-errorfiles\n"} {
		f.Add(s)
	}
	// Every keyword alone, without its arguments, in each kind of section.
	for kw := range proxyRules {
		f.Add("listen l\n " + kw + "\nfrontend f\n " + kw + "\nbackend b\n " + kw + "\ndefaults\n " + kw + "\n")
	}
	for kw := range globalKeywords {
		f.Add("global\n " + kw + "\n")
	}
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(t.TempDir(), "f.cfg")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, _ := LoadWith(Options{Resolve: noNetwork}, path)
		_ = Verdict(cfg)
		_ = cfg.Format()
	})
}
