package apisock

import (
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/dnstest"
	"fulcrum/proxy/resolve"
)

// A server resolved at run time shows its name in `show servers state`,
// and the nameserver's counters in `show resolvers`.
func TestShowResolvers(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetAddrs("web.test", "127.0.0.2")
	rc := resolve.Defaults("dns")
	rc.Nameservers = []resolve.Nameserver{{Name: "ns1", Addr: dns.Addr()}}
	rc.TimeoutResolve, rc.TimeoutRetry = 50*time.Millisecond, 50*time.Millisecond
	cfg := &proxy.Config{
		Resolvers: map[string]*resolve.Config{"dns": rc},
		Frontends: []*proxy.Frontend{{Name: "fe", DefaultBackend: "be",
			Binds: []proxy.Bind{{Addr: proxy.ListenAddr{Family: proxy.FamilyIPv4, Host: netip.MustParseAddr("127.0.0.1")}}}}},
		Backends: []*proxy.Backend{{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin},
			Servers: []*proxy.Server{{Name: "s1", Addr: netip.AddrPortFrom(netip.Addr{}, 80), Weight: 1, Unresolved: true,
				Resolve: &proxy.ServerResolve{Resolvers: "dns", FQDN: "web.test", PreferIPv4: true}}}}},
	}
	srv := New(startEngine(t, cfg), nil)
	t.Cleanup(srv.Close)
	sock := filepath.Join(t.TempDir(), "admin.sock")
	if err := srv.Update(Config{Sockets: []Socket{{Network: "unix", Addr: sock, FD: -1, Mode: 0o600, UID: -1, GID: -1, Level: LevelAdmin}}}); err != nil {
		t.Fatal(err)
	}
	var state string
	for range 200 {
		if state = ask(t, "unix", sock, "show servers state be"); strings.Contains(state, " s1 127.0.0.2 2 0 ") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(state, "2 be 1 s1 127.0.0.2 2 0 1 1 ") || !strings.Contains(state, " web.test 80 - 0 ") {
		t.Fatalf("show servers state:\n%s", state)
	}
	out := ask(t, "unix", sock, "show resolvers")
	if !regexp.MustCompile(`^Resolvers section dns\n nameserver ns1:\n  sent:        [1-9]\d*\n  snd_error:   0\n  valid:       [1-9]\d*\n  update:      1\n  cname:       0\n`).MatchString(out) ||
		!strings.HasSuffix(out, "  outdated:    0\n\n") {
		t.Errorf("show resolvers:\n%q", out)
	}
	if out := ask(t, "unix", sock, "show resolvers nope"); out != "Can't find that resolvers section\n\n" {
		t.Errorf("unknown section: %q", out)
	}
}
