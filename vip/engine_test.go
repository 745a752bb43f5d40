package vip

import (
	"net/netip"
	"strings"
	"sync"
	"testing"

	"fulcrum/vip/elect"
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
		if err := l.nodes[0].Do(func() error { return e.Apply(cfgs) }); err != nil {
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
	if err := e.Apply([]Config{a, a}); err == nil {
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
