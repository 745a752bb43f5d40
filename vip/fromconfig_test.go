package vip

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/keepalived"
	"fulcrum/vip/vrrp"
)

// plan loads text as keepalived.conf (every interface exists) and maps it.
func plan(t *testing.T, text string) *Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := keepalived.Load(path, keepalived.LoadOptions{ConfigID: "x",
		Interface: func(string) (bool, bool) { return true, false }, Resolve: func(string) bool { return true }})
	return FromConfig(cfg)
}

func instance(body string) string {
	return "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n" + body + "\n}\n"
}

func TestFromConfig(t *testing.T) {
	for _, tc := range []struct {
		desc  string
		conf  string
		check func(t *testing.T, p *Plan)
	}{
		{desc: "defaults", conf: instance("virtual_ipaddress {\n 10.0.0.1/24\n}"), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			if c.Name != "VI_1" || c.Interface != "eth0" || c.VRID != 51 || c.Priority != 100 || c.Interval != time.Second ||
				c.Version != 2 || c.NoPreempt || c.AuthType != vrrp.AuthNone || c.GARPDelay != 5*time.Second || c.GARPRepeat != 5 {
				t.Errorf("%+v", c)
			}
			if len(c.VIPs) != 1 || c.VIPs[0].Prefix != netip.MustParsePrefix("10.0.0.1/24") {
				t.Errorf("VIPs %+v", c.VIPs)
			}
		}},
		{desc: "state, priority, advert, auth", conf: instance(`state MASTER
 priority 150
 advert_int 3
 authentication {
  auth_type PASS
  auth_pass longpassword
 }
 virtual_ipaddress {
  10.0.0.1/24
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			if !c.InitialMaster || c.Priority != 150 || c.Interval != 3*time.Second || c.NoPreempt ||
				c.AuthType != vrrp.AuthPass || c.AuthPass != "longpass" {
				t.Errorf("%+v", c)
			}
		}},
		{desc: "nopreempt", conf: instance("state BACKUP\n nopreempt\n virtual_ipaddress {\n 10.0.0.1\n}"), check: func(t *testing.T, p *Plan) {
			if c := one(t, p); !c.NoPreempt {
				t.Errorf("%+v", c)
			}
		}},
		{desc: "preempt_delay", conf: instance("state BACKUP\n preempt_delay 4\n virtual_ipaddress {\n 10.0.0.1\n}"), check: func(t *testing.T, p *Plan) {
			if c := one(t, p); c.PreemptDelay != 4*time.Second || c.VIPs[0].Prefix.Bits() != 32 {
				t.Errorf("%+v", c)
			}
		}},
		{desc: "vip options and excluded", conf: instance(`virtual_ipaddress {
  10.0.0.1/24 brd 10.0.0.255 dev eth1 scope link label eth1:vip
 }
 virtual_ipaddress_excluded {
  10.1.0.1/16
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			v := c.VIPs[0]
			if v.Dev != "eth1" || v.Label != "eth1:vip" || v.Broadcast != netip.MustParseAddr("10.0.0.255") || v.Scope != 253 {
				t.Errorf("VIP %+v", v)
			}
			if len(c.ExcludedVIPs) != 1 || c.ExcludedVIPs[0].Prefix != netip.MustParsePrefix("10.1.0.1/16") {
				t.Errorf("excluded %+v", c.ExcludedVIPs)
			}
		}},
		{desc: "routes and rules", conf: instance(`virtual_ipaddress {
  10.0.0.1/24
 }
 virtual_routes {
  192.168.2.0/24 via 10.0.0.254 dev eth0 metric 5 table 100
  src 10.0.0.1 to 192.168.3.0/24 dev eth0 scope link
 }
 virtual_rules {
  from 10.0.0.1 table 100 priority 200
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			if len(c.Routes) != 2 {
				t.Fatalf("routes %+v (warnings %v)", c.Routes, p.Warnings)
			}
			r := c.Routes[0]
			if r.Dst != netip.MustParsePrefix("192.168.2.0/24") || r.Gateway != netip.MustParseAddr("10.0.0.254") ||
				r.Dev != "eth0" || r.Metric != 5 || r.Table != 100 {
				t.Errorf("route %+v", r)
			}
			if r := c.Routes[1]; r.Src != netip.MustParseAddr("10.0.0.1") || r.Scope != 253 || r.Dst.Bits() != 24 {
				t.Errorf("route %+v", r)
			}
			if len(c.Rules) != 1 || c.Rules[0].From != netip.MustParsePrefix("10.0.0.1/32") || c.Rules[0].Table != 100 ||
				c.Rules[0].Preference != 200 {
				t.Errorf("rules %+v", c.Rules)
			}
		}},
		{desc: "routes the engine cannot install warn", conf: instance(`virtual_ipaddress {
  10.0.0.1/24
 }
 virtual_routes {
  blackhole 192.168.113.1/32
  192.168.4.0/24 dev eth0
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			if len(c.Routes) != 1 || c.Routes[0].Dst != netip.MustParsePrefix("192.168.4.0/24") {
				t.Errorf("routes %+v", c.Routes)
			}
			found := false
			for _, w := range p.Warnings {
				found = found || (strings.Contains(w.Message, "blackhole") && strings.Contains(w.Message, "route not installed") && w.Pos.Line > 0)
			}
			if !found {
				t.Errorf("no warning with a line for the blackhole route: %v", p.Warnings)
			}
		}},
		{desc: "unicast", conf: instance(`unicast_src_ip 10.0.0.2
 unicast_ttl 10
 unicast_peer {
  10.0.0.3
  10.0.0.4
 }
 virtual_ipaddress {
  10.0.0.1/24
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			if c.SrcAddr != netip.MustParseAddr("10.0.0.2") || c.UnicastTTL != 10 || len(c.UnicastPeers) != 2 || c.UnicastPeers[1] != netip.MustParseAddr("10.0.0.4") {
				t.Errorf("%+v", c)
			}
		}},
		{desc: "mcast group, garp, strict", conf: "global_defs {\n vrrp_mcast_group4 224.0.0.19\n vrrp_garp_interval 0.5\n vrrp_skip_check_adv_addr\n}\n" +
			instance("garp_master_delay 2\n garp_master_repeat 3\n garp_master_refresh 60\n garp_master_refresh_repeat 2\n virtual_ipaddress {\n 10.0.0.1/24\n}"),
			check: func(t *testing.T, p *Plan) {
				c := one(t, p)
				if c.McastGroup != netip.MustParseAddr("224.0.0.19") || c.GARPInterval != 500*time.Millisecond || !c.SkipCheckAdvAddr ||
					c.GARPDelay != 2*time.Second || c.GARPRepeat != 3 || c.GARPRefresh != time.Minute || c.GARPRefreshRepeat != 2 {
					t.Errorf("%+v", c)
				}
			}},
		{desc: "VRRPv3", conf: instance("version 3\n advert_int 0.5\n virtual_ipaddress {\n 10.0.0.1/24\n}"), check: func(t *testing.T, p *Plan) {
			if c := one(t, p); c.Version != 3 || c.Interval != 500*time.Millisecond {
				t.Errorf("%+v", c)
			}
		}},
		{desc: "tracking with weights", conf: `vrrp_script chk {
 script "/bin/true"
 interval 2
 weight -20
 rise 2
 fall 3
}
vrrp_track_file tf {
 file /run/tf
}
` + instance(`track_interface {
  eth1 weight 10
  eth2
 }
 track_script {
  chk
 }
 track_file {
  tf weight 5
 }
 virtual_ipaddress {
  10.0.0.1/24
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			want := map[string]Track{"if:eth1": {Name: "if:eth1", Weight: 10}, "if:eth2": {Name: "if:eth2"},
				"script:chk": {Name: "script:chk", Weight: -20}, "file:tf": {Name: "file:tf", Weight: 5, File: true}}
			if len(c.Tracks) != len(want) {
				t.Fatalf("tracks %+v", c.Tracks)
			}
			for _, tr := range c.Tracks {
				if want[tr.Name] != tr {
					t.Errorf("track %+v, want %+v", tr, want[tr.Name])
				}
			}
			var script *Watch
			for i := range p.Watches {
				if p.Watches[i].Key == "script:chk" {
					script = &p.Watches[i]
				}
			}
			if script == nil || script.Script.Interval != 2*time.Second || script.Script.Rise != 2 || script.Script.Fall != 3 ||
				script.Script.Cmd.Argv[0] != "/bin/true" || script.Instances[0] != "VI_1" {
				t.Errorf("script watch %+v", script)
			}
			if len(p.Watches) != 4 {
				t.Errorf("watches %+v", p.Watches)
			}
		}},
		{desc: "notify scripts and fifo", conf: "global_defs {\n notify_fifo /run/kfifo\n}\n" + instance(`notify_master "/bin/m arg"
 notify_backup /bin/b
 notify /bin/any
 virtual_ipaddress {
  10.0.0.1/24
 }`), check: func(t *testing.T, p *Plan) {
			c := one(t, p)
			if strings.Join(c.Notify.Master.Argv, " ") != "/bin/m arg" || c.Notify.Backup.Argv[0] != "/bin/b" || c.Notify.Any.Argv[0] != "/bin/any" ||
				c.Notify.Fault.Set() {
				t.Errorf("notify %+v", c.Notify)
			}
			if p.FIFO != "/run/kfifo" {
				t.Errorf("fifo %q", p.FIFO)
			}
			for _, w := range p.Warnings {
				if strings.Contains(w.Message, "notify_fifo") {
					t.Errorf("notify_fifo is acted on but warned about: %s", w.Message)
				}
			}
		}},
		{desc: "sync group and statics", conf: instance("virtual_ipaddress {\n 10.0.0.1/24\n}") +
			"vrrp_sync_group G1 {\n group {\n  VI_1\n }\n notify_master /bin/gm\n}\n" +
			"static_ipaddress {\n 10.9.9.9/32 dev lo\n}\nstatic_routes {\n 10.8.0.0/16 dev lo\n}\n",
			check: func(t *testing.T, p *Plan) {
				if len(p.Groups) != 1 || p.Groups[0].Name != "G1" || p.Groups[0].Members[0] != "VI_1" || p.Groups[0].Notify.Master.Argv[0] != "/bin/gm" {
					t.Errorf("groups %+v", p.Groups)
				}
				if len(p.StaticAddrs) != 1 || p.StaticAddrs[0].Dev != "lo" || len(p.StaticRoutes) != 1 || p.StaticRoutes[0].Dev != "lo" {
					t.Errorf("statics %+v %+v", p.StaticAddrs, p.StaticRoutes)
				}
			}},
		{desc: "unacted settings warn with file:line", conf: "global_defs {\n lvs_flush\n}\n" +
			instance("smtp_alert\n virtual_ipaddress {\n 10.0.0.1/24\n}") + "virtual_server 10.0.0.1 80 {\n lb_algo rr\n}\n",
			check: func(t *testing.T, p *Plan) {
				var lines []string
				for _, w := range p.Warnings {
					lines = append(lines, w.Pos.String()+" "+w.Message)
					if !strings.HasPrefix(w.Message, "WARNING: ") {
						t.Errorf("not a WARNING: %s", w.Message)
					}
				}
				all := strings.Join(lines, "\n")
				for _, want := range []string{"keepalived.conf:2", "global_defs/lvs_flush", "(VI_1) smtp_alert", "LVS", "lb_algo"} {
					if !strings.Contains(all, want) {
						t.Errorf("no %q in warnings:\n%s", want, all)
					}
				}
			}},
	} {
		t.Run(tc.desc, func(t *testing.T) { tc.check(t, plan(t, tc.conf)) })
	}
}

func one(t *testing.T, p *Plan) Config {
	t.Helper()
	if len(p.Instances) != 1 {
		t.Fatalf("%d instances, warnings %v", len(p.Instances), p.Warnings)
	}
	return p.Instances[0]
}

// TestFromConfigCorpus maps every real configuration of the corpus: no
// panic, every instance the engine accepts (Validate), and each instance
// the model kept either mapped or explained by a warning.
func TestFromConfigCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(reftest.Corpus(t), "keepalived", "*.conf"))
	if len(files) == 0 {
		t.Fatal("no keepalived corpus files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, _ := keepalived.Load(f, keepalived.LoadOptions{ConfigID: "x", Dir: filepath.Dir(f),
				Interface: func(string) (bool, bool) { return true, false }, Resolve: func(string) bool { return true }})
			p := FromConfig(cfg)
			t.Logf("%d of %d instances mapped, %d warnings", len(p.Instances), len(cfg.Instances), len(p.Warnings))
			for _, w := range p.Warnings {
				if !strings.Contains(w.Message, "is read but not acted on") {
					t.Log(w.Message)
				}
			}
			for _, c := range p.Instances {
				if err := c.Validate(); err != nil {
					t.Errorf("%s: %v", c.Name, err)
				}
			}
			if dropped := len(cfg.Instances) - len(p.Instances); dropped > 0 {
				n := 0
				for _, w := range p.Warnings {
					if strings.Contains(w.Message, "instance not run") {
						n++
					}
				}
				if n != dropped {
					t.Errorf("%d instances dropped, %d explained: %v", dropped, n, p.Warnings)
				}
			}
		})
	}
}
