package garp

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/netns"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

func TestPacket(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	b, err := Packet(mac, netip.MustParseAddr("10.213.0.100"))
	if err != nil {
		t.Fatal(err)
	}
	// htype 1, ptype IPv4, 6/4, request, sha, spa=VIP, tha=broadcast, tpa=VIP
	want := "0001 0800 0604 0001 020000000001 0ad50064 ffffffffffff 0ad50064"
	if got := hex.EncodeToString(b); got != stripSpaces(want) {
		t.Fatalf("got %s\nwant %s", got, stripSpaces(want))
	}
	for _, tc := range []struct {
		desc string
		mac  net.HardwareAddr
		ip   string
	}{
		{"IPv6 address", mac, "2001:db8::1"},
		{"no MAC", nil, "10.0.0.1"},
	} {
		if _, err := Packet(tc.mac, netip.MustParseAddr(tc.ip)); err == nil {
			t.Errorf("%s: no error", tc.desc)
		}
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

// TestSendOnWire sends one gratuitous ARP in a namespace and reads the frame
// on the other side of a veth pair.
func TestSendOnWire(t *testing.T) {
	bed := netns.New(t)
	a, b := bed.Add("a"), bed.Add("b")
	bed.Veth(a, "v0", "10.213.0.1/24", b, "v0", "10.213.0.2/24")

	var rfd int
	if err := b.Do(func() (err error) {
		ifi, err := net.InterfaceByName("v0")
		if err != nil {
			return err
		}
		rfd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			return err
		}
		tv := unix.NsecToTimeval(int64(5 * time.Second))
		unix.SetsockoptTimeval(rfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		return unix.Bind(rfd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifi.Index})
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rfd)

	var s *Sender
	var mac net.HardwareAddr
	if err := a.Do(func() (err error) {
		s, err = Open("v0")
		if err == nil {
			mac = s.ifi.HardwareAddr
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vip := netip.MustParseAddr("10.213.0.100")
	if err := s.Send(vip); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, _, err := unix.Recvfrom(rfd, buf, 0)
	for err == unix.EINTR { // the runtime's preemption signal, not a timeout
		n, _, err = unix.Recvfrom(rfd, buf, 0)
	}
	if err != nil {
		t.Fatalf("no ARP frame arrived: %v", err)
	}
	frame := buf[:n]
	want, _ := Packet(mac, vip)
	if !bytes.Equal(frame[:6], Broadcast) || !bytes.Equal(frame[6:12], mac) || frame[12] != 0x08 || frame[13] != 0x06 ||
		!bytes.Equal(frame[14:14+arpLen], want) {
		t.Fatalf("frame %x, want broadcast from %v carrying %x", frame, mac, want)
	}
}

// TestNeighborAdvertOnWire sends an unsolicited neighbour advertisement and
// receives it on an ICMPv6 socket, whose kernel drops bad checksums.
func TestNeighborAdvertOnWire(t *testing.T) {
	bed := netns.New(t)
	a, b := bed.Add("a"), bed.Add("b")
	for _, ns := range []*netns.NS{a, b} {
		// Link-local addresses usable at once, without DAD's delay.
		ns.MustRun("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
	}
	bed.Veth(a, "v0", "", b, "v0", "")

	var rc *icmp.PacketConn
	if err := b.Do(func() (err error) {
		rc, err = icmp.ListenPacket("ip6:ipv6-icmp", "::")
		if err != nil {
			return err
		}
		ifi, err := net.InterfaceByName("v0")
		if err != nil {
			return err
		}
		return rc.IPv6PacketConn().JoinGroup(ifi, &net.IPAddr{IP: AllNodes.AsSlice()})
	}); err != nil {
		t.Fatal(err)
	}
	defer rc.Close()

	var s *Sender
	if err := a.Do(func() (err error) { s, err = Open("v0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ns := range []*netns.NS{a, b} {
		waitLinkLocal(t, ns, "v0")
	}
	vip := netip.MustParseAddr("2001:db8::100")
	if err := s.Send(vip); err != nil {
		t.Fatal(err)
	}
	rc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	for {
		n, from, err := rc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no neighbour advertisement arrived: %v", err)
		}
		m, err := icmp.ParseMessage(58, buf[:n])
		if err != nil || m.Type != ipv6.ICMPTypeNeighborAdvertisement {
			continue // router solicitations and the like
		}
		body := m.Body.(*icmp.RawBody).Data
		target, _ := netip.AddrFromSlice(body[4:20])
		if target != vip || body[0] != flagOverride || !bytes.Equal(body[22:28], s.ifi.HardwareAddr) {
			t.Fatalf("advertisement %x from %v", body, from)
		}
		if ip, _ := netip.ParseAddr(strings.Split(from.String(), "%")[0]); !ip.IsLinkLocalUnicast() || ip != s.linkLocal {
			t.Fatalf("sent from %v, want %v", from, s.linkLocal)
		}
		return
	}
}

// waitLinkLocal waits until the kernel gave ifName its usable IPv6
// link-local address.
func waitLinkLocal(t *testing.T, ns *netns.NS, ifName string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out := ns.MustRun("ip", "-6", "-o", "addr", "show", "dev", ifName, "scope", "link")
		if strings.Contains(out, "fe80::") && !strings.Contains(out, "tentative") {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s in %s got no link-local address: %q", ifName, ns.Name, out)
		}
	}
}
