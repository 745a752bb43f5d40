package proxy

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/check"
	"fulcrum/proxy/internal/difftest"
)

// checkRecorder is a server that notes when each health check connects.
// The checks send a byte: a bare connect check would close before the
// handshake's last ACK (the reference delays it), so no accept would see
// it.
type checkRecorder struct {
	mu    sync.Mutex
	times []time.Time
	addr  string
}

func newCheckRecorder(t *testing.T) *checkRecorder {
	r := &checkRecorder{}
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		r.mu.Lock()
		r.times = append(r.times, time.Now())
		r.mu.Unlock()
	})
	r.addr = ln.Addr().String()
	return r
}

// intervals waits for n+1 checks after the first and returns the n
// delays between them (the first check's delay is the start's spread).
func (r *checkRecorder) intervals(t *testing.T, n int) []time.Duration {
	t.Helper()
	var got []time.Time
	waitFor(t, fmt.Sprintf("%d checks at %s", n+2, r.addr), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = slices.Clone(r.times)
		return len(got) >= n+2
	})
	var out []time.Duration
	for i := 2; i < n+2; i++ {
		out = append(out, got[i].Sub(got[i-1]))
	}
	return out
}

// TestSpreadChecksMatchesReference: with spread-checks 50 the delays
// between two checks of a server vary within inter ±50% (plus the
// scheduling slack seen without it), for ours as for the reference,
// while without it they stay at inter. The four runs go at once so the
// slack is measured under the same load.
func TestSpreadChecksMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	const inter = 100 * time.Millisecond
	const samples = 15
	config := func(spread, port int, server string) string {
		return fmt.Sprintf("defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\n\ttimeout check 1s\n"+
			"listen a\n\tbind 127.0.0.1:%d\n\toption tcp-check\n\ttcp-check send x\n\tserver s1 %s check inter %dms\n",
			port, server, inter.Milliseconds())
	}
	type run struct {
		desc   string
		spread int
		rec    *checkRecorder
	}
	var runs []run
	for _, spread := range []int{0, 50} {
		for _, side := range []string{"reference", "ours"} {
			r := run{desc: fmt.Sprintf("%s spread-checks %d", side, spread), spread: spread, rec: newCheckRecorder(t)}
			global := fmt.Sprintf("\tspread-checks %d\n", spread)
			if side == "reference" {
				difftest.StartReferenceConfig(t, bin, global+config(spread, difftest.FreePort(t), r.rec.addr))
			} else {
				startText(t, "global\n"+global+config(spread, difftest.FreePort(t), r.rec.addr))
			}
			runs = append(runs, r)
		}
	}
	got := map[string][]time.Duration{}
	for _, r := range runs {
		got[r.desc] = r.rec.intervals(t, samples)
	}
	// The slack: how far from inter a delay strays with no spread.
	var slack time.Duration
	for _, r := range runs[:2] {
		for _, d := range got[r.desc] {
			slack = max(slack, (d - inter).Abs())
		}
	}
	for _, r := range runs[2:] {
		ds := got[r.desc]
		lo, hi := slices.Min(ds), slices.Max(ds)
		// Lateness only lengthens a delay; one hiccup longer than any
		// seen without spread is let through.
		late := 0
		for _, d := range ds {
			if d > inter*3/2+slack {
				late++
			}
		}
		if lo < inter/2-slack || late > 1 {
			t.Errorf("%s: delays %v go outside %v±50%% (slack %v)", r.desc, ds, inter, slack)
		}
		// Uniform over ±50ms, 15 draws span less than half of it with a
		// probability near 15·2^-14.
		if hi-lo < inter/2 {
			t.Errorf("%s: delays %v hardly vary: no spread", r.desc, ds)
		}
	}
	if t.Failed() {
		t.Logf("delays: %v", got)
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		inter  time.Duration
		pct    int
		lo, hi time.Duration
	}{
		{"off", time.Second, 0, time.Second, time.Second},
		{"10%", time.Second, 10, 900 * time.Millisecond, 1100 * time.Millisecond},
		{"50% of a truncated spread", 15 * time.Millisecond, 50, 8 * time.Millisecond, 22 * time.Millisecond},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 2000 {
				d := check.Spread(tc.inter, tc.pct)
				if d < tc.lo || d > tc.hi || d%time.Millisecond != 0 {
					t.Fatalf("Spread(%v, %d) = %v, want whole ms within [%v, %v]", tc.inter, tc.pct, d, tc.lo, tc.hi)
				}
				seen[d] = true
			}
			if want := int((tc.hi-tc.lo)/time.Millisecond) + 1; tc.pct > 0 && len(seen) < want/2 {
				t.Errorf("only %d distinct delays of %d possible", len(seen), want)
			}
		})
	}
}

func TestSpreadChecksFromConfig(t *testing.T) {
	for _, tc := range []struct {
		desc, global string
		want         SpreadChecks
		firstWithin  time.Duration // of a 5s smallest interval
	}{
		{"none", "", SpreadChecks{}, 5 * time.Second},
		{"read as atol does", "\tspread-checks 10abc\n", SpreadChecks{Percent: 10}, 5 * time.Second},
		{"max-spread-checks in ms", "\tspread-checks 5\n\tmax-spread-checks 1500\n", SpreadChecks{Percent: 5, MaxFirst: 1500 * time.Millisecond}, 1500 * time.Millisecond},
		{"max-spread-checks above the interval", "\tmax-spread-checks 1m\n", SpreadChecks{MaxFirst: time.Minute}, 5 * time.Second},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg, _ := adapt(t, "global\n"+tc.global+"defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\n"+
				"listen a\n\tbind 127.0.0.1:18080\n\tserver s1 127.0.0.1:1 check\n")
			if cfg.SpreadChecks != tc.want {
				t.Errorf("got %+v, want %+v", cfg.SpreadChecks, tc.want)
			}
			if got := cfg.SpreadChecks.firstWithin(5 * time.Second); got != tc.firstWithin {
				t.Errorf("first checks within %v, want %v", got, tc.firstWithin)
			}
		})
	}
}
