// Package dnstest is a small authoritative DNS server for tests: UDP on
// loopback, answering from a zone the test changes while it runs.
package dnstest

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// SRV is one SRV record; Addr, when valid, is also sent as an additional
// A/AAAA record for Target.
type SRV struct {
	Target           string
	Port             uint16
	Priority, Weight uint16
	Addr             netip.Addr
}

// Server answers queries from its zone.
type Server struct {
	conn *net.UDPConn
	mu   sync.Mutex
	addr map[string][]netip.Addr // name -> A and AAAA records
	srv  map[string][]SRV
	// rcode forces a response code for a name (NXDOMAIN, REFUSED...).
	rcode map[string]dnsmessage.RCode
	drop  bool
	// queries counts the questions seen, by "name TYPE".
	queries map[string]int
}

// Start runs a server on 127.0.0.1 (a free port) until the test ends.
func Start(t testing.TB) *Server {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{conn: c, addr: map[string][]netip.Addr{}, srv: map[string][]SRV{},
		rcode: map[string]dnsmessage.RCode{}, queries: map[string]int{}}
	done := make(chan struct{})
	go func() { defer close(done); s.serve() }()
	t.Cleanup(func() { c.Close(); <-done })
	return s
}

// TCPAddr starts answering over TCP (RFC 1035 length-prefixed
// messages) on a free loopback port, until the test ends, and returns
// that address.
func (s *Server) TCPAddr(t testing.TB) netip.AddrPort {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var n [2]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(n[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				if out := s.answer(q); out != nil {
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...))
				}
			})
		}
	})
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// Addr is the server's address.
func (s *Server) Addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func key(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// SetAddrs sets name's A and AAAA records (none: the name exists with no
// address) and clears a forced response code.
func (s *Server) SetAddrs(name string, addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ips []netip.Addr
	for _, a := range addrs {
		ips = append(ips, netip.MustParseAddr(a))
	}
	s.addr[key(name)] = ips
	delete(s.rcode, key(name))
}

// SetSRV sets name's SRV records.
func (s *Server) SetSRV(name string, recs ...SRV) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv[key(name)] = recs
	delete(s.rcode, key(name))
}

// SetRCode makes every query for name fail with code.
func (s *Server) SetRCode(name string, code dnsmessage.RCode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcode[key(name)] = code
}

// Drop makes the server ignore every query (on) or answer again (off).
func (s *Server) Drop(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = on
}

// Queries is how many questions for name of type t arrived.
func (s *Server) Queries(name string, t dnsmessage.Type) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[key(name)+" "+t.String()]
}

func (s *Server) serve() {
	buf := make([]byte, 4096)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if out := s.answer(buf[:n]); out != nil {
			s.conn.WriteToUDPAddrPort(out, from)
		}
	}
}

// answer builds the response to one query, or nil to stay silent.
func (s *Server) answer(q []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil
	}
	question := qs[0]
	name := key(question.Name.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries[name+" "+question.Type.String()]++
	if s.drop {
		return nil
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	addrs, hasAddr := s.addr[name]
	srvs, hasSRV := s.srv[name]
	switch code, forced := s.rcode[name]; {
	case forced:
		rh.RCode = code
	case !hasAddr && !hasSRV:
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	hdr := func(n string, t dnsmessage.Type) dnsmessage.ResourceHeader {
		return dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(n + "."), Type: t, Class: dnsmessage.ClassINET, TTL: 1}
	}
	if rh.RCode == dnsmessage.RCodeSuccess {
		for _, ip := range addrs {
			switch {
			case question.Type == dnsmessage.TypeA && ip.Is4():
				b.AResource(hdr(name, dnsmessage.TypeA), dnsmessage.AResource{A: ip.As4()})
			case question.Type == dnsmessage.TypeAAAA && ip.Is6():
				b.AAAAResource(hdr(name, dnsmessage.TypeAAAA), dnsmessage.AAAAResource{AAAA: ip.As16()})
			}
		}
		if question.Type == dnsmessage.TypeSRV {
			for _, r := range srvs {
				b.SRVResource(hdr(name, dnsmessage.TypeSRV), dnsmessage.SRVResource{Priority: r.Priority,
					Weight: r.Weight, Port: r.Port, Target: dnsmessage.MustNewName(key(r.Target) + ".")})
			}
			b.StartAdditionals()
			for _, r := range srvs {
				switch {
				case r.Addr.Is4():
					b.AResource(hdr(key(r.Target), dnsmessage.TypeA), dnsmessage.AResource{A: r.Addr.As4()})
				case r.Addr.Is6():
					b.AAAAResource(hdr(key(r.Target), dnsmessage.TypeAAAA), dnsmessage.AAAAResource{AAAA: r.Addr.As16()})
				}
			}
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
