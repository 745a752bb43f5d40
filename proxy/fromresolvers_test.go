package proxy

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResolversFromConfig(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(conf, []byte("# test\nnameserver 192.0.2.53\nsearch x\nnameserver 2001:db8::53\n"), 0o644)
	old := ResolvConf
	ResolvConf = conf
	t.Cleanup(func() { ResolvConf = old })
	cfg, diags := adapt(t, `resolvers dns
	nameserver ns1 127.0.0.1:5353
	nameserver ns2 tcp@127.0.0.2:53
	parse-resolv-conf
	hold valid 5s
	hold obsolete 2s
	timeout retry 300ms
	resolve_retries 4
	accepted_payload_size 1232
defaults
	mode tcp
	timeout connect 1s
	timeout client 1s
	timeout server 1s
listen fe
	bind 127.0.0.1:8999
	server s1 web.test:80 resolvers dns init-addr none resolve-prefer ipv4 resolve-net 10.0.0.0/8,192.0.2.0/24 resolve-opts allow-dup-ip,ignore-weight
	server lit 127.0.0.1:80 resolvers dns
	server-template srv 2 _http._tcp.svc.test resolvers dns init-addr none
`)
	for _, d := range diags {
		if strings.Contains(d.Message, "resolv") {
			t.Errorf("unexpected notice: %s", d.Message)
		}
	}
	rc := cfg.Resolvers["dns"]
	if rc == nil {
		t.Fatal("no resolvers section")
	}
	// The reference's implicit "default" section comes last.
	if got := strings.Join(cfg.ResolversOrder, ","); got != "dns,default" || cfg.Resolvers["default"] == nil {
		t.Errorf("sections %s", got)
	}
	var ns []string
	for _, n := range rc.Nameservers {
		ns = append(ns, n.Name+"="+n.Addr.String()+map[bool]string{true: "/tcp"}[n.TCP])
	}
	if got := strings.Join(ns, " "); got != "ns1=127.0.0.1:5353 ns2=127.0.0.2:53/tcp 192.0.2.53=192.0.2.53:53 2001:db8::53=[2001:db8::53]:53" {
		t.Errorf("nameservers %s", got)
	}
	if rc.Hold.Valid != 5*time.Second || rc.Hold.Obsolete != 2*time.Second || rc.Hold.NX != 30*time.Second ||
		rc.TimeoutRetry != 300*time.Millisecond || rc.TimeoutResolve != time.Second || rc.Retries != 4 || rc.PayloadSize != 1232 {
		t.Errorf("section %+v", rc)
	}
	be := backendNamed(cfg, "fe")
	s1 := be.Servers[0].Resolve
	if s1 == nil || s1.FQDN != "web.test" || !s1.PreferIPv4 || !s1.AllowDupIP || !s1.IgnoreWeight ||
		len(s1.Nets) != 2 || s1.Nets[1] != netip.MustParsePrefix("192.0.2.0/24") {
		t.Errorf("s1 resolve %+v", s1)
	}
	if be.Servers[0].Addr.Port() != 80 || be.Servers[0].Disabled || !be.Servers[0].Unresolved {
		t.Errorf("s1 %+v", be.Servers[0])
	}
	if be.Servers[1].Resolve != nil {
		t.Errorf("a literal address is resolved: %+v", be.Servers[1].Resolve)
	}
	if r := be.Servers[2].Resolve; r == nil || !r.SRV || r.FQDN != "_http._tcp.svc.test" {
		t.Errorf("srv1 resolve %+v", r)
	}
}

func TestParseNameserver(t *testing.T) {
	for _, tc := range []struct {
		desc, in, want string
		tcp, ok        bool
	}{
		{desc: "ip and port", in: "10.0.0.1:5353", want: "10.0.0.1:5353", ok: true},
		{desc: "port 53 by default", in: "10.0.0.1", want: "10.0.0.1:53", ok: true},
		{desc: "ipv6 in brackets", in: "[fdaa::3]:53", want: "[fdaa::3]:53", ok: true},
		{desc: "bare ipv6", in: "fdaa::3", want: "[fdaa::3]:53", ok: true},
		{desc: "tcp prefix", in: "tcp@10.0.0.1:53", want: "10.0.0.1:53", tcp: true, ok: true},
		{desc: "udp prefix", in: "udp@10.0.0.1:53", want: "10.0.0.1:53", ok: true},
		{desc: "host name", in: "dns.example:53"},
		{desc: "unset variable", in: "${DNS}:53"},
		{desc: "unknown prefix", in: "unix@/x"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ns, ok := parseNameserver("ns", tc.in)
			if ok != tc.ok || ok && (ns.Addr.String() != tc.want || ns.TCP != tc.tcp) {
				t.Errorf("%q: %+v %v", tc.in, ns, ok)
			}
		})
	}
}
