package srcbind

import (
	"fulcrum/proxy/internal/difftest"

	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fields are Source's settings, comparable.
type fields struct {
	Addr           netip.Addr
	Port, PortHigh uint16
	Use            UseSrc
	UseAddr        netip.AddrPort
	Interface      string
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		desc, words string
		want        fields
		err         string
	}{
		{desc: "address", words: "127.0.0.2", want: fields{Addr: netip.MustParseAddr("127.0.0.2")}},
		{desc: "address and port", words: "10.0.0.1:2000", want: fields{Addr: netip.MustParseAddr("10.0.0.1"), Port: 2000, PortHigh: 2000}},
		{desc: "port range", words: "10.0.0.1:2000-2010", want: fields{Addr: netip.MustParseAddr("10.0.0.1"), Port: 2000, PortHigh: 2010}},
		{desc: "any address", words: "*", want: fields{Addr: netip.IPv4Unspecified()}},
		{desc: "ipv6 with port", words: "[::1]:80", want: fields{Addr: netip.MustParseAddr("::1"), Port: 80, PortHigh: 80}},
		{desc: "bare ipv6", words: "::1", want: fields{Addr: netip.MustParseAddr("::1")}},
		{desc: "usesrc clientip", words: "0.0.0.0 usesrc clientip", want: fields{Addr: netip.IPv4Unspecified(), Use: UseClientIP}},
		{desc: "usesrc client and interface", words: "0.0.0.0 usesrc client interface eth0",
			want: fields{Addr: netip.IPv4Unspecified(), Use: UseClient, Interface: "eth0"}},
		{desc: "usesrc address", words: "1.2.3.4 usesrc 5.6.7.8:9", want: fields{Addr: netip.MustParseAddr("1.2.3.4"), Use: UseAddr,
			UseAddr: netip.MustParseAddrPort("5.6.7.8:9")}},
		{desc: "host name", words: "localhost", err: "literal IP"},
		{desc: "reversed range", words: "1.2.3.4:20-10", err: "invalid port range"},
		{desc: "bad port", words: "1.2.3.4:x", err: "invalid port"},
		{desc: "usesrc without value", words: "1.2.3.4 usesrc", err: "expects an argument"},
		{desc: "hdr_ip", words: "1.2.3.4 usesrc hdr_ip(x)", err: "not supported"},
		{desc: "unknown keyword", words: "1.2.3.4 foo bar", err: "unknown"},
		{desc: "nothing", words: "", err: "expects"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := Parse(strings.Fields(tc.words))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f := (fields{got.Addr, got.Port, got.PortHigh, got.Use, got.UseAddr, got.Interface}); f != tc.want {
				t.Errorf("got %+v, want %+v", f, tc.want)
			}
		})
	}
}

// TestDialRangeSkipsBusyPort: a port of the range held by another socket
// is skipped for the next one; a range entirely held fails with ErrBind.
func TestDialRangeSkipsBusyPort(t *testing.T) {
	ln := closingServer(t)
	// A listener holds the first port of the range.
	busy, err := net.Listen("tcp", "127.0.0.7:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := uint16(busy.Addr().(*net.TCPAddr).Port)
	src := &Source{Addr: netip.MustParseAddr("127.0.0.7"), Port: p, PortHigh: p + 1}
	ctx := context.Background()
	c, err := src.Dial(ctx, net.Dialer{Timeout: time.Second}, ln.Addr().String(), netip.AddrPort{})
	if err != nil {
		// The second port may be taken by someone else on this host.
		t.Skipf("dial: %v", err)
	}
	if got := c.LocalAddr().(*net.TCPAddr).Port; got != int(p)+1 {
		t.Errorf("bound port %d, want %d", got, p+1)
	}
	c.Close()
	one := &Source{Addr: netip.MustParseAddr("127.0.0.7"), Port: p, PortHigh: p}
	if _, err := one.Dial(ctx, net.Dialer{Timeout: time.Second}, ln.Addr().String(), netip.AddrPort{}); err == nil {
		t.Error("binding a listening port succeeded")
	}
}

// closingServer listens on loopback and closes what it accepts.
func closingServer(t *testing.T) net.Listener {
	t.Helper()
	return difftest.Serve(t, "127.0.0.1:0", func(net.Conn) {})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "1.2.3.4:1-2", "[::1]:3", "* usesrc client interface lo", "a usesrc", "1.1.1.1:0-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := Parse(strings.Fields(s))
		if err == nil && src.PortHigh != 0 && src.PortHigh < src.Port {
			t.Fatalf("range %d-%d accepted", src.Port, src.PortHigh)
		}
	})
}

// TestDialInterface: `interface` binds the socket to a device: lo
// reaches a loopback server; an unknown device is ignored, as the
// reference connects anyway.
func TestDialInterface(t *testing.T) {
	ln := closingServer(t)
	ctx := context.Background()
	lo := &Source{Addr: netip.IPv4Unspecified(), Interface: "lo"}
	c, err := lo.Dial(ctx, net.Dialer{Timeout: time.Second}, ln.Addr().String(), netip.AddrPort{})
	if err != nil {
		t.Fatalf("interface lo: %v", err)
	}
	c.Close()
	none := &Source{Addr: netip.IPv4Unspecified(), Interface: "nosuchdev0"}
	c, err = none.Dial(ctx, net.Dialer{Timeout: time.Second}, ln.Addr().String(), netip.AddrPort{})
	if err != nil {
		t.Fatalf("unknown interface: %v", err)
	}
	c.Close()
}
