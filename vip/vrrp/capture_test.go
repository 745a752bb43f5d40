package vrrp

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fulcrum/internal/netns"
	"fulcrum/internal/reftest"

	"golang.org/x/net/ipv4"
)

// TestCaptureKeepalived runs the real Keepalived in a namespace, captures its
// advertisements on the bridge and decodes them: version 2 with PASS
// authentication, and version 3 whose checksum covers the pseudo-header.
func TestCaptureKeepalived(t *testing.T) {
	bin := reftest.Keepalived(t)
	for _, tc := range []struct {
		desc, extra string
		version     int
		interval    time.Duration
	}{
		{"v2 PASS", "advert_int 2\n authentication {\n auth_type PASS\n auth_pass longpassword\n }", 2, 2 * time.Second},
		{"v3 centiseconds", "version 3\n advert_int 0.5", 3, 500 * time.Millisecond},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			bed := netns.New(t)
			ka, obs := bed.Add("ka"), bed.Add("obs")
			bed.Bridge("eth0", []*netns.NS{ka, obs}, []string{"10.213.0.1/24", "10.213.0.2/24"})

			var conn *ipv4.RawConn
			if err := obs.Do(func() error {
				c, err := net.ListenPacket("ip4:112", "0.0.0.0")
				if err != nil {
					return err
				}
				ifi, err := net.InterfaceByName("eth0")
				if err != nil {
					return err
				}
				conn, err = ipv4.NewRawConn(c)
				if err != nil {
					return err
				}
				return conn.JoinGroup(ifi, &net.IPAddr{IP: net.IPv4(224, 0, 0, 18)})
			}); err != nil {
				t.Fatal(err)
			}
			defer conn.Close()

			dir := t.TempDir()
			conf := filepath.Join(dir, "keepalived.conf")
			os.WriteFile(conf, []byte(`vrrp_instance VI_1 {
 state MASTER
 interface eth0
 virtual_router_id 51
 priority 255
 `+tc.extra+`
 virtual_ipaddress {
  10.213.0.100/24
  10.213.0.101/24
 }
}
`), 0o644)
			cmd := ka.Command(bin, "-n", "-l", "-P", "-G", "-f", conf,
				"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
			var logs bytes.Buffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				cmd.Wait()
				if t.Failed() {
					t.Logf("keepalived:\n%s", logs.String())
				}
			}()

			buf := make([]byte, 1500)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			h, msg, _, err := conn.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no advertisement from keepalived: %v", err)
			}
			if h.TTL != 255 || h.TOS != 0xc0 || h.Protocol != Protocol {
				t.Errorf("IP header %+v: want TTL 255, TOS 0xc0, protocol 112", h)
			}
			src, _ := netip.AddrFromSlice(h.Src.To4())
			p, err := Unmarshal(msg, src, Group4)
			if err != nil {
				t.Fatalf("decoding %x: %v", msg, err)
			}
			want := Packet{Version: tc.version, Type: 1, VRID: 51, Priority: 255, Interval: tc.interval,
				Checksum: p.Checksum, Addrs: []netip.Addr{refVIP, netip.MustParseAddr("10.213.0.101")}}
			if tc.version == 2 {
				want.AuthType, want.AuthData = AuthPass, Password("longpassword")
			}
			if !equal(p, &want) {
				t.Fatalf("decoded %+v, want %+v", p, want)
			}
			out, err := want.Marshal(src, Group4)
			if err != nil || !bytes.Equal(out, msg) {
				t.Fatalf("our encoding %x (%v), keepalived's %x", out, err, msg)
			}
		})
	}
}
