package keepalived

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, text string) Result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Check("k.conf", fakeEnv(dir))
}

const minimal = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n%s virtual_ipaddress {\n  10.0.0.100/24 brd 10.0.0.255 dev eth0 scope global label eth0:1\n }\n}\n"

func TestInstanceDefaults(t *testing.T) {
	res := load(t, strings.Replace(minimal, "%s", "", 1))
	if res.Exit != 0 {
		t.Fatalf("exit %d: %v", res.Exit, res.Messages)
	}
	in := res.Config.Instances[0]
	if in.Priority != 100 || in.AdvertInt != time.Second || in.Version != 2 || !in.Preempt ||
		in.State != StateBackup || in.GarpMasterDelay != 5*time.Second || in.GarpMasterRepeat != 5 {
		t.Errorf("defaults = %+v", in)
	}
	vip := in.VIPs[0]
	want := &Address{Prefix: netip.MustParsePrefix("10.0.0.100/24"), Broadcast: "10.0.0.255", Dev: "eth0", Scope: "global", Label: "eth0:1"}
	if vip.Prefix != want.Prefix || vip.Broadcast != want.Broadcast || vip.Dev != want.Dev || vip.Scope != want.Scope || vip.Label != want.Label {
		t.Errorf("vip = %+v, want %+v", vip, want)
	}
	g := res.Config.Global
	if g.VRRPMcastGroup4 != netip.MustParseAddr("224.0.0.18") || g.VRRPVersion != 2 {
		t.Errorf("global defaults = %+v", g)
	}
}

func TestInstanceSemantics(t *testing.T) {
	cases := []struct {
		desc  string
		body  string
		exit  int
		msg   string // substring of some message, "" for none
		check func(*Instance) bool
	}{
		{"master without priority is the owner", " state MASTER\n", 0, "", func(in *Instance) bool { return in.Priority == 255 }},
		{"priority kept", " state MASTER\n priority 150\n", 0, "", func(in *Instance) bool { return in.Priority == 150 }},
		{"priority out of range", " priority 300\n", 5, "Priority not valid! must be between 1 & 255. Using default 100", func(in *Instance) bool { return in.Priority == 100 }},
		{"auth pass truncated and padded", " authentication {\n auth_type PASS\n auth_pass 0123456789\n }\n", 5, "Truncating auth_pass to 8 characters",
			func(in *Instance) bool { return string(in.AuthPass) == "01234567" && in.AuthType == AuthPass }},
		{"short auth pass zero padded", " authentication {\n auth_type PASS\n auth_pass abc\n }\n", 0, "",
			func(in *Instance) bool { return string(in.AuthPass) == "abc\x00\x00\x00\x00\x00" }},
		{"v3 advert interval in hundredths", " version 3\n advert_int 0.5\n", 0, "", func(in *Instance) bool { return in.AdvertInt == 500*time.Millisecond }},
		{"v2 advert interval rounded", " advert_int 1.5\n", 5, "VRRPv2 advertisement interval 1.500000s must be an integer. rounding",
			func(in *Instance) bool { return in.AdvertInt == 2*time.Second }},
		{"nopreempt", " nopreempt\n preempt_delay 3\n", 0, "", func(in *Instance) bool { return !in.Preempt && in.PreemptDelay == 3*time.Second }},
		{"unicast peers", " unicast_src_ip 10.0.0.1\n unicast_peer {\n 10.0.0.2\n 10.0.0.3\n }\n", 0, "",
			func(in *Instance) bool {
				return len(in.UnicastPeers) == 2 && in.UnicastSrcIP == netip.MustParseAddr("10.0.0.1")
			}},
		{"track interface weight", " track_interface {\n eth1 weight -20\n }\n", 0, "",
			func(in *Instance) bool { return len(in.TrackInterfaces) == 1 && in.TrackInterfaces[0].Weight == -20 }},
		{"undefined track script", " track_script {\n nope\n }\n", 5, "(VI_1) track script nope not found, ignoring...", nil},
		{"missing interface", " track_interface {\n nosuch0\n }\n", 4, "(VI_1) tracked interface nosuch0 doesn't exist", nil},
		{"unknown keyword", " bogus 1\n", 5, "Unknown keyword 'bogus'", nil},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			res := load(t, strings.Replace(minimal, "%s", c.body, 1))
			var all []string
			for _, m := range res.Messages {
				all = append(all, m.String())
			}
			text := strings.Join(all, "\n")
			if res.Exit != c.exit && !(c.exit == 4 && res.Exit == 5) {
				t.Errorf("exit %d, want %d: %s", res.Exit, c.exit, text)
			}
			if c.msg != "" && !strings.Contains(text, c.msg) {
				t.Errorf("messages %q lack %q", text, c.msg)
			}
			if c.check != nil && (len(res.Config.Instances) == 0 || !c.check(res.Config.Instances[0])) {
				t.Errorf("model check failed: %+v", res.Config.Instances)
			}
		})
	}
}

func TestLoadDiagnostics(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k.conf"), []byte("global_defs {\n lvs_flush\n bogus 1\n}\n"), 0o644)
	_, diags := Load(filepath.Join(dir, "k.conf"), fakeEnv(dir))
	var sawUnknown, sawUnbuilt bool
	for _, d := range diags {
		if strings.Contains(d.Message, "Unknown keyword 'bogus'") && d.Pos.Line == 3 {
			sawUnknown = true
		}
		if strings.Contains(d.Message, "global_defs/lvs_flush") && d.Pos.Line == 2 && d.Severity.String() == "NOTICE" {
			sawUnbuilt = true
		}
	}
	if !sawUnknown || !sawUnbuilt {
		t.Errorf("diagnostics = %v", diags)
	}
}

// FuzzCheck runs arbitrary configuration text through all four passes:
// no panic, no hang.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		strings.Replace(minimal, "%s", "", 1),
		"vrrp_instance VI_1 state MASTER\n",
		"vrrp_instance {\n priority 1\n}\n",
		"virtual_server 1.2.3.4 80 {\n real_server 1.2.3.5 80 {\n HTTP_GET {\n url {\n path /\n }\n }\n }\n}\n",
		"global_defs {\n}\n}\n{\nvrrp_script s { script x }\n",
		"~SEQ(i,1,5) vrrp_instance V$i { interface eth0 }\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "k.conf"), []byte(text), 0o644)
		env := fakeEnv(dir)
		env.MaxLines = 5000
		res := Check("k.conf", env)
		if res.Exit < 0 || res.Exit > 6 {
			t.Fatalf("exit %d", res.Exit)
		}
	})
}

func TestPositionsForTheEngine(t *testing.T) {
	res := load(t, "vrrp_script chk {\n script \"/bin/true\"\n}\n"+strings.Replace(minimal, "%s", "", 1))
	in, s := res.Config.Instances[0], res.Config.Scripts[0]
	if in.Pos.Line != 4 || !strings.HasSuffix(in.Pos.File, "k.conf") || s.Pos.Line != 1 {
		t.Errorf("instance at %v, script at %v", in.Pos, s.Pos)
	}
}
