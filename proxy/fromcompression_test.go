package proxy

import (
	"slices"
	"strings"
	"testing"

	"fulcrum/proxy/httpcomp"
)

// TestCompressionSettings: the adapter's reading of the compression
// lines: tune.comp.maxlevel, algorithms put in front of those before
// (defaults' included), types added, offload ignored in defaults, the
// settings of a proxy with only `filter compression`, none without; and
// filters other than compression warned at their line.
func TestCompressionSettings(t *testing.T) {
	cfg, diags := adapt(t, `global
  tune.comp.maxlevel 6
defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
  compression algo deflate
  compression type text/plain
  compression offload
frontend fe
  bind 127.0.0.1:1
  compression algo gzip raw-deflate
  compression type text/html
  filter trace
  filter compression
  default_backend be
backend be
  compression offload
  server s 127.0.0.1:2
defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
backend filtered
  filter compression
  server s 127.0.0.1:2
backend plain
  server s 127.0.0.1:2
`)
	fe := cfg.Frontends[0].HTTP.Comp
	want := []httpcomp.Algo{httpcomp.RawDeflate, httpcomp.Gzip, httpcomp.Deflate}
	if fe == nil || !slices.Equal(fe.Algos, want) || !slices.Equal(fe.Types, []string{"text/plain", "text/html"}) || fe.Offload || fe.Level != 6 {
		t.Errorf("frontend settings %+v; want algos %v, both types, no offload (defaults'), level 6", fe, want)
	}
	if be := backendNamed(cfg, "be").HTTP.Comp; be == nil || !be.Offload || !slices.Equal(be.Algos, []httpcomp.Algo{httpcomp.Deflate}) {
		t.Errorf("backend be settings %+v; want its defaults' algorithm and its own offload", be)
	}
	if c := backendNamed(cfg, "filtered").HTTP.Comp; c == nil || len(c.Algos)+len(c.Types) != 0 {
		t.Errorf("a backend with only the filter: %+v; want empty settings", c)
	}
	if c := backendNamed(cfg, "plain").HTTP.Comp; c != nil {
		t.Errorf("a backend without compression has settings %+v", c)
	}
	var warned []string
	for _, d := range diags {
		warned = append(warned, d.Message)
	}
	all := strings.Join(warned, "\n")
	if !strings.Contains(all, ":15] : 'filter trace' is not acted on yet by Fulcrum.") || strings.Contains(all, "filter compression") {
		t.Errorf("adapter diagnostics:\n%s\nwant the trace filter warned, the compression filter not", all)
	}
	for _, kw := range []string{"compression", "filter"} {
		if !ActsOn(kw) {
			t.Errorf("ActsOn(%q) = false", kw)
		}
	}
	if !ActsOnGlobal("tune.comp.maxlevel") {
		t.Error(`ActsOnGlobal("tune.comp.maxlevel") = false`)
	}
}
