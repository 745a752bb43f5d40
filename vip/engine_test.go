package vip

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fulcrum/vip/elect"
	"fulcrum/vip/notify"
)

// TestEngineReloadWithoutFlap reloads a running engine: an unchanged
// instance keeps its state and addresses and logs no transition, a new one
// starts, a removed one releases its address.
func TestEngineReloadWithoutFlap(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	var mu sync.Mutex
	var lines []string
	e := NewEngine(Options{Log: func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }})
	t.Cleanup(e.Stop)
	count := func(s string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, line := range lines {
			if line == s {
				n++
			}
		}
		return n
	}
	a := config("VI_1", 255)
	b := config("VI_2", 255)
	b.VRID, b.VIPs = 52, []VIP{{Prefix: netip.MustParsePrefix("10.213.0.200/24")}}
	apply := func(cfgs ...Config) {
		t.Helper()
		if err := l.nodes[0].Do(func() error { return e.Apply(cfgs, nil) }); err != nil {
			t.Fatal(err)
		}
	}

	apply(a)
	first := e.Instance("VI_1")
	waitFor(t, "VI_1 MASTER", func() bool { return first.State() == elect.Master })
	l.onlyHolder(0)

	apply(a, b)
	if e.Instance("VI_1") != first || first.State() != elect.Master {
		t.Fatal("the unchanged instance was restarted")
	}
	waitFor(t, "VI_2 MASTER", func() bool { return e.Instance("VI_2").State() == elect.Master })
	if n := count("(VI_1) Entering MASTER STATE"); n != 1 {
		t.Fatalf("VI_1 entered MASTER %d times across the reload", n)
	}
	if n := count("(VI_1) removing VIPs."); n != 0 {
		t.Fatal("VI_1 released its address on reload")
	}
	if names := instanceNames(e); names != "VI_1 VI_2" {
		t.Fatalf("instances %s", names)
	}

	apply(b)
	if e.Instance("VI_1") != nil || first.State() != elect.Stopped {
		t.Fatal("the removed instance still runs")
	}
	waitFor(t, "VI_1's address gone", func() bool { return !l.holds(0) })
	if out := l.nodes[0].MustRun("ip", "-4", "-o", "addr"); !strings.Contains(out, "10.213.0.200/24") {
		t.Fatalf("VI_2's address went too:\n%s", out)
	}

	// A changed instance is restarted with its new configuration.
	b.Priority = 254
	apply(b)
	if got := e.Instance("VI_2"); got == nil || got.cfg.Priority != 254 {
		t.Fatal("the changed instance kept its old configuration")
	}
	// A priority change (not to or from 255) is taken in place.
	c := config("VI_3", 100)
	c.VRID, c.VIPs = 53, []VIP{{Prefix: netip.MustParsePrefix("10.213.0.201/24")}}
	apply(b, c)
	third := e.Instance("VI_3")
	waitFor(t, "VI_3 BACKUP", func() bool { return third.State() == elect.Backup })
	c.Priority = 120
	apply(b, c)
	if e.Instance("VI_3") != third {
		t.Fatal("a priority change restarted the instance")
	}
	waitFor(t, "the new priority in effect", func() bool { return third.effectivePriority.Load() == 120 })
	if n := count("(VI_3) Entering BACKUP STATE (init)"); n != 1 || third.State() != elect.Backup {
		t.Fatalf("VI_3 restarted (%d inits) or left BACKUP (%v)", n, third.State())
	}
	if count("(VI_3) Changing effective priority from 100 to 120") != 1 {
		t.Fatal("the priority change was not logged")
	}
	if err := e.Apply([]Config{a, a}, nil); err == nil {
		t.Fatal("two instances with one name accepted")
	}
}

func instanceNames(e *Engine) string {
	var names []string
	for _, i := range e.Instances() {
		names = append(names, i.Name())
	}
	return strings.Join(names, " ")
}

// TestSyncGroupFaultMovesAll: two instances in a vrrp_sync_group; a fault
// of one puts the other in FAULT too, so both addresses move to the backup
// node together, and come back together.
func TestSyncGroupFaultMovesAll(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	vip2 := netip.MustParsePrefix("10.213.0.200/24")
	pair := func(prio uint8) []Config {
		a, b := config("VI_1", prio), config("VI_2", prio)
		b.VRID, b.VIPs = 52, []VIP{{Prefix: vip2}}
		a.Tracks = []Track{{Name: "chk"}}
		return []Config{a, b}
	}
	out := filepath.Join(t.TempDir(), "group")
	group := []SyncGroup{{Name: "G1", Members: []string{"VI_1", "VI_2"},
		Notify: notify.Scripts{Any: notify.Script{Argv: []string{"/bin/sh", "-c", `echo "$*" >> "$0"`, out}}}}}
	engines := make([]*Engine, 2)
	for k, prio := range []uint8{255, 100} {
		engines[k] = NewEngine(Options{})
		t.Cleanup(engines[k].Stop)
		if err := l.nodes[k].Do(func() error { return engines[k].Apply(pair(prio), group) }); err != nil {
			t.Fatal(err)
		}
	}
	has := func(k int, p netip.Prefix) bool {
		return strings.Contains(l.nodes[k].MustRun("ip", "-o", "addr"), " "+p.String()+" ")
	}
	waitFor(t, "both addresses on node 1", func() bool { return has(0, testVIP) && has(0, vip2) })
	waitFor(t, "the group MASTER notification", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "GROUP G1 MASTER 0")
	})

	engines[0].Instance("VI_1").SetTracked("chk", false)
	waitFor(t, "VI_2 in FAULT with VI_1", func() bool { return engines[0].Instance("VI_2").State() == elect.Fault })
	waitFor(t, "both addresses on node 2", func() bool {
		return has(1, testVIP) && has(1, vip2) && !has(0, testVIP) && !has(0, vip2)
	})
	waitFor(t, "the group FAULT notification", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "GROUP G1 FAULT 0")
	})

	engines[0].Instance("VI_1").SetTracked("chk", true)
	waitFor(t, "both addresses back on node 1", func() bool {
		return has(0, testVIP) && has(0, vip2) && !has(1, testVIP) && !has(1, vip2)
	})
}

func TestStaticAddressesAndRoutes(t *testing.T) {
	t.Parallel()
	l := newLab(t, 1)
	e := NewEngine(Options{})
	addr := VIP{Prefix: netip.MustParsePrefix("10.213.0.50/24"), Dev: "eth0"}
	route := Route{Dst: netip.MustParsePrefix("192.0.2.0/24"), Gateway: netip.MustParseAddr("10.213.0.254")}
	if err := l.nodes[0].Do(func() error { return e.SetStatic([]VIP{addr}, []Route{route}) }); err != nil {
		t.Fatal(err)
	}
	present := func() (bool, bool) {
		return strings.Contains(l.nodes[0].MustRun("ip", "-o", "addr"), " 10.213.0.50/24 "),
			strings.Contains(l.nodes[0].MustRun("ip", "route"), "192.0.2.0/24 via 10.213.0.254 dev eth0 proto keepalived")
	}
	if a, r := present(); !a || !r {
		t.Fatalf("static address %v, route %v", a, r)
	}
	e.Stop()
	if a, r := present(); a || r {
		t.Fatalf("after Stop: static address %v, route %v", a, r)
	}
}
