package proxy

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"fulcrum/proxy/internal/difftest"
)

// who connects n times through fe and returns who answered, in order.
func who(t *testing.T, e *Engine, n int) []string {
	t.Helper()
	var out []string
	for range n {
		c := dialFE(t, e)
		out = append(out, greeting(t, c))
		c.Close()
	}
	return out
}

func count(names []string) map[string]int {
	m := map[string]int{}
	for _, n := range names {
		m[n]++
	}
	return m
}

func TestAdminStateTakesServerOutOfRotation(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s2"}})
	sink := &logSink{}
	e := startEngine(t, greeterConfig(t, be, "s1", "s2"), sink)
	for _, tc := range []struct {
		desc  string
		state AdminState
		want  map[string]int
		log   string
	}{
		{"drain", AdminDrain, map[string]int{"s2": 4}, "Server be/s1 enters drain state. 1 active and 0 backup servers online."},
		{"ready after drain", AdminReady, map[string]int{"s1": 2, "s2": 2}, "Server be/s1 is UP (leaving forced drain)."},
		{"maint", AdminMaint, map[string]int{"s2": 4}, "Server be/s1 is going DOWN for maintenance. 1 active and 0 backup servers left."},
		{"ready after maint", AdminReady, map[string]int{"s1": 2, "s2": 2}, "Server be/s1 is UP/READY (leaving forced maintenance)."},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if err := e.SetServerAdmin("be", "s1", tc.state); err != nil {
				t.Fatal(err)
			}
			sink.wait(t, tc.log)
			got := count(who(t, e, 4))
			if len(got) != len(tc.want) || got["s1"] != tc.want["s1"] || got["s2"] != tc.want["s2"] {
				t.Errorf("answers %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAdminWeightAndErrors(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s2"}})
	cfg := greeterConfig(t, be, "s1", "s2")
	e := startEngine(t, cfg, nil)
	if err := e.SetServerWeight("be", "s1", 0); err != nil {
		t.Fatal(err)
	}
	if got := count(who(t, e, 3)); got["s2"] != 3 {
		t.Errorf("weight 0 still picked: %v", got)
	}
	if cur, ini, _ := e.ServerWeight("be", "s1"); cur != 0 || ini != 1 {
		t.Errorf("weight %d (initial %d), want 0 (initial 1)", cur, ini)
	}
	// A drained server keeps its user weight.
	e.SetServerWeight("be", "s1", 5)
	e.SetServerAdmin("be", "s1", AdminDrain)
	if cur, _, _ := e.ServerWeight("be", "s1"); cur != 5 {
		t.Errorf("drain changed the user weight to %d", cur)
	}
	for _, tc := range []struct {
		desc string
		err  error
		want error
	}{
		{"no backend", e.SetServerWeight("nope", "s1", 1), ErrNoBackend},
		{"no server", e.SetServerWeight("be", "nope", 1), ErrNoServer},
		{"range", e.SetServerWeight("be", "s1", 257), ErrWeightRange},
		{"agent", e.SetServerAgent("be", "s1", true), ErrNoAgent},
		{"health without check", e.SetServerChecks("be", "s1", true), ErrNoHealthCheck},
		{"session", e.ShutdownSession("0x1"), ErrNoSession},
		{"del configured ready", e.DelServer("be", "s2"), ErrDelNotMaint},
		{"add duplicate", e.AddServer("be", &Server{Name: "s2", Weight: 1}), ErrServerExists},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.desc, tc.err, tc.want)
		}
	}
}

func TestAdminAddDelServerCarriesState(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s3"}})
	e := startEngine(t, greeterConfig(t, be, "s1"), nil)
	if err := e.AddServer("be", &Server{Name: "s3", Addr: netip.MustParseAddrPort(be.Addr("s3")), Weight: 1}); err != nil {
		t.Fatal(err)
	}
	st, err := e.ServersState("be")
	if err != nil || len(st) != 2 || st[1].Name != "s3" || st[1].ServerID != 2 || st[1].AdminFlags != admForcedMaint || st[1].OpState != 0 {
		t.Fatalf("after add: %+v %v", st, err)
	}
	if got := count(who(t, e, 2)); got["s1"] != 2 {
		t.Errorf("a new server starts in maintenance, got %v", got)
	}
	e.SetServerAdmin("be", "s3", AdminReady)
	e.SetServerAdmin("be", "s1", AdminMaint)
	if got := count(who(t, e, 2)); got["s3"] != 2 {
		t.Errorf("only s3 is ready, got %v", got)
	}
	// A reload keeps admin states by name.
	if err := e.Reload(e.rt.Load().cfg); err != nil {
		t.Fatal(err)
	}
	if a, _ := e.ServerAdmin("be", "s1"); a != AdminMaint {
		t.Errorf("admin state after reload: %v", a)
	}
	e.SetServerAdmin("be", "s3", AdminMaint)
	e.SetServerAdmin("be", "s1", AdminReady)
	// The connections of the test end asynchronously on the proxy side.
	waitFor(t, "del server", func() bool { return e.DelServer("be", "s3") == nil })
	if st, _ := e.ServersState("be"); len(st) != 1 {
		t.Errorf("after del: %+v", st)
	}
}

func TestAdminSessions(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	e := startEngine(t, greeterConfig(t, be, "s1"), nil)
	c := dialFE(t, e)
	defer c.Close()
	if got := greeting(t, c); got != "s1" {
		t.Fatalf("greeting %q", got)
	}
	var sess []SessionInfo
	waitFor(t, "the session on s1", func() bool {
		sess = e.Sessions()
		return len(sess) == 1 && sess[0].Server == "s1"
	})
	if s := sess[0]; s.Frontend != "fe" || s.Backend != "be" || s.Src != c.LocalAddr().String() || !strings.HasPrefix(s.ID, "0x") {
		t.Errorf("session %+v", s)
	}
	if err := e.ShutdownSession(sess[0].ID); err != nil {
		t.Fatal(err)
	}
	expectEOF(t, c, "after shutdown session")
	waitFor(t, "the session to end", func() bool { return len(e.Sessions()) == 0 })
}
