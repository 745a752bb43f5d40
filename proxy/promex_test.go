package proxy

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches and parses one exporter answer with Prometheus' own
// text parser.
func scrape(t *testing.T, url string) (map[string]*dto.MetricFamily, *http.Response) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		return nil, resp
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%s: not Prometheus text format: %v\n%s", url, err, body)
	}
	return fams, resp
}

// metricKey names a sample by its labels (sorted).
func metricKey(m *dto.Metric) string {
	var l []string
	for _, lp := range m.GetLabel() {
		l = append(l, lp.GetName()+"="+lp.GetValue())
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return m.GetUntyped().GetValue()
}

// promSame are the metrics whose values must agree after the same
// traffic (times, rates, byte counts and sizes differ by nature).
var promSame = map[string]bool{
	"haproxy_process_nbthread": true, "haproxy_process_nbproc": true, "haproxy_process_relative_process_id": true,
	"haproxy_frontend_status": true, "haproxy_backend_status": true, "haproxy_server_status": true,
	"haproxy_backend_weight": true, "haproxy_server_weight": true, "haproxy_backend_active_servers": true,
	"haproxy_backend_backup_servers": true, "haproxy_server_check_status": true,
	"haproxy_server_sessions_total": true, "haproxy_backend_sessions_total": true,
	"haproxy_server_check_failures_total": true, "haproxy_server_check_up_down_total": true,
	"haproxy_server_queue_limit": true, "haproxy_server_limit_sessions": true,
	"haproxy_backend_agg_server_status": true, "haproxy_backend_agg_check_status": true,
	"haproxy_server_uweight": true, "haproxy_backend_uweight": true,
}

// TestPrometheusDifferential scrapes the reference's prometheus-exporter
// and ours on the same configuration after the same traffic, parses both
// with Prometheus' parser, and compares them metric by metric: names,
// HELP, TYPE, the label sets of every sample, and the values that must
// agree. It also checks the scope filter on both.
func TestPrometheusDifferential(t *testing.T) {
	p := startStatsPair(t)
	refFams, _ := scrape(t, "http://"+p.refProm+"/metrics")
	ourFams, _ := scrape(t, "http://"+p.ourProm+"/metrics")
	for name, rf := range refFams {
		of := ourFams[name]
		if of == nil {
			t.Errorf("%s: missing", name)
			continue
		}
		if rf.GetHelp() != of.GetHelp() || rf.GetType() != of.GetType() {
			t.Errorf("%s: ref HELP %q TYPE %v, ours HELP %q TYPE %v", name, rf.GetHelp(), rf.GetType(), of.GetHelp(), of.GetType())
		}
		ours := map[string]*dto.Metric{}
		for _, m := range of.GetMetric() {
			ours[metricKey(m)] = m
		}
		for _, rm := range rf.GetMetric() {
			key := metricKey(rm)
			om := ours[key]
			if om == nil {
				t.Errorf("%s{%s}: missing", name, key)
				continue
			}
			delete(ours, key)
			if !promSame[name] || strings.Contains(key, "proxy=prom") {
				continue
			}
			if rv, ov := sampleValue(rm), sampleValue(om); rv != ov && !(rv != rv && ov != ov) {
				t.Errorf("%s{%s}: ref %v, ours %v", name, key, rv, ov)
			}
		}
		for key := range ours {
			t.Errorf("%s{%s}: not in the reference", name, key)
		}
	}
	for name := range ourFams {
		if refFams[name] == nil {
			t.Errorf("%s: not in the reference", name)
		}
	}

	// The rule after use-service answers what it does not serve.
	for _, base := range []string{p.refProm, p.ourProm} {
		if _, resp := scrape(t, "http://"+base+"/other"); resp.StatusCode != 403 {
			t.Errorf("%s/other: status %d, want the deny rule's 403", base, resp.StatusCode)
		}
	}

	for _, tc := range []struct {
		desc, query string
		status      int
	}{
		{"servers only", "scope=server", 200},
		{"global and frontends", "scope=global&scope=frontend", 200},
		{"no-maint", "scope=server&no-maint", 200},
		{"unknown scope", "scope=nope", 400},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			rf, rresp := scrape(t, "http://"+p.refProm+"/metrics?"+tc.query)
			of, oresp := scrape(t, "http://"+p.ourProm+"/metrics?"+tc.query)
			if rresp.StatusCode != tc.status || oresp.StatusCode != tc.status {
				t.Fatalf("status: ref %d, ours %d, want %d", rresp.StatusCode, oresp.StatusCode, tc.status)
			}
			if names(rf) != names(of) {
				t.Errorf("families:\nref  %s\nours %s", names(rf), names(of))
			}
			for name, f := range rf {
				if len(f.GetMetric()) != len(of[name].GetMetric()) {
					t.Errorf("%s: ref %d samples, ours %d", name, len(f.GetMetric()), len(of[name].GetMetric()))
				}
			}
		})
	}
}

func names(fams map[string]*dto.MetricFamily) string {
	var n []string
	for name := range fams {
		n = append(n, name)
	}
	sort.Strings(n)
	return fmt.Sprint(n)
}
