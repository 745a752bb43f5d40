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
