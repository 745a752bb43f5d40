package proxy

import (
	"fmt"
	"net"
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

// tcpListenFe opens a tcp listen section "fe" on a port to fill in.
const tcpListenFe = `defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%[2]d
`

// resolversConfig resolves every name at the test's DNS server only:
// `init-addr none` keeps both daemons from asking the system resolver.
const resolversConfig = `resolvers dns
	nameserver ns1 %[1]s
	hold valid 1s
	hold nx 1s
	hold timeout 1s
	hold obsolete 0s
	timeout resolve 300ms
	timeout retry 200ms
	resolve_retries 2
resolvers dns2
	nameserver ns1 %[1]s
	hold valid 1s
	hold timeout 1s
	hold obsolete 5s
	timeout resolve 300ms
	timeout retry 200ms
	resolve_retries 2
` + tcpListenFe + `	server s1 web.test:80 resolvers dns init-addr none
	server-template m 2 multi.test:81 resolvers dns init-addr none resolve-prefer ipv4
	server-template srv 3 _http._tcp.svc.test resolvers dns init-addr none
	server-template h 3 _h._tcp.hosts.test resolvers dns2 init-addr none
	server-template d 2 dup.test:82 resolvers dns init-addr none resolve-prefer ipv4 resolve-opts allow-dup-ip
	server n1 net.test:83 resolvers dns init-addr none resolve-prefer ipv4 resolve-net 10.0.0.0/8,127.0.0.64/26
backend chk
	server c1 chk.test:%[3]d resolvers dns init-addr none resolve-prefer ipv4 check inter 100ms rise 1 fall 1
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
	// c1's name moves between a listening address and one where
	// nothing listens: its check follows.
	live := difftest.Serve(t, "127.0.0.1:0", func(net.Conn) {})
	port := live.Addr().(*net.TCPAddr).Port
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(resolversConfig, dns.Addr(), difftest.FreePort(t), port))

	cfg, diags := adapt(t, fmt.Sprintf(resolversConfig, dns.Addr(), difftest.FreePort(t), port))
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
			fmt.Fprintln(&b, st.Name, addr, st.OpState, st.AdminFlags, st.UWeight, st.CheckStatus, st.CheckResult, st.CheckHealth, dashed(st.FQDN), st.Addr.Port(), dashed(st.SRVRecord))
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
			dns.SetAddrs("chk.test", "127.0.0.1")
			dns.SetAddrs("multi.test", "127.0.0.7", "127.0.0.8")
			dns.SetSRV("_http._tcp.svc.test", srv("a.svc.test", 8001, "127.0.0.5"), srv("b.svc.test", 8002, "127.0.0.6"))
			// SRV records without addresses: their targets are resolved.
			dns.SetSRV("_h._tcp.hosts.test", dnstest.SRV{Target: "a.hosts.test", Port: 9001, Weight: 1000},
				dnstest.SRV{Target: "b.hosts.test", Port: 9002, Weight: 10})
			dns.SetAddrs("dup.test", "127.0.0.30")                             // both d1 and d2
			dns.SetAddrs("net.test", "127.0.0.20", "127.0.0.70", "127.0.0.71") // the one in resolve-net
			dns.SetAddrs("a.hosts.test", "127.0.0.11")
			dns.SetAddrs("b.hosts.test", "127.0.0.12")
		}},
		{"addresses change", func() {
			dns.SetAddrs("web.test", "127.0.0.3")
			dns.SetAddrs("chk.test", "127.0.0.3")
			dns.SetAddrs("multi.test", "127.0.0.8")
			dns.SetSRV("_http._tcp.svc.test", srv("b.svc.test", 8002, "127.0.0.6"))
			dns.SetAddrs("a.hosts.test", "127.0.0.13")
		}},
		{"NXDOMAIN", func() { dns.SetRCode("web.test", dnsmessage.RCodeNameError) }},
		{"name back", func() {
			dns.SetAddrs("web.test", "127.0.0.4")
			dns.SetAddrs("chk.test", "127.0.0.1")
		}},
		{"REFUSED", func() {
			dns.SetRCode("web.test", dnsmessage.RCodeRefused)
			dns.SetAddrs("chk.test", "127.0.0.3") // c1's check fails: DOWN
		}},
		{"no answers", func() { dns.Drop(true) }},
		{"answers again", func() { dns.Drop(false) }},
	}
	for _, ph := range phases {
		ph.set()
		// Wait for both to settle: the same state twice in a row a
		// resolution period apart (bounded).
		// Both settle: the same state on four looks in a row (fifteen
		// while they differ, as `hold obsolete` is 5s), bounded.
		var refState, ourState string
		for i, same := 0, 0; i < 40 && (same < 4 || refState != ourState && same < 15); i++ {
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

	// `show resolvers` lists the same sections and nameservers, the
	// implicit "default" one included (the counters depend on timing).
	out, err := ref.Command("show resolvers")
	if err != nil {
		t.Fatal(err)
	}
	var refNames, ourNames []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Resolvers section ") || strings.HasPrefix(l, " nameserver ") {
			refNames = append(refNames, l)
		}
	}
	for _, sec := range e.Resolvers() {
		ourNames = append(ourNames, "Resolvers section "+sec.Name)
		for _, ns := range sec.Nameservers {
			ourNames = append(ourNames, " nameserver "+ns.Name+":")
		}
	}
	if !slices.Equal(refNames, ourNames) {
		t.Errorf("show resolvers lists\n%s\nours\n%s", strings.Join(refNames, "\n"), strings.Join(ourNames, "\n"))
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
		fmt.Fprintln(&b, f[3], f[4], f[5], f[6], f[7], f[10], f[11], f[12], f[17], f[18], f[19])
	}
	return b.String()
}

var (
	countsRe   = regexp.MustCompile(`\d+ active and \d+ backup servers (left|online)`)
	durationRe = regexp.MustCompile(`check duration: \d+ms`)
)

// normalizeResolveLogs sorts a phase's lines (servers sharing a name may
// be handled in another order) and masks the counts that order changes.
func normalizeResolveLogs(lines []string) []string {
	var out []string
	for _, l := range lines {
		l = countsRe.ReplaceAllString(l, "N active and N backup servers $1")
		out = append(out, durationRe.ReplaceAllString(l, "check duration: Nms"))
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
