package vrrp_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fulcrum/internal/netns"
	"fulcrum/internal/reftest"
	"fulcrum/vip/transport"
	"fulcrum/vip/vrrp"
)

// TestCaptureKeepalived runs the real Keepalived in a namespace, captures its
// advertisements on the bridge and decodes them: version 2 with PASS
// authentication, and version 3 whose checksum covers the pseudo-header.
func TestCaptureKeepalived(t *testing.T) {
	bin := reftest.Keepalived(t)
	vips := []netip.Addr{netip.MustParseAddr("10.213.0.100"), netip.MustParseAddr("10.213.0.101")}
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

			var conn *transport.Conn
			if err := obs.Do(func() (err error) { conn, err = transport.Listen(transport.Config{Interface: "eth0"}); return err }); err != nil {
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

			got := make(chan vrrp.Received, 1)
			go func() {
				r, err := conn.Receive(make([]byte, 1500))
				if err == nil {
					got <- r
				}
				close(got)
			}()
			var r vrrp.Received
			select {
			case r = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("no advertisement from keepalived")
			}
			if r.TTL != vrrp.TTL || r.TOS != 0xc0 {
				t.Errorf("TTL %d TOS %#x: want 255 and 0xc0", r.TTL, r.TOS)
			}
			p, err := vrrp.Unmarshal(r.Msg, r.Src, r.Dst)
			if err != nil {
				t.Fatalf("decoding %x: %v", r.Msg, err)
			}
			want := vrrp.Packet{Version: tc.version, Type: 1, VRID: 51, Priority: 255, Interval: tc.interval,
				Checksum: p.Checksum, Addrs: vips}
			if tc.version == 2 {
				want.AuthType, want.AuthData = vrrp.AuthPass, vrrp.Password("longpassword")
			}
			if fmt.Sprintf("%+v", *p) != fmt.Sprintf("%+v", want) {
				t.Fatalf("decoded %+v, want %+v", *p, want)
			}
			out, err := want.Marshal(r.Src, r.Dst)
			if err != nil || !bytes.Equal(out, r.Msg) {
				t.Fatalf("our encoding %x (%v), keepalived's %x", out, err, r.Msg)
			}
		})
	}
}
