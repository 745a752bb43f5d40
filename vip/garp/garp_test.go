package garp

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"
	"time"

	"fulcrum/internal/netns"

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
