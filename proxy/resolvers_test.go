package proxy

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/internal/dnstest"
)

// A server follows its name: connections go to the address DNS gives,
// its health check too, and a reload keeps the resolved address.
func TestResolvedServerCarriesTraffic(t *testing.T) {
	dns := dnstest.Start(t)
	// Two backends on the same port of two loopback addresses, each
	// saying who it is.
	l1 := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) { io.WriteString(c, "one"); c.Close() })
	port := l1.Addr().(*net.TCPAddr).Port
	difftest.Serve(t, fmt.Sprintf("127.0.0.2:%d", port), func(c net.Conn) { io.WriteString(c, "two"); c.Close() })
	dns.SetAddrs("web.test", "127.0.0.1")
	text := fmt.Sprintf(`resolvers dns
	nameserver ns1 %s
	hold valid 100ms
	timeout resolve 50ms
	timeout retry 50ms
`+tcpListenFe+`	server s1 web.test:%d resolvers dns init-addr none resolve-prefer ipv4 check inter 50ms rise 1 fall 1
`, dns.Addr(), difftest.FreePort(t), port)
	e := startText(t, text)
	fe := feAddr(e, "fe")
	wantAnswer := func(want string) {
		t.Helper()
		got := ""
		for range 200 {
			if c, err := net.Dial("tcp", fe); err == nil {
				c.SetDeadline(time.Now().Add(2 * time.Second))
				b, _ := io.ReadAll(c)
				c.Close()
				if got = string(b); got == want {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("the server answers %q, want %q", got, want)
	}
	wantAnswer("one")
	dns.SetAddrs("web.test", "127.0.0.2")
	wantAnswer("two")

	// A reload keeps the address DNS gave (the configuration has none).
	dns.Drop(true)
	cfg, _ := adapt(t, text)
	if err := e.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	wantAnswer("two")
	st, _ := e.ServersState("fe")
	if len(st) != 1 || st[0].Addr.String() != fmt.Sprintf("127.0.0.2:%d", port) || st[0].AdminFlags != 0 {
		t.Fatalf("after reload: %+v", st)
	}

	// The check follows the address: a name moved to where nothing
	// listens takes the server down.
	dns.Drop(false)
	dns.SetAddrs("web.test", "127.0.0.3")
	for range 200 {
		if st, _ := e.ServersState("fe"); st[0].OpState == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the check did not follow the new address")
}
