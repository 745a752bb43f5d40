package proxy

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/proxyproto"
)

// TestProxyHeaderFetchesMatchReference: fc_rcvd_proxy, fc_pp_authority
// and fc_pp_unique_id read the PROXY header a client sent as the
// reference reads them (v2 with TLVs, v1, none), and a v2 header whose
// TLV overruns it is refused as by the reference.
func TestProxyHeaderFetchesMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := actBackend(t, "s1")
	cfg := func(pp, plain int) string {
		return fmt.Sprintf(`defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d accept-proxy
	bind 127.0.0.1:%d
	http-request set-header X-Rcvd %%[fc_rcvd_proxy]
	http-request set-header X-Auth %%[fc_pp_authority]
	http-request set-header X-UID %%[fc_pp_unique_id]
	http-request set-header X-Has-UID %%[fc_pp_unique_id,length] if { fc_pp_unique_id -m found }
	server s1 %s
`, pp, plain, be)
	}
	src := netip.MustParseAddrPort("192.0.2.7:4000")
	dst := netip.MustParseAddrPort("198.51.100.1:443")
	v2 := proxyproto.AppendV2(nil, src, dst)
	withTLVs := proxyproto.AppendTLV(proxyproto.AppendTLV(proxyproto.AppendTLV(append([]byte(nil), v2...),
		proxyproto.TypeAuthority, []byte("example.com")), 0x04, []byte{0, 0}), proxyproto.TypeUniqueID, []byte("abc-123"))
	overrun := append([]byte(nil), withTLVs...)
	overrun[len(overrun)-len("abc-123")-1] = 0x40 // the last TLV claims more than the header holds
	cases := []struct {
		desc   string
		plain  bool // to the bind without accept-proxy
		header []byte
	}{
		{"v2 with TLVs", false, withTLVs},
		{"v2 without TLVs", false, v2},
		{"v2 empty unique id", false, proxyproto.AppendTLV(append([]byte(nil), v2...), proxyproto.TypeUniqueID, nil)},
		{"v1", false, proxyproto.AppendV1(nil, src, dst)},
		{"none", true, nil},
		{"v2 TLV overrun", false, overrun},
	}
	play := func(ppAddr, plainAddr string) []string {
		var out []string
		for _, c := range cases {
			addr := ppAddr
			if c.plain {
				addr = plainAddr
			}
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			conn.Write(append(c.header, get("/")...))
			resp, err := readRawResponse(bufio.NewReader(conn))
			conn.Close()
			if err != nil && resp == "" {
				out = append(out, c.desc+": closed")
				continue
			}
			var got []string
			for _, l := range strings.Split(resp, "\r\n") {
				if strings.HasPrefix(l, "x-rcvd") || strings.HasPrefix(l, "x-auth") || strings.HasPrefix(l, "x-uid") || strings.HasPrefix(l, "x-has") {
					got = append(got, l)
				}
			}
			out = append(out, c.desc+": "+strings.Join(got, " "))
		}
		return out
	}
	refPP, refPlain := difftest.FreePort(t), difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, cfg(refPP, refPlain))
	ref := play(fmt.Sprintf("127.0.0.1:%d", refPP), fmt.Sprintf("127.0.0.1:%d", refPlain))
	ourPP, ourPlain := difftest.FreePort(t), difftest.FreePort(t)
	startOurs(t, cfg(ourPP, ourPlain), plainLine)
	ours := play(fmt.Sprintf("127.0.0.1:%d", ourPP), fmt.Sprintf("127.0.0.1:%d", ourPlain))
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("the server got:\nref\n%s\nours\n%s", strings.Join(ref, "\n"), strings.Join(ours, "\n"))
	}
	t.Logf("ref:\n%s", strings.Join(ref, "\n"))
}
