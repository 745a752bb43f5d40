package proxy

import (
	"net/netip"
	"testing"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
)

// TestOnMarkedDownUp: on-marked-down shutdown-sessions closes a downed
// server's connections; on-marked-up shutdown-backup-sessions closes the
// backups' connections when an active server returns. Without the options
// connections stay.
func TestOnMarkedDownUp(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s2"}, {Name: "b1"}})
	mk := func(name string, backup bool) *Server {
		return &Server{Name: name, Addr: netip.MustParseAddrPort(be.Addr(name)), Weight: 1, Backup: backup}
	}
	s1, s2, b1 := mk("s1", false), mk("s2", false), mk("b1", true)
	s1.ShutdownOnDown = true
	s1.ShutdownBackupsOnUp = true
	cfg := &Config{
		Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be"}},
		Backends:  []*Backend{{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin}, TimeoutConnect: time.Second, Servers: []*Server{s1, s2, b1}}},
	}
	e := startEngine(t, cfg, nil)
	c1 := dialFE(t, e)
	g1 := greeting(t, c1) // one at a time: the pick order is the dial order
	c2 := dialFE(t, e)
	if g2 := greeting(t, c2); g1 != "s1" || g2 != "s2" {
		t.Fatalf("picks %s %s", g1, g2)
	}
	e.SetServerUp("be", "s1", false)
	expectEOF(t, c1, "s1 connection after s1 was marked down")
	e.SetServerUp("be", "s2", false)
	cb := dialFE(t, e)
	if g := greeting(t, cb); g != "b1" {
		t.Fatalf("backup pick %s", g)
	}
	// s2 has no shutdown option: its connection survived.
	c2.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c2.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("s2 connection: %v, want it still open", err)
	}
	e.SetServerUp("be", "s1", true)
	expectEOF(t, cb, "backup connection after s1 came up")
}
