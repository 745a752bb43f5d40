package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/proxy/stick"
)

func TestParseStickTable(t *testing.T) {
	for _, tc := range []struct {
		desc, def, err string
		check          func(stick.Spec) bool
	}{
		{desc: "ip with rates", def: "type ip size 1m expire 30s store gpc0,conn_rate(10s),http_req_rate(1m)",
			check: func(s stick.Spec) bool {
				return s.Key == stick.IP && s.Size == 1<<20 && s.Expire == 30*time.Second && s.Stored[stick.GPC0] &&
					s.Period[stick.ConnRate] == 10*time.Second && s.Period[stick.HTTPReqRate] == time.Minute &&
					!s.Stored[stick.ConnCnt]
			}},
		{desc: "string len", def: "type string len 8 size 100 store server_id,server_key",
			check: func(s stick.Spec) bool { return s.Key == stick.String && s.KeyLen == 8 && s.Stored[stick.ServerKey] }},
		{desc: "binary default len", def: "type binary size 10",
			check: func(s stick.Spec) bool { return s.KeyLen == stick.DefaultKeyLen }},
		{desc: "several store lists", def: "type integer size 10k store gpc0 store gpc1 nopurge peers p",
			check: func(s stick.Spec) bool {
				return s.Size == 10240 && s.Stored[stick.GPC0] && s.Stored[stick.GPC1] && s.NoPurge && s.Peers == "p"
			}},
		{desc: "data types not built", def: "type ip size 1 store gpt(2),gpc_rate(2,10s),gpc0",
			check: func(s stick.Spec) bool { return s.Stored[stick.GPC0] }},
		{desc: "http failures", def: "type ip size 1 store http_fail_cnt,http_fail_rate(10s)",
			check: func(s stick.Spec) bool {
				return s.Stored[stick.HTTPFailCnt] && s.Stored[stick.HTTPFailRate] && s.Period[stick.HTTPFailRate] == 10*time.Second
			}},
		{desc: "missing size", def: "type ip", err: "missing size"},
		{desc: "missing type", def: "size 10", err: "missing type"},
		{desc: "bad type", def: "type foo size 1", err: "unknown type"},
		{desc: "rate without period", def: "type ip size 1 store conn_rate", err: "needs a period"},
		{desc: "period on a counter", def: "type ip size 1 store gpc0(10s)", err: "needs a period"},
		{desc: "unknown data", def: "type ip size 1 store foo", err: "unknown data type"},
		{desc: "bad size", def: "type ip size 1x", err: "size"},
		{desc: "bad expire", def: "type ip size 1 expire 10q", err: "expire"},
		{desc: "dangling word", def: "type ip size", err: "missing argument"},
	} {
		s, _, err := parseStickTable("t", strings.Fields(tc.def))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.desc, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.desc, err)
		case tc.err == "" && !tc.check(s):
			t.Errorf("%s: wrong spec %+v", tc.desc, s)
		}
	}
}

// TestStickAdapter: what the adapter makes of stick-table, track-sc and
// stick lines, and what it reports.
func TestStickAdapter(t *testing.T) {
	cfg, diags := adapt(t, `frontend fe
	bind 127.0.0.1:8000
	mode http
	stick-table type ip size 10 store gpc0 peers mypeers
	tcp-request connection track-sc0 src
	tcp-request session track-sc1 src
	tcp-request content track-sc2 src
	http-request sc-inc-gpc0(0)
	http-request track-sc1 req.hdr(x-a),lower table be
	http-request track-sc2 ssl_fc_session_id table be
	default_backend be
backend be
	mode http
	stick-table type string size 10
	stick on req.hdr(x-user),lower
	server s1 127.0.0.1:9000
peers mypeers
	disabled
	peer other 127.0.0.1:18491
`)
	fe := cfg.Frontends[0]
	if len(fe.ConnectionRules) != 1 || len(fe.SessionRules) != 1 || len(fe.ContentRules) != 1 {
		t.Errorf("tcp-request rules: %d connection, %d session, %d content; want 1 each",
			len(fe.ConnectionRules), len(fe.SessionRules), len(fe.ContentRules))
	}
	if n := len(fe.HTTP.RequestRules); n != 2 {
		t.Errorf("%d http-request rules, want 2 (the one with a fetch not built left out)", n)
	}
	be := backendNamed(cfg, "be")
	if len(be.Stick) != 1 || !be.Stick[0].Match || !be.Stick[0].Store {
		t.Errorf("stick rules %+v, want one match+store", be.Stick)
	}
	if len(cfg.Tables) != 2 || !cfg.Tables[1].Stored[stick.ServerID] || cfg.Tables[0].Stored[stick.ServerID] {
		t.Errorf("tables %+v: want fe and be, server_id stored only in be (used by stick rules)", cfg.Tables)
	}
	var warned []string
	for _, d := range diags {
		if d.Severity == confparse.Warning {
			warned = append(warned, d.Message)
		}
	}
	all := strings.Join(warned, "\n")
	for _, want := range []string{":4] : stick-table 'fe' : peers section 'mypeers' is not enabled here: the table is not replicated.",
		":10] : sample 'ssl_fc_session_id' as a stick key : fetch method 'ssl_fc_session_id' is not supported by Fulcrum yet"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
}

// TestPeersTable: a peers section's table is a table called PEERS/NAME
// that rules can track in, replicated by its section.
func TestPeersTable(t *testing.T) {
	cfg, diags := adapt(t, `peers mypeers
	peer local 127.0.0.1:18490
	table t1 type ip size 10 store gpc0
frontend fe
	bind 127.0.0.1:8000
	mode http
	http-request track-sc0 src table mypeers/t1
	default_backend be
backend be
	mode http
	server s1 127.0.0.1:9000
`)
	if len(cfg.Tables) != 1 || cfg.Tables[0].Name != "mypeers/t1" || !cfg.Tables[0].Stored[stick.GPC0] {
		t.Fatalf("tables %+v, want mypeers/t1 storing gpc0", cfg.Tables)
	}
	if len(cfg.Frontends[0].HTTP.RequestRules) != 1 {
		t.Errorf("the track-sc0 rule on the peers table was not mapped")
	}
	if strings.Contains(fmt.Sprint(diags), "replicat") {
		t.Errorf("a warning about replication in %v", diags)
	}
	if cfg.Tables[0].Peers != "mypeers" || len(cfg.Peers) != 1 || len(cfg.Peers[0].Peers) != 1 {
		t.Errorf("the table is not replicated by mypeers: %+v %+v", cfg.Tables[0], cfg.Peers)
	}
}

func FuzzParseStickTable(f *testing.F) {
	for _, s := range []string{"type ip size 1k expire 30s store gpc0,conn_rate(10s)", "type string len 8 size 1",
		"type binary size 1m store http_req_rate(", "store ,,(", "type integer size 99999999999k", "type string len"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, _, err := parseStickTable("f", strings.Fields(s))
		if err != nil {
			return
		}
		tb := stick.New(spec, nil)
		if k, ok := tb.KeyFromString(nil, s); ok {
			if e := tb.Track(k); e != nil {
				tb.Inc(e, stick.EvGPC0)
				tb.Release(e)
			}
		}
		var b strings.Builder
		tb.Show(&b, stick.Query{})
	})
}
