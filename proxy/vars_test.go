package proxy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// varsConfig routes tcp connections on variables that tcp-request rules
// set from samples, format strings, and unset again.
const varsConfig = `defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	tcp-request inspect-delay 2s
	tcp-request connection set-var(sess.src) src
	tcp-request content set-var-fmt(txn.tag) "%%[src]-tag"
	tcp-request content unset-var(sess.src) if { src 127.0.0.3 }
	tcp-request content set-var(txn.n) src,ipmask(24),bytes(0,1) if { src 127.0.0.6 }
	use_backend a if { var(sess.src) -m ip 127.0.0.2 127.0.0.3 }
	use_backend b if { var(txn.tag) -m end .4-tag }
	use_backend b if { var(txn.n) -m found }
	default_backend c
backend a
	server a %s
backend b
	server b %s
backend c
	server c %s
`

// TestTCPVariablesDifferential: set-var, set-var-fmt and unset-var in
// tcp-request rules route the same connections to the same backends as
// the reference.
func TestTCPVariablesDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := difftest.StartBackends(t, []difftest.Server{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	text := func(port int) string {
		return fmt.Sprintf(varsConfig, port, be.Addr("a"), be.Addr("b"), be.Addr("c"))
	}
	port := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, text(port))
	refAddr := fmt.Sprintf("127.0.0.1:%d", port)

	cfg, diags := adapt(t, text(difftest.FreePort(t)))
	if cfg == nil {
		t.Fatalf("adapter refused the configuration: %v", diags)
	}
	for _, d := range diags {
		t.Errorf("unexpected diagnostic: %v", d)
	}
	e, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(time.Second) })

	for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"} {
		pick := func(addr string) string {
			got, c, err := difftest.DialSend(addr, src, "hello")
			if err != nil {
				return "error: " + err.Error()
			}
			c.Close()
			return got
		}
		if ref, ours := pick(refAddr), pick(feAddr(e, "fe")); ref != ours {
			t.Errorf("from %s: reference picked %q, ours %q", src, ref, ours)
		} else {
			t.Logf("from %s: both picked %q", src, ours)
		}
	}
}
