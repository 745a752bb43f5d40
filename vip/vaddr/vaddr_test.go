package vaddr

import (
	"net/netip"
	"strings"
	"testing"

	"fulcrum/internal/netns"
)

func TestAddRemove(t *testing.T) {
	bed := netns.New(t)
	a, b := bed.Add("a"), bed.Add("b")
	bed.Veth(a, "v0", "10.213.0.1/24", b, "v0", "10.213.0.2/24")
	bed.Veth(a, "v1", "", b, "v1", "")

	var m *Manager
	if err := a.Do(func() (err error) { m, err = New(); return err }); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	vips := []VIP{
		{Prefix: netip.MustParsePrefix("10.213.0.100/24"), Dev: "v0", Label: "v0:vip"},
		{Prefix: netip.MustParsePrefix("192.0.2.1/32"), Dev: "v1", Broadcast: netip.MustParseAddr("192.0.2.255")},
	}
	for _, v := range vips {
		// Adding twice and removing twice are both fine.
		for range 2 {
			if err := m.Add(v); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := m.Has(v); !ok || err != nil {
			t.Fatalf("%v not there after Add: %v", v, err)
		}
	}
	out := a.MustRun("ip", "-4", "addr", "show")
	for _, want := range []string{"inet 10.213.0.100/24 scope global secondary v0:vip", "inet 192.0.2.1/32 brd 192.0.2.255 scope global v1"} {
		if !strings.Contains(out, want) {
			t.Errorf("ip addr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(b.MustRun("ip", "addr"), "10.213.0.100") {
		t.Fatal("VIP appeared in the other namespace")
	}
	for _, v := range vips {
		for range 2 {
			if err := m.Remove(v); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := m.Has(v); ok || err != nil {
			t.Fatalf("%v still there after Remove: %v", v, err)
		}
	}
	if err := m.Add(VIP{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Dev: "nosuch"}); err == nil {
		t.Fatal("adding on a missing interface succeeded")
	}
}

func TestRoutes(t *testing.T) {
	bed := netns.New(t)
	a, b := bed.Add("a"), bed.Add("b")
	bed.Veth(a, "v0", "10.213.0.1/24", b, "v0", "10.213.0.2/24")
	var m *Manager
	if err := a.Do(func() (err error) { m, err = New(); return err }); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	routes := []Route{
		{Dst: netip.MustParsePrefix("192.0.2.0/24"), Gateway: netip.MustParseAddr("10.213.0.2"), Metric: 50},
		{Dst: netip.MustParsePrefix("198.51.100.0/24"), Dev: "v0", Src: netip.MustParseAddr("10.213.0.1")},
		{Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: netip.MustParseAddr("10.213.0.2"), Table: 100},
	}
	for _, r := range routes {
		for range 2 {
			if err := m.AddRoute(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	main := a.MustRun("ip", "route")
	for _, want := range []string{"192.0.2.0/24 via 10.213.0.2 dev v0 proto keepalived metric 50", "198.51.100.0/24 dev v0 proto keepalived scope link src 10.213.0.1"} {
		if !strings.Contains(main, want) {
			t.Errorf("ip route lacks %q:\n%s", want, main)
		}
	}
	if out := a.MustRun("ip", "route", "show", "table", "100"); !strings.Contains(out, "203.0.113.0/24 via 10.213.0.2 dev v0") {
		t.Errorf("table 100:\n%s", out)
	}
	for _, r := range routes {
		for range 2 {
			if err := m.RemoveRoute(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out := a.MustRun("ip", "route", "show", "table", "all"); strings.Contains(out, "192.0.2.") || strings.Contains(out, "203.0.113.") ||
		strings.Contains(out, "198.51.100.") {
		t.Fatalf("routes left:\n%s", out)
	}
}

func TestRules(t *testing.T) {
	bed := netns.New(t)
	a := bed.Add("a")
	var m *Manager
	if err := a.Do(func() (err error) { m, err = New(); return err }); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rules := []Rule{
		{From: netip.MustParsePrefix("10.213.0.100/32"), Table: 100, Preference: 1000},
		{To: netip.MustParsePrefix("192.0.2.0/24"), Table: 101, Preference: 1001, FWMark: 7},
		{From: netip.MustParsePrefix("2001:db8::100/128"), Table: 102, Preference: 1002},
	}
	for _, r := range rules {
		if err := m.AddRule(r); err != nil {
			t.Fatal(err)
		}
	}
	out4, out6 := a.MustRun("ip", "-4", "rule"), a.MustRun("ip", "-6", "rule")
	for _, want := range []string{"1000:\tfrom 10.213.0.100 lookup 100 proto keepalived",
		"1001:\tfrom all to 192.0.2.0/24 fwmark 0x7 lookup 101 proto keepalived"} {
		if !strings.Contains(out4, want) {
			t.Errorf("ip rule lacks %q:\n%s", want, out4)
		}
	}
	if !strings.Contains(out6, "1002:\tfrom 2001:db8::100 lookup 102 proto keepalived") {
		t.Errorf("ip -6 rule:\n%s", out6)
	}
	for _, r := range rules {
		for range 2 {
			if err := m.RemoveRule(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out := a.MustRun("ip", "rule") + a.MustRun("ip", "-6", "rule"); strings.Contains(out, "keepalived") {
		t.Fatalf("rules left:\n%s", out)
	}
}
