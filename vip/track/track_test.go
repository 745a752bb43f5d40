package track

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/netns"
	"fulcrum/vip/notify"
)

func TestRiseFall(t *testing.T) {
	for _, tc := range []struct {
		desc       string
		start      bool
		rise, fall int
		results    string // s = success, f = failure
		flips      string // state after each result that flipped it, '.' otherwise
	}{
		{"fall 1 rise 1", true, 1, 1, "sfsf", ".FTF"},
		{"fall 3", true, 1, 3, "fffs", "..FT"},
		{"interrupted fall", true, 1, 3, "ffsfff", ".....F"},
		{"rise 2 from init_fail", false, 2, 1, "ssf", ".TF"},
		{"interrupted rise", false, 3, 1, "ssfsss", ".....T"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := counter{ok: tc.start, rise: tc.rise, fall: tc.fall}
			var got strings.Builder
			for _, r := range tc.results {
				if c.result(r == 's') {
					if c.ok {
						got.WriteByte('T')
					} else {
						got.WriteByte('F')
					}
				} else {
					got.WriteByte('.')
				}
			}
			if got.String() != tc.flips {
				t.Fatalf("flips %q, want %q", got.String(), tc.flips)
			}
		})
	}
}

// recorder collects reports and log lines.
type recorder struct {
	mu      sync.Mutex
	reports []string
	lines   []string
}

func (r *recorder) report(s string) {
	r.mu.Lock()
	r.reports = append(r.reports, s)
	r.mu.Unlock()
}

func (r *recorder) log(s string) {
	r.mu.Lock()
	r.lines = append(r.lines, s)
	r.mu.Unlock()
}

func (r *recorder) has(list *[]string, s string) func() bool {
	return func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, x := range *list {
			if x == s {
				return true
			}
		}
		return false
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func TestRunScript(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "ok")
	os.WriteFile(flag, nil, 0o644)
	var r recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := Script{Name: "chk", Cmd: notify.Script{Argv: []string{"/bin/sh", "-c", `test -e "$0"`, flag}},
		Interval: 20 * time.Millisecond, Fall: 2, Rise: 2}
	go RunScript(ctx, s, func(ok bool) { r.report(map[bool]string{true: "ok", false: "failed"}[ok]) }, r.log)
	waitFor(t, "the initial report", r.has(&r.reports, "ok"))
	os.Remove(flag)
	waitFor(t, "the failure", r.has(&r.reports, "failed"))
	// The log line and the report are separate events: wait for both.
	waitFor(t, "the failure's log line", r.has(&r.lines, "VRRP_Script(chk) failed (exited with status 1)"))
	os.WriteFile(flag, nil, 0o644)
	waitFor(t, "the recovery", r.has(&r.lines, "VRRP_Script(chk) succeeded"))
	waitFor(t, "the recovery's report", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.reports) >= 3
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if strings.Join(r.reports, " ") != "ok failed ok" {
		t.Fatalf("reports %q", r.reports)
	}
}

func TestScriptTimeout(t *testing.T) {
	var r recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := Script{Name: "slow", Cmd: notify.Script{Argv: []string{"/bin/sleep", "10"}}, Interval: 50 * time.Millisecond}
	go RunScript(ctx, s, func(ok bool) { r.report(map[bool]string{true: "ok", false: "failed"}[ok]) }, r.log)
	waitFor(t, "the timeout", r.has(&r.lines, "VRRP_Script(slow) timed out"))
	waitFor(t, "the failure", r.has(&r.reports, "failed"))
}

func TestInitFail(t *testing.T) {
	var r recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := Script{Name: "t", Cmd: notify.Script{Argv: []string{"/bin/true"}}, Interval: 20 * time.Millisecond, InitFail: true}
	go RunScript(ctx, s, func(ok bool) { r.report(map[bool]string{true: "ok", false: "failed"}[ok]) }, r.log)
	waitFor(t, "the success", r.has(&r.reports, "ok"))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reports[0] != "failed" {
		t.Fatalf("reports %q: init_fail must start failed", r.reports)
	}
}

func TestWatchLinks(t *testing.T) {
	bed := netns.New(t)
	a, b := bed.Add("a"), bed.Add("b")
	bed.Veth(a, "v0", "10.213.0.1/24", b, "v0", "10.213.0.2/24")
	var r recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.Do(func() error {
		return WatchLinks(ctx, []string{"v0", "gone0"}, func(name string, up bool) {
			r.report(name + map[bool]string{true: " up", false: " down"}[up])
		})
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "v0 up", r.has(&r.reports, "v0 up"))
	waitFor(t, "gone0 down", r.has(&r.reports, "gone0 down"))
	a.MustRun("ip", "link", "set", "v0", "down")
	waitFor(t, "v0 down", r.has(&r.reports, "v0 down"))
	a.MustRun("ip", "link", "set", "v0", "up")
	waitFor(t, "v0 up again", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return strings.Count(strings.Join(r.reports, ","), "v0 up") == 2
	})
	// The peer's link going down takes the carrier: not running.
	b.MustRun("ip", "link", "set", "v0", "down")
	waitFor(t, "v0 down on carrier loss", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return strings.Count(strings.Join(r.reports, ","), "v0 down") == 2
	})
}
