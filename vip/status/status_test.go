package status

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"fulcrum/vip"
)

func snapshots() []vip.Snapshot {
	return []vip.Snapshot{
		{Name: `odd "name" \ here`, Interface: "eth0", VRID: 7, StateCode: 2, Priority: 90, EffectivePriority: 80,
			VIPs: []vip.SnapshotVIP{{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Dev: "eth1"},
				{Prefix: netip.MustParsePrefix("10.0.0.2/24"), Dev: "eth0", Excluded: true}},
			Counters: vip.Counters{AdvertSent: 12, BecomeMaster: 1}},
		{Name: "bare", Interface: "eth2", VRID: 8, StateCode: 1},
	}
}

// TestMetricsParse: the exposition parses with Prometheus' parser, label
// values are escaped, and an instance without addresses still has a
// state sample.
func TestMetricsParse(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMetrics(&buf, snapshots(), []vip.ScriptStatus{{Name: "chk", Good: false, Running: true}}); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	state := fams["keepalived_vrrp_state"].GetMetric()
	if len(state) != 2 {
		t.Fatalf("state samples: %v", state)
	}
	got := map[string]string{}
	for _, l := range state[0].GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	if got["iname"] != `odd "name" \ here` || got["intf"] != "eth1" || got["ip_address"] != "10.0.0.1/32" || state[0].GetGauge().GetValue() != 2 {
		t.Errorf("first state sample: %v", state[0])
	}
	if ex := fams["keepalived_vrrp_excluded_state"].GetMetric(); len(ex) != 1 {
		t.Errorf("excluded samples: %v", ex)
	}
	if s := fams["keepalived_script_status"].GetMetric(); len(s) != 1 || s[0].GetGauge().GetValue() != 0 {
		t.Errorf("script status: %v", s)
	}
	if s := fams["keepalived_script_state"].GetMetric(); len(s) != 1 || s[0].GetGauge().GetValue() != 1 {
		t.Errorf("script state: %v", s)
	}
	if c := fams["keepalived_advertisements_sent_total"].GetMetric()[0].GetCounter().GetValue(); c != 12 {
		t.Errorf("sent: %v", c)
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(Source{Instances: snapshots}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc statusDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Instances) != 2 || doc.Instances[0].State != "MASTER" || doc.Instances[1].State != "BACKUP" ||
		len(doc.Instances[0].VIPs) != 1 || len(doc.Instances[0].ExcludedVIPs) != 1 || doc.Instances[0].Counters.AdvertSent != 12 {
		t.Errorf("status.json: %+v", doc)
	}
	if resp, err := http.Post(srv.URL+"/metrics", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %v %v", resp, err)
	}
}
