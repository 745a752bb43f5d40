package transport

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"fulcrum/internal/netns"
	"fulcrum/vip/vrrp"
)

func TestSendReceive(t *testing.T) {
	bed := netns.New(t)
	a, b := bed.Add("a"), bed.Add("b")
	bed.Bridge("eth0", []*netns.NS{a, b}, []string{"10.213.0.1/24", "10.213.0.2/24"})
	peerB := netip.MustParseAddr("10.213.0.2")
	for _, tc := range []struct {
		desc    string
		cfg     Config
		dst     netip.Addr
		wantTTL int
	}{
		{"multicast", Config{Interface: "eth0"}, vrrp.Group4, 255},
		{"other group", Config{Interface: "eth0", Group: netip.MustParseAddr("224.0.0.19")}, netip.MustParseAddr("224.0.0.19"), 255},
		{"unicast", Config{Interface: "eth0", Peers: []netip.Addr{peerB}}, peerB, 255},
		{"unicast_ttl", Config{Interface: "eth0", Peers: []netip.Addr{peerB}, TTL: 64}, peerB, 64},
		{"multicast ignores unicast_ttl", Config{Interface: "eth0", TTL: 64}, vrrp.Group4, 255},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var ca, cb *Conn
			if err := a.Do(func() (err error) { ca, err = Listen(tc.cfg); return err }); err != nil {
				t.Fatal(err)
			}
			defer ca.Close()
			bcfg := tc.cfg
			if len(bcfg.Peers) > 0 {
				bcfg.Peers = []netip.Addr{netip.MustParseAddr("10.213.0.1")}
			}
			if err := b.Do(func() (err error) { cb, err = Listen(bcfg); return err }); err != nil {
				t.Fatal(err)
			}
			defer cb.Close()
			if got := ca.Src(); got != netip.MustParseAddr("10.213.0.1") {
				t.Fatalf("source %v, want the primary address", got)
			}
			if dsts := ca.Destinations(); len(dsts) != 1 || dsts[0] != tc.dst {
				t.Fatalf("destinations %v, want %v", dsts, tc.dst)
			}
			msg := []byte("0123456789abcdef")
			if err := ca.Send(tc.dst, msg); err != nil {
				t.Fatal(err)
			}
			cb.SetReadDeadline(time.Now().Add(5 * time.Second))
			r, err := cb.Receive(make([]byte, 1500))
			if err != nil {
				t.Fatalf("nothing arrived: %v", err)
			}
			if r.Src != ca.Src() || r.Dst != tc.dst || r.TTL != tc.wantTTL || r.TOS != 0xc0 || r.HeaderLen != 20 ||
				r.TotalLen != 20+len(msg) || !bytes.Equal(r.Msg, msg) {
				t.Fatalf("received %+v", r)
			}
		})
	}
}

func TestListenErrors(t *testing.T) {
	bed := netns.New(t)
	a := bed.Add("a")
	a.MustRun("ip", "link", "add", "br9", "type", "bridge")
	for _, tc := range []struct{ desc, iface string }{
		{"missing interface", "nosuch0"},
		{"no IPv4 address", "br9"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			err := a.Do(func() error { c, err := Listen(Config{Interface: tc.iface}); c.closeIfOpen(); return err })
			if err == nil {
				t.Fatal("Listen succeeded")
			}
		})
	}
}

func (c *Conn) closeIfOpen() {
	if c != nil {
		c.Close()
	}
}
