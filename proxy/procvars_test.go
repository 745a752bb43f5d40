package proxy

import (
	"fmt"
	"testing"

	"fulcrum/proxy/internal/difftest"
)

// procVarsText is a configuration with global variables and rate
// limits: the limit, the extra global lines and the frontend's port.
const procVarsText = `global
	maxconnrate %d
	%s
defaults
	mode tcp
	timeout connect 1s
	timeout client 1s
	timeout server 1s
frontend fe
	bind 127.0.0.1:%d
	tcp-request connection set-var(proc.seen) int(1)
	default_backend be
backend be
	server s1 127.0.0.1:1
`

// TestProcVarsAndRateLimitsFollowReload: the global set-var lines set
// process-wide variables shared by every session (with their sample's
// type), a reload starts them afresh from the new configuration as a new
// reference process would (a variable a rule set is forgotten), and the
// rate limits follow the configuration too.
func TestProcVarsAndRateLimitsFollowReload(t *testing.T) {
	port := difftest.FreePort(t)
	cfg, _ := adapt(t, fmt.Sprintf(procVarsText, 5, "set-var proc.a int(1)\n\tset-var-fmt proc.b \"a=%[var(proc.a)]\"", port))
	e := startEngine(t, cfg, nil)
	for _, tc := range []struct{ name, want string }{
		{"proc.a", "proc.a: type=sint value=<1>"},
		{"proc.b", "proc.b: type=str value=<a=1>"},
	} {
		if got, ok := e.ProcVarText(tc.name); !ok || got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	one, two := &Session{Engine: e}, &Session{Engine: e}
	one.SetVar("proc.c", "x")
	one.SetVar("txn.d", "y")
	if v, ok := two.Var("proc.c"); !ok || v != "x" {
		t.Errorf("another session reads proc.c as %q, %v", v, ok)
	}
	if _, ok := two.Var("txn.d"); ok {
		t.Errorf("a transaction variable leaked to another session")
	}
	if c, s := e.RateLimits(); c != 5 || s != 0 {
		t.Errorf("rate limits %d, %d, want 5, 0", c, s)
	}

	cfg2, _ := adapt(t, fmt.Sprintf(procVarsText, 7, "set-var proc.a str(two)", port))
	if err := e.Reload(cfg2); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.ProcVarText("proc.a"); got != "proc.a: type=str value=<two>" {
		t.Errorf("after the reload proc.a is %q", got)
	}
	for _, name := range []string{"proc.b", "proc.c"} {
		if _, ok := e.ProcVarText(name); ok {
			t.Errorf("%s survived the reload", name)
		}
	}
	if c, _ := e.RateLimits(); c != 7 {
		t.Errorf("after the reload maxconnrate is %d, want 7", c)
	}
}
