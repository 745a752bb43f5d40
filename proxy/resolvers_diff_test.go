package proxy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/internal/dnstest"

	"golang.org/x/net/dns/dnsmessage"
)

// resolversConfig resolves every name at the test's DNS server only:
// `init-addr none` keeps both daemons from asking the system resolver.
const resolversConfig = `resolvers dns
	nameserver ns1 %s
	hold valid 1s
	hold nx 1s
	hold timeout 1s
	hold obsolete 0s
	timeout resolve 300ms
	timeout retry 200ms
	resolve_retries 2
defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	server s1 web.test:80 resolvers dns init-addr none
	server-template m 2 multi.test:81 resolvers dns init-addr none resolve-prefer ipv4
	server-template srv 3 _http._tcp.svc.test resolvers dns init-addr none
`

// TestResolversDifferential runs the same resolvers configuration on
// ours and on the reference against one DNS server whose answers change
// in phases, and compares the servers' addresses and states (`show
// servers state`) and the state-change log lines after each phase.
func TestResolversDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	dns := dnstest.Start(t)
	srv := func(target string, port uint16, ip string) dnstest.SRV {
		return dnstest.SRV{Target: target, Port: port, Weight: 10, Addr: netip.MustParseAddr(ip)}
	}
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(resolversConfig, dns.Addr(), difftest.FreePort(t)))

	cfg, diags := adapt(t, fmt.Sprintf(resolversConfig, dns.Addr(), difftest.FreePort(t)))
	for _, d := range diags {
		if strings.Contains(d.Message, "resolv") {
			t.Errorf("unexpected notice: %s", d.Message)
		}
	}
	var mu sync.Mutex
	var ourLogs []string
	e, err := New(cfg, Options{Log: func(_ Level, _, msg string) {
		mu.Lock()
		ourLogs = append(ourLogs, msg)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(time.Second) })
	ours := func() string {
		list, _ := e.ServersState("")
		var b strings.Builder
		for _, st := range list {
			addr := "-"
			if st.Addr.Addr().IsValid() {
				addr = st.Addr.Addr().String()
			}
			fmt.Fprintln(&b, st.Name, addr, st.OpState, st.AdminFlags, dashed(st.FQDN), st.Addr.Port(), dashed(st.SRVRecord))
		}
		return b.String()
	}

	refSeen := 0
	refLogs := func() []string {
		var out []string
		for _, l := range strings.Split(ref.Output(), "\n") {
			if _, msg, ok := strings.Cut(l, ") : "); ok && strings.HasPrefix(l, "[") {
				out = append(out, msg)
			}
		}
		return out
	}
	ourSeen := 0
	phases := []struct {
		desc string
		set  func()
	}{
		{"first answers", func() {
			dns.SetAddrs("web.test", "127.0.0.2")
			dns.SetAddrs("multi.test", "127.0.0.7", "127.0.0.8")
			dns.SetSRV("_http._tcp.svc.test", srv("a.svc.test", 8001, "127.0.0.5"), srv("b.svc.test", 8002, "127.0.0.6"))
		}},
		{"addresses change", func() {
			dns.SetAddrs("web.test", "127.0.0.3")
			dns.SetAddrs("multi.test", "127.0.0.8")
			dns.SetSRV("_http._tcp.svc.test", srv("b.svc.test", 8002, "127.0.0.6"))
		}},
		{"NXDOMAIN", func() { dns.SetRCode("web.test", dnsmessage.RCodeNameError) }},
		{"name back", func() { dns.SetAddrs("web.test", "127.0.0.4") }},
		{"REFUSED", func() { dns.SetRCode("web.test", dnsmessage.RCodeRefused) }},
		{"no answers", func() { dns.Drop(true) }},
		{"answers again", func() { dns.Drop(false) }},
	}
	for _, ph := range phases {
		ph.set()
		// Wait for both to settle: the same state twice in a row a
		// resolution period apart (bounded).
		// Both settle: the same state on four looks in a row, after the
		// holds (1s) could expire (bounded).
		var refState, ourState string
		for i, same := 0, 0; i < 30 && same < 4; i++ {
			time.Sleep(400 * time.Millisecond)
			r, _ := ref.Command("show servers state")
			r, o := serverColumns(r), ours()
			if r == refState && o == ourState {
				same++
			} else {
				same = 0
			}
			refState, ourState = r, o
		}
		if refState != ourState {
			t.Errorf("%s: servers differ\nreference:\n%s\nours:\n%s", ph.desc, refState, ourState)
		}
		rl := refLogs()
		mu.Lock()
		ol := append([]string(nil), ourLogs...)
		mu.Unlock()
		rp, op := normalizeResolveLogs(rl[refSeen:]), normalizeResolveLogs(ol[ourSeen:])
		refSeen, ourSeen = len(rl), len(ol)
		if !slices.Equal(rp, op) {
			t.Errorf("%s: log lines differ\nreference:\n%s\nours:\n%s", ph.desc, strings.Join(rp, "\n"), strings.Join(op, "\n"))
		}
	}
}

// serverColumns keeps, from `show servers state`, the columns DNS
// decides: name, address, op and admin states, fqdn, port, srvrecord.
func serverColumns(state string) string {
	var b strings.Builder
	for _, l := range strings.Split(state, "\n") {
		f := strings.Fields(l)
		if len(f) < 20 || strings.HasPrefix(l, "#") {
			continue
		}
		fmt.Fprintln(&b, f[3], f[4], f[5], f[6], f[17], f[18], f[19])
	}
	return b.String()
}

var countsRe = regexp.MustCompile(`\d+ active and \d+ backup servers left`)

// normalizeResolveLogs sorts a phase's lines (servers sharing a name may
// be handled in another order) and masks the counts that order changes.
func normalizeResolveLogs(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, countsRe.ReplaceAllString(l, "N active and N backup servers left"))
	}
	slices.Sort(out)
	return out
}

func dashed(w string) string {
	if w == "" {
		return "-"
	}
	return w
}
