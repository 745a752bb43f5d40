package resolve_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"fulcrum/proxy/internal/dnstest"
	"fulcrum/proxy/resolve"

	"golang.org/x/net/dns/dnsmessage"
)

func client(dns *dnstest.Server) *resolve.Client {
	cfg := resolve.Defaults("dns")
	cfg.Nameservers = []resolve.Nameserver{{Name: "ns1", Addr: dns.Addr()}}
	cfg.TimeoutRetry, cfg.Retries = 100*time.Millisecond, 2
	return resolve.New(cfg)
}

func TestQuery(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetAddrs("web.test", "192.0.2.1", "192.0.2.2", "2001:db8::1")
	dns.SetSRV("_h._tcp.svc.test", dnstest.SRV{Target: "a.svc.test", Port: 81, Weight: 300, Priority: 1, Addr: netip.MustParseAddr("192.0.2.9")},
		dnstest.SRV{Target: "b.svc.test", Port: 82})
	dns.SetRCode("refused.test", dnsmessage.RCodeRefused)
	dns.SetRCode("fail.test", dnsmessage.RCodeServerFailure)
	c := client(dns)
	ctx := context.Background()
	tests := []struct {
		desc   string
		name   string
		t      resolve.Type
		status resolve.Status
		addrs  []string
		srv    []resolve.Service
	}{
		{desc: "A records in order", name: "web.test", t: resolve.A, addrs: []string{"192.0.2.1", "192.0.2.2"}},
		{desc: "AAAA records", name: "WEB.test.", t: resolve.AAAA, addrs: []string{"2001:db8::1"}},
		{desc: "NXDOMAIN", name: "nope.test", t: resolve.A, status: resolve.NX},
		{desc: "REFUSED", name: "refused.test", t: resolve.A, status: resolve.Refused},
		{desc: "SERVFAIL is other", name: "fail.test", t: resolve.A, status: resolve.Other},
		{desc: "SRV with and without additional address", name: "_h._tcp.svc.test", t: resolve.SRV, srv: []resolve.Service{
			{Target: "a.svc.test", Port: 81, Priority: 1, Weight: 300, Addr: netip.MustParseAddr("192.0.2.9")},
			{Target: "b.svc.test", Port: 82}}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			a := c.Query(ctx, tc.name, tc.t)
			if a.Status != tc.status {
				t.Fatalf("status %v, want %v", a.Status, tc.status)
			}
			var got []string
			for _, ip := range a.Addrs {
				got = append(got, ip.String())
			}
			if !slices.Equal(got, tc.addrs) {
				t.Errorf("addrs %v, want %v", got, tc.addrs)
			}
			if !slices.Equal(a.Services, tc.srv) {
				t.Errorf("services %+v, want %+v", a.Services, tc.srv)
			}
			if a.By != "ns1" {
				t.Errorf("answered by %q", a.By)
			}
		})
	}
}

func TestQueryTimeoutRetries(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetAddrs("web.test", "192.0.2.1")
	dns.Drop(true)
	if a := client(dns).Query(context.Background(), "web.test", resolve.A); a.Status != resolve.Timeout {
		t.Fatalf("status %v, want timeout", a.Status)
	}
	if n := dns.Queries("web.test", dnsmessage.TypeA); n != 2 {
		t.Errorf("%d queries, want resolve_retries (2)", n)
	}
}

func TestQueryTCP(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetAddrs("web.test", "192.0.2.7")
	cfg := resolve.Defaults("dns")
	cfg.Nameservers = []resolve.Nameserver{{Name: "ns1", Addr: dns.TCPAddr(t), TCP: true}}
	a := resolve.New(cfg).Query(context.Background(), "web.test", resolve.A)
	if a.Status != resolve.Valid || len(a.Addrs) != 1 || a.Addrs[0].String() != "192.0.2.7" {
		t.Fatalf("answer %+v", a)
	}
}

func TestEncodeEDNS(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		payload int
		opt     bool
	}{{"default 512: no OPT", 512, false}, {"larger: OPT record", 4096, true}} {
		t.Run(tc.desc, func(t *testing.T) {
			msg, err := resolve.Encode(7, "web.test", resolve.A, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			var m dnsmessage.Message
			if err := m.Unpack(msg); err != nil {
				t.Fatal(err)
			}
			if m.ID != 7 || !m.RecursionDesired || len(m.Questions) != 1 || m.Questions[0].Name.String() != "web.test." {
				t.Fatalf("query %+v", m)
			}
			hasOpt := len(m.Additionals) == 1 && m.Additionals[0].Header.Type == dnsmessage.TypeOPT
			if hasOpt != tc.opt || hasOpt && int(m.Additionals[0].Header.Class) != tc.payload {
				t.Errorf("additionals %+v", m.Additionals)
			}
		})
	}
}

func TestDecodeRejectsOtherAnswers(t *testing.T) {
	q, _ := resolve.Encode(1, "web.test", resolve.A, 512)
	if _, err := resolve.Decode(q, 1, "web.test", resolve.A); err == nil {
		t.Error("a query was taken for a response")
	}
	resp := answerFor(t, 1, "other.test")
	if _, err := resolve.Decode(resp, 1, "web.test", resolve.A); err != resolve.ErrMismatch {
		t.Errorf("another name: %v", err)
	}
	if _, err := resolve.Decode(resp, 2, "other.test", resolve.A); err != resolve.ErrMismatch {
		t.Errorf("another id: %v", err)
	}
	if a, err := resolve.Decode(resp, 1, "other.test", resolve.A); err != nil || len(a.Addrs) != 1 {
		t.Errorf("matching answer: %+v %v", a, err)
	}
}

func answerFor(t testing.TB, id uint16, name string) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true})
	b.StartQuestions()
	n := dnsmessage.MustNewName(name + ".")
	b.Question(dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	b.CNAMEResource(dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET}, dnsmessage.CNAMEResource{CNAME: n})
	b.AResource(dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET}, dnsmessage.AResource{A: [4]byte{192, 0, 2, 3}})
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzDecode feeds arbitrary responses to the decoder: it must not
// panic, and what it accepts has only records of the asked type.
func FuzzDecode(f *testing.F) {
	f.Add(answerFor(f, 1, "web.test"), uint8(0))
	srv := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 1, Response: true})
	srv.StartQuestions()
	n := dnsmessage.MustNewName("web.test.")
	srv.Question(dnsmessage.Question{Name: n, Type: dnsmessage.TypeSRV, Class: dnsmessage.ClassINET})
	srv.StartAnswers()
	srv.SRVResource(dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET}, dnsmessage.SRVResource{Port: 80, Target: n})
	srv.StartAdditionals()
	srv.AResource(dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET}, dnsmessage.AResource{A: [4]byte{1, 2, 3, 4}})
	msg, _ := srv.Finish()
	f.Add(msg, uint8(2))
	f.Add([]byte{0, 1, 0x80, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, which uint8) {
		typ := []resolve.Type{resolve.A, resolve.AAAA, resolve.SRV}[int(which)%3]
		a, err := resolve.Decode(msg, 1, "web.test", typ)
		if err != nil {
			return
		}
		for _, ip := range a.Addrs {
			if ip.Is4() != (typ == resolve.A) {
				t.Fatalf("%v record in a %v answer", ip, typ)
			}
		}
		if len(a.Services) > 0 && typ != resolve.SRV {
			t.Fatalf("SRV records in a %v answer", typ)
		}
	})
}
