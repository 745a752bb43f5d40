package netns

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

func TestVethUnicast(t *testing.T) {
	bed := New(t)
	a, b := bed.Add("a"), bed.Add("b")
	bed.Veth(a, "v0", "10.250.0.1/24", b, "v0", "10.250.0.2/24")

	var server *net.UDPConn
	if err := b.Do(func() (err error) {
		server, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 250, 0, 2), Port: 4000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	if err := a.Do(func() error {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(10, 250, 0, 2), Port: 4000})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("hello"))
		return err
	}); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 64)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := server.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no packet crossed the veth pair: %v", err)
	}
	if string(buf[:n]) != "hello" || !from.IP.Equal(net.IPv4(10, 250, 0, 1)) {
		t.Fatalf("got %q from %v, want \"hello\" from 10.250.0.1", buf[:n], from)
	}

	// The address lives only inside the namespace, not in the host.
	if addrs, _ := net.InterfaceAddrs(); containsIP(addrs, "10.250.0.2") {
		t.Fatal("namespace address leaked into the host namespace")
	}
}

func TestBridgeMulticast(t *testing.T) {
	bed := New(t)
	a, b, c := bed.Add("a"), bed.Add("b"), bed.Add("c")
	bed.Bridge("eth0", []*NS{a, b, c}, []string{"10.251.0.1/24", "10.251.0.2/24", "10.251.0.3/24"})
	group := net.IPv4(224, 0, 0, 18)

	listen := func(ns *NS) *ipv4.PacketConn {
		t.Helper()
		var p *ipv4.PacketConn
		if err := ns.Do(func() error {
			c, err := net.ListenPacket("udp4", "0.0.0.0:5000")
			if err != nil {
				return err
			}
			ifi, err := net.InterfaceByName("eth0")
			if err != nil {
				return err
			}
			p = ipv4.NewPacketConn(c)
			return p.JoinGroup(ifi, &net.UDPAddr{IP: group})
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	rb, rc := listen(b), listen(c)

	if err := a.Do(func() error {
		conn, err := net.ListenPacket("udp4", "10.251.0.1:0")
		if err != nil {
			return err
		}
		defer conn.Close()
		p := ipv4.NewPacketConn(conn)
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		if err := p.SetMulticastInterface(ifi); err != nil {
			return err
		}
		p.SetMulticastTTL(255)
		_, err = p.WriteTo([]byte("advert"), nil, &net.UDPAddr{IP: group, Port: 5000})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	for name, r := range map[string]*ipv4.PacketConn{"b": rb, "c": rc} {
		buf := make([]byte, 64)
		r.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, src, err := r.ReadFrom(buf)
		if err != nil {
			t.Fatalf("%s: multicast did not arrive: %v", name, err)
		}
		if string(buf[:n]) != "advert" || src.(*net.UDPAddr).IP.String() != "10.251.0.1" {
			t.Fatalf("%s: got %q from %v", name, buf[:n], src)
		}
	}
}

func TestCleanupRemovesNamespaces(t *testing.T) {
	var names []string
	t.Run("inner", func(t *testing.T) {
		bed := New(t)
		names = append(names, bed.Add("x").Name, bed.Add("y").Name)
	})
	if len(names) == 0 {
		t.Skip("inner test skipped")
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(runDir, n)); !os.IsNotExist(err) {
			t.Errorf("namespace %s still exists after the test ended", n)
		}
	}
}

func containsIP(addrs []net.Addr, ip string) bool {
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}
