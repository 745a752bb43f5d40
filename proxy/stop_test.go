package proxy

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
)

// TestStopLinesMatchReference: after the same connections, a soft stop
// prints the same per-proxy lines as the reference's SIGUSR1.
func TestStopLinesMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	play := func(fe, both string) {
		for _, a := range []string{fe, fe, both} {
			_, c, err := difftest.Dial(a, "")
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	}
	pfe, pboth := difftest.FreePort(t), difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, "defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
		fmt.Sprintf("frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\n", pfe)+
		fmt.Sprintf("listen both\n\tbind 127.0.0.1:%d\n\tserver s2 %s\n", pboth, be.Addr("s1"))+
		fmt.Sprintf("backend be\n\tserver s1 %s\n", be.Addr("s1")))
	play(fmt.Sprintf("127.0.0.1:%d", pfe), fmt.Sprintf("127.0.0.1:%d", pboth))
	time.Sleep(100 * time.Millisecond) // let the reference account the closes
	ref.Signal(syscall.SIGUSR1, true)
	var want []string
	for _, l := range strings.Split(ref.Output(), "\n") {
		// "Proxy GLOBAL" is the CLI proxy of the harness's stats socket,
		// not part of the compared configuration.
		if _, msg, ok := strings.Cut(l, ") : "); ok && strings.Contains(msg, " stopped ") && !strings.HasPrefix(msg, "Proxy GLOBAL ") {
			want = append(want, msg)
		}
	}

	sink := &logSink{}
	addr := netip.MustParseAddrPort(be.Addr("s1"))
	mk := func(name, srv string) *Backend {
		return &Backend{Name: name, Balance: balance.Config{Algo: balance.RoundRobin}, TimeoutConnect: time.Second,
			Servers: []*Server{{Name: srv, Addr: addr, Weight: 1}}}
	}
	cfg := &Config{
		Frontends: []*Frontend{
			{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be"},
			{Name: "both", Binds: []Bind{loopback(t)}, DefaultBackend: "both"},
		},
		Backends: []*Backend{mk("both", "s2"), mk("be", "s1")},
		Order:    []string{"fe", "both", "be"},
	}
	e, err := New(cfg, Options{Log: sink.log})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	play(feAddr(e, "fe"), feAddr(e, "both"))
	e.Stop(time.Second)
	var got []string
	for _, l := range sink.lines {
		if _, msg, ok := strings.Cut(l, "] "); ok && strings.Contains(msg, " stopped ") {
			got = append(got, msg)
		}
	}
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stop lines differ\nref:\n%s\nours:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// TestStopGrace: a connection still open when the grace period ends is
// closed, and Stop returns.
func TestStopGrace(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	e, err := New(greeterConfig(t, be, "s1"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := dialFE(t, e)
	greeting(t, c)
	e.Stop(50 * time.Millisecond)
	expectEOF(t, c, "connection after the grace period")
}
