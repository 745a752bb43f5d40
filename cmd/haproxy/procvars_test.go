package main

import (
	"fmt"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

// procVarsConfig sets process-wide variables in the global section (one
// computed from another, one from a format) and reads and changes them
// in a rule.
const procVarsConfig = `global
    stats socket "${DIR}/admin.sock" level admin
    set-var proc.limit int(100)
    set-var proc.name str(edge),upper
    set-var-fmt proc.fmt "lim=%[var(proc.limit)] n=%[var(proc.name)]"
    set-var proc.on bool(1)
    set-var proc.ip ipv4(10.0.0.1)
    set-var proc.sum var(proc.limit),add(5)
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    http-request set-var(proc.count) var(proc.count),add(1)
    http-request set-var(proc.last) path
    http-request unset-var(proc.on) if { path /off }
    http-request return status 200 content-type text/plain lf-string "l=%[var(proc.limit)] n=%[var(proc.name)] f=%[var(proc.fmt)] c=%[var(proc.count)] on=%[var(proc.on)]"
`

// TestGlobalSetVarMatchesReference: the global set-var and set-var-fmt
// lines give every request the same proc.* variables, a rule's change is
// seen by the next request and by the Runtime API's `get var` (with the
// value's type), as in the reference.
func TestGlobalSetVarMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	run := func(bin string) string {
		r := startAPIConfig(t, bin, procVarsConfig, nil)
		var out []string
		for _, path := range []string{"/a", "/b", "/off"} {
			body, err := getBodyPath(r.front, path)
			if err != nil {
				t.Fatalf("%s: %v", bin, err)
			}
			out = append(out, path+" -> "+body)
		}
		for _, v := range []string{"proc.limit", "proc.name", "proc.fmt", "proc.on", "proc.ip", "proc.sum", "proc.count", "proc.last", "proc.none", "txn.x", ""} {
			out = append(out, fmt.Sprintf("get var %s -> %q", v, r.cmd(t, "admin", "get var "+v)))
		}
		out = append(out, fmt.Sprintf("user -> %q", r.cmd(t, "admin", "user; get var proc.limit")))
		r.p.signal(t, 15)
		return strings.Join(out, "\n")
	}
	refOut, ourOut := run(ref), run(ours)
	if !strings.Contains(refOut, "type=sint value=<105>") {
		t.Fatalf("the reference did not compute proc.sum:\n%s", refOut)
	}
	if refOut != ourOut {
		t.Errorf("ref\n%s\nours\n%s", refOut, ourOut)
	}
}
