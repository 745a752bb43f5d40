package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"fulcrum/internal/netns"
	"fulcrum/internal/reftest"
	"fulcrum/vip"
)

// scrape GETs path from addr inside ns. The connection is made on the
// namespace's locked thread (net/http's client would dial from a goroutine
// of its own, possibly in the host's namespace).
func scrape(t *testing.T, ns *netns.NS, addr, path string) []byte {
	t.Helper()
	var body []byte
	err := ns.Do(func() error {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		body, err = io.ReadAll(resp.Body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// metrics scrapes /metrics and parses it with Prometheus' own parser.
func metrics(t *testing.T, ns *netns.NS, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(scrape(t, ns, addr, "/metrics"))))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// sample finds the one sample of name whose labels include want; its
// value as a float.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, kind dto.MetricType, want map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
	if f.GetType() != kind {
		t.Fatalf("%s is a %v, want %v", name, f.GetType(), kind)
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		if kind == dto.MetricType_COUNTER {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no %s sample with labels %v in %v", name, want, f)
	return 0
}

type statusJSON struct {
	Instances []struct {
		Name              string   `json:"name"`
		State             string   `json:"state"`
		StateCode         int      `json:"state_code"`
		Priority          int      `json:"priority"`
		EffectivePriority int      `json:"effective_priority"`
		VIPs              []string `json:"vips"`
		Counters          struct {
			BecomeMaster uint64 `json:"become_master"`
			AdvertSent   uint64 `json:"advert_sent"`
			AdvertRcvd   uint64 `json:"advert_rcvd"`
		} `json:"counters"`
	} `json:"instances"`
	Scripts []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		State  string `json:"state"`
	} `json:"scripts"`
}

// TestStatusEndpoint runs two of our daemons with status_http_listen,
// scrapes /metrics (parsed by Prometheus' text parser) and /status.json
// from both, kills the master and checks the backup's figures follow its
// failover.
func TestStatusEndpoint(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ours := reftest.Ours(t, "keepalived")
	nsA, nsB := pair(t)
	check := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(check, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	listen := func(addr string) string { return "global_defs {\n\tstatus_http_listen " + addr + "\n" }
	script := "vrrp_script chk_ok {\n\tscript " + check + "\n\tinterval 1\n}\n"
	addrA, addrB := "10.77.0.1:9650", "10.77.0.2:9650"
	excluded := "\tvirtual_ipaddress_excluded {\n\t\t10.77.0.200/24\n\t}"
	a := start(t, "A", ours, nsA, strings.Replace(vrrpConf(150, excluded, ""), "global_defs {\n", listen(addrA), 1))
	b := start(t, "B", ours, nsB, script+strings.Replace(vrrpConf(100, "\ttrack_script {\n\t\tchk_ok\n\t}", ""), "global_defs {\n", listen(addrB), 1))
	a.waitLog(0, masterLine)
	exactlyOne(t, a, b)
	b.waitLog(0, "Status endpoint listening on http://"+addrB)

	vip := map[string]string{"iname": "VI_1", "intf": "eth0", "vrid": "51", "ip_address": "10.77.0.100/24"}
	inst := map[string]string{"iname": "VI_1", "intf": "eth0", "vrid": "51"}
	counter, gauge := dto.MetricType_COUNTER, dto.MetricType_GAUGE
	var fa, fb map[string]*dto.MetricFamily
	waitFor(t, "B has received advertisements", func() bool {
		fb = metrics(t, nsB, addrB)
		return sample(t, fb, "keepalived_advertisements_received_total", counter, inst) > 0
	})
	fa = metrics(t, nsA, addrA)
	for _, c := range []struct {
		desc       string
		fams       map[string]*dto.MetricFamily
		name       string
		kind       dto.MetricType
		labels     map[string]string
		want       float64
		orMoreThan bool
	}{
		{"A is MASTER", fa, "keepalived_vrrp_state", gauge, vip, 2, false},
		{"B is BACKUP", fb, "keepalived_vrrp_state", gauge, vip, 1, false},
		{"A became master once", fa, "keepalived_become_master_total", counter, inst, 1, false},
		{"B never", fb, "keepalived_become_master_total", counter, inst, 0, false},
		{"A advertises", fa, "keepalived_advertisements_sent_total", counter, inst, 0, true},
		{"B does not", fb, "keepalived_advertisements_sent_total", counter, inst, 0, false},
		{"keepalived is up", fa, "keepalived_up", gauge, nil, 1, false},
		{"no auth failures", fb, "keepalived_authentication_failure_total", counter, inst, 0, false},
		{"garp delay", fa, "keepalived_gratuitous_arp_delay_total", counter, inst, 5, false},
		{"B's script is good", fb, "keepalived_script_status", gauge, map[string]string{"name": "chk_ok"}, 1, false},
	} {
		got := sample(t, c.fams, c.name, c.kind, c.labels)
		if c.orMoreThan && got <= c.want || !c.orMoreThan && got != c.want {
			t.Errorf("%s: %s = %v, want %v (or more: %v)", c.desc, c.name, got, c.want, c.orMoreThan)
		}
	}
	for _, name := range []string{"keepalived_packet_length_errors_total", "keepalived_advertisements_interval_errors_total",
		"keepalived_ip_ttl_errors_total", "keepalived_invalid_type_received_total", "keepalived_address_list_errors_total",
		"keepalived_authentication_invalid_total", "keepalived_authentication_mismatch_total",
		"keepalived_priority_zero_received_total", "keepalived_priority_zero_sent_total", "keepalived_release_master_total"} {
		sample(t, fa, name, counter, inst)
	}
	if got := sample(t, fa, "keepalived_vrrp_excluded_state", gauge,
		map[string]string{"iname": "VI_1", "intf": "eth0", "vrid": "51", "ip_address": "10.77.0.200/24"}); got != 2 {
		t.Errorf("A's excluded address: keepalived_vrrp_excluded_state = %v, want 2", got)
	}
	if st := sample(t, fb, "keepalived_script_state", gauge, map[string]string{"name": "chk_ok"}); st != 0 && st != 1 {
		t.Errorf("B's script state %v, want 0 (idle) or 1 (running)", st)
	}
	if f := fb["keepalived_vrrp_excluded_state"]; f != nil {
		t.Errorf("B has no excluded address, yet: %v", f)
	}

	// A dies: B takes over, and its endpoint says so.
	a.signal(syscall.SIGKILL)
	a.waitExit()
	b.waitLog(0, masterLine)
	fb = metrics(t, nsB, addrB)
	if got := sample(t, fb, "keepalived_vrrp_state", gauge, vip); got != 2 {
		t.Errorf("B after failover: keepalived_vrrp_state = %v, want 2", got)
	}
	if got := sample(t, fb, "keepalived_become_master_total", counter, inst); got != 1 {
		t.Errorf("B after failover: keepalived_become_master_total = %v, want 1", got)
	}
	var st statusJSON
	if err := json.Unmarshal(scrape(t, nsB, addrB, "/status.json"), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Instances) != 1 || len(st.Scripts) != 1 {
		t.Fatalf("status.json: %+v", st)
	}
	i := st.Instances[0]
	if i.Name != "VI_1" || i.State != "MASTER" || i.StateCode != 2 || i.Priority != 100 || i.EffectivePriority != 100 ||
		i.Counters.BecomeMaster != 1 || i.Counters.AdvertRcvd == 0 || len(i.VIPs) != 1 || i.VIPs[0] != "10.77.0.100/24 dev eth0" {
		t.Errorf("status.json instance: %+v", i)
	}
	if s := st.Scripts[0]; s.Name != "chk_ok" || s.Status != "GOOD" || s.State != "idle" && s.State != "running" {
		t.Errorf("status.json script: %+v", s)
	}
}

// TestApplyStatus: the endpoint starts, moves when its address changes on
// reload, and stops when the keyword goes away.
func TestApplyStatus(t *testing.T) {
	e := vip.NewEngine(vip.Options{})
	d := &daemon{lg: &logger{}, engine: e, watcher: vip.NewWatcher(e, nil)}
	get := func() error {
		resp, err := http.Get("http://" + d.status.srv.Addr().String() + "/status.json")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	d.applyStatus("127.0.0.1:0")
	if d.status.srv == nil {
		t.Fatal("no endpoint")
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	first := d.status.srv
	d.applyStatus("127.0.0.1:0") // same words: kept
	if d.status.srv != first {
		t.Error("an unchanged address restarted the endpoint")
	}
	d.applyStatus("127.0.0.2:0")
	if d.status.srv == first || d.status.srv == nil {
		t.Fatal("a new address did not move the endpoint")
	}
	addr := first.Addr().String()
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("the old endpoint still answers")
	}
	d.applyStatus("")
	if d.status.srv != nil {
		t.Error("the endpoint outlived its keyword")
	}
}
