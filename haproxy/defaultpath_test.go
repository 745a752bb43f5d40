package haproxy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fulcrum/confparse"
)

// argsOfLine finds the arguments of the first line with keyword kw in the
// named proxy.
func argsOfLine(t *testing.T, cfg *Config, proxy, kw string) []string {
	t.Helper()
	for _, p := range cfg.Proxies {
		if p.Name != proxy {
			continue
		}
		for _, d := range p.Section.Lines {
			if d.Keyword == kw {
				return d.Args
			}
		}
	}
	t.Fatalf("no %q line in %q", kw, proxy)
	return nil
}

func TestDefaultPathResolvesLaterFiles(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf")
	other := filepath.Join(dir, "other")
	for _, d := range []string{conf, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, text string) string {
		t.Helper()
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	write(filepath.Join(conf, "e.http"), "HTTP/1.0 503 Service Unavailable\r\n\r\n")
	write(filepath.Join(conf, "ips.lst"), "192.0.2.1\n")
	write(filepath.Join(conf, "m.map"), "a b\n")
	write(filepath.Join(dir, "e.http"), "HTTP/1.0 503 Service Unavailable\r\n\r\n")
	const proxyText = `
frontend %s
    mode http
    bind 127.0.0.1:18080
    timeout client 1s
    errorfile 503 e.http
    acl bad src -f ips.lst
    http-request set-header x %%[req.hdr(host),map(m.map)]
    http-request deny if bad
`
	first := write(filepath.Join(conf, "a.cfg"), "global\n    master-worker\n    default-path config\n"+strings.ReplaceAll(proxyText, "%s", "a")+
		"program p\n    command run -f x.lst\n")
	second := write(filepath.Join(other, "b.cfg"), strings.ReplaceAll(proxyText, "%s", "b"))
	cfg, diags := LoadWith(Options{Resolve: noNetwork}, first, second)
	if Verdict(cfg) == Invalid {
		t.Fatalf("configuration refused: %v", diags)
	}
	for _, px := range []string{"a", "b"} { // the second file keeps the first one's default-path
		if got, want := argsOfLine(t, cfg, px, "errorfile"), []string{"503", filepath.Join(conf, "e.http")}; !slices.Equal(got, want) {
			t.Errorf("%s: errorfile args %q, want %q", px, got, want)
		}
		if got := argsOfLine(t, cfg, px, "acl"); got[len(got)-1] != filepath.Join(conf, "ips.lst") {
			t.Errorf("%s: acl args %q, want the list from %s", px, got, conf)
		}
		if got := argsOfLine(t, cfg, px, "http-request"); !strings.Contains(got[2], "map("+filepath.Join(conf, "m.map")+")") {
			t.Errorf("%s: map converter %q, want the map from %s", px, got[2], conf)
		}
	}
	if !strings.Contains(cfg.Format(), "errorfile 503 e.http") {
		t.Errorf("the configuration does not print back as written:\n%s", cfg.Format())
	}
	if len(cfg.Programs) != 1 || !slices.Equal(cfg.Programs[0].Command, []string{"run", "-f", "x.lst"}) {
		t.Errorf("a program's command line was rewritten: %+v", cfg.Programs)
	}

	// Files default-path does not resolve yet stay pending, with their line.
	pending := write(filepath.Join(conf, "s.cfg"), "global\n    default-path config\n    server-state-file state\n    server-state-file /abs/state\n")
	cfg, _ = LoadWith(Options{Resolve: noNetwork}, pending)
	var notices []int
	for _, d := range cfg.Pending {
		if strings.Contains(d.Message, "'default-path for the file of 'server-state-file''") {
			notices = append(notices, d.Pos.Line)
		}
	}
	if !slices.Equal(notices, []int{3}) {
		t.Errorf("pending notices %v, want one for the relative server-state-file at line 3", cfg.Pending)
	}

	// "current" goes back to the working directory, so the same names fail.
	back := write(filepath.Join(dir, "c.cfg"), "global\n    default-path parent\n    default-path current\n"+strings.ReplaceAll(proxyText, "%s", "c"))
	if cfg, _ := LoadWith(Options{Resolve: noNetwork}, back); Verdict(cfg) != Invalid {
		t.Errorf("default-path current did not return to the working directory")
	}
	// "parent" of conf/ is dir, which holds e.http only.
	parent := write(filepath.Join(conf, "p.cfg"), "global\n    default-path parent\nfrontend p\n    mode http\n    bind 127.0.0.1:18080\n    timeout client 1s\n    errorfile 503 e.http\n")
	cfg, diags = LoadWith(Options{Resolve: noNetwork}, parent)
	if Verdict(cfg) == Invalid {
		t.Fatalf("parent configuration refused: %v", diags)
	}
	if got := argsOfLine(t, cfg, "p", "errorfile"); got[1] != filepath.Join(dir, "e.http") {
		t.Errorf("parent: errorfile %q, want it from %s", got[1], dir)
	}
}

func FuzzDefaultPathWords(f *testing.F) {
	for _, s := range []string{"errorfile 503 x", "acl a src -f", "http-request set-map(f.map) a b",
		"x %[req.hdr(a),map(,map_str(b.map,c)]", "map(", "lua-load", "use_backend b if { src -f -f }"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		l := &loader{dir: "base", kind: "frontend", cfg: &Config{}}
		words := strings.Fields(text)
		got := l.withDefaultPath(confparse.Pos{}, words)
		if len(got) != len(words) {
			t.Fatalf("%q became %q", words, got)
		}
	})
}
