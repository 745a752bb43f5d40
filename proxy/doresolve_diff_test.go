package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/internal/dnstest"
)

// TestDoResolveMatchesReference: http-request do-resolve puts the first
// address of the answer for the name an expression gives in a variable
// (A for ipv4, AAAA otherwise), and leaves it unset when there is none,
// as the reference; the server sees the variables through set-header.
func TestDoResolveMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	dns := dnstest.Start(t)
	dns.SetAddrs("a.test", "10.0.0.1", "10.0.0.2", "2001:db8::1")
	dns.SetAddrs("v4only.test", "10.0.0.3")
	dns.SetAddrs("v6only.test", "2001:db8::6")
	dns.SetAddrs("empty.test")
	dns.SetRCode("nx.test", dnsmessage.RCodeNameError)
	be := actBackend(t, "s1")
	cfg := func(port int) string {
		return fmt.Sprintf(`resolvers dns
	nameserver ns1 %s
	resolve_retries 1
	timeout retry 300ms
defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	http-request do-resolve(txn.ip4,dns,ipv4) hdr(host),lower
	http-request do-resolve(txn.ip6,dns,ipv6) hdr(host),lower
	http-request do-resolve(txn.ipd,dns) hdr(host),lower
	http-request set-header X-IP4 %%[var(txn.ip4)]
	http-request set-header X-IP6 %%[var(txn.ip6)]
	http-request set-header X-IPD %%[var(txn.ipd)]
	server s1 %s
`, dns.Addr(), port, be)
	}
	hosts := []string{"a.test", "A.Test", "v4only.test", "v6only.test", "empty.test", "nx.test", "10.9.9.9", "a.test:8080"}
	play := func(addr string) []string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		rd := bufio.NewReader(c)
		var got []string
		for _, h := range hosts {
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", h)
			resp, err := readRawResponse(rd)
			if err != nil {
				return append(got, "closed")
			}
			// What the server got: the X-IP headers.
			var ips []string
			for _, l := range strings.Split(resp, "\r\n") {
				if strings.HasPrefix(l, "x-ip") {
					ips = append(ips, l)
				}
			}
			got = append(got, h+": "+strings.Join(ips, " "))
		}
		return got
	}
	port := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, cfg(port))
	ref := play(fmt.Sprintf("127.0.0.1:%d", port))
	e, _ := startOurs(t, cfg(difftest.FreePort(t)), plainLine)
	ours := play(feAddr(e, "fe"))
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("the server got:\nref\n%s\nours\n%s", strings.Join(ref, "\n"), strings.Join(ours, "\n"))
	}
	t.Logf("ref:\n%s", strings.Join(ref, "\n"))
}
