package proxy

import (
	"errors"
	"net/netip"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/sample"
)

// Session is the sample package's Env: fetches read the connection, the
// inspect buffer, the HTTP request in flight and live counters through
// these methods.
var _ sample.Env = (*Session)(nil)

// Addrs returns the client and local addresses (src, dst).
func (s *Session) Addrs() (src, dst netip.AddrPort) { return s.Src, s.Dst }

// Buffered returns the inspected request bytes and whether no more can
// arrive.
func (s *Session) Buffered() ([]byte, bool) { return s.Payload, s.Complete }

// HTTPRequest is the request being processed in http mode. In tcp mode
// it is the request head at the start of the inspect buffer, once it is
// complete and valid, as HAProxy parses one for HTTP fetches there.
func (s *Session) HTTPRequest() *http1.Request {
	if s.http != nil {
		return &s.http.req
	}
	if len(s.Payload) == 0 {
		return nil
	}
	if s.tcpHTTP == nil {
		s.tcpHTTP = &tcpHTTP{n: -1}
	}
	return s.tcpHTTP.parse(s.Payload)
}

// HTTPWaiting reports whether a tcp-mode inspect buffer holds the start
// of a request head that more bytes may complete.
func (s *Session) HTTPWaiting() bool {
	if s.http != nil || s.Complete {
		return false
	}
	return s.tcpHTTP == nil || s.tcpHTTP.n != len(s.Payload) || s.tcpHTTP.incomplete
}

// tcpHTTP caches the parse of a tcp-mode inspect buffer; it is redone
// only when more bytes arrived.
type tcpHTTP struct {
	n          int
	ok         bool
	incomplete bool   // the head is not complete yet (else it is invalid)
	buf        []byte // a copy: parsing normalises in place, the payload is forwarded as is
	req        http1.Request
}

func (t *tcpHTTP) parse(payload []byte) *http1.Request {
	if t.n != len(payload) {
		t.n = len(payload)
		t.buf = append(t.buf[:0], payload...)
		opts := http1.Options{Limits: http1.DefaultLimits()}
		_, err := t.req.Parse(t.buf, &opts)
		t.ok, t.incomplete = err == nil, errors.Is(err, http1.ErrIncomplete)
	}
	if !t.ok {
		return nil
	}
	return &t.req
}

// HTTPResponse is the response being processed, nil before its head
// arrived.
func (s *Session) HTTPResponse() *http1.Response {
	if s.http == nil || s.http.resp.Status == 0 {
		return nil
	}
	return &s.http.resp
}

// Proxies returns the frontend's name and the backend's once chosen.
func (s *Session) Proxies() (frontend, backend string) {
	if s.http != nil && s.http.be != nil {
		return s.Frontend, s.http.be.cfg.Name
	}
	return s.Frontend, ""
}

// RequestIndex is how many requests the connection carried before.
func (s *Session) RequestIndex() int {
	if s.http == nil {
		return 0
	}
	return s.http.nreq
}

// Stat reads live figures for nbsrv, be_conn, fe_conn, queue,
// srv_is_up, srv_conn and srv_queue.
func (s *Session) Stat(what sample.Stat, proxy, server string) (int, bool) {
	if s.Engine == nil {
		return 0, false
	}
	rt := s.Engine.rt.Load()
	if what == sample.StatFrontendConns {
		if f := rt.frontends[proxy]; f != nil {
			return int(f.counters.Cur.Load()), true
		}
		return 0, false
	}
	b := rt.backends[proxy]
	if b == nil {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch what {
	case sample.StatBackendConns:
		return int(b.counters.Cur.Load()), true
	case sample.StatUsableServers:
		n := 0
		for _, sv := range b.servers {
			if sv.lb.Usable() {
				n++
			}
		}
		return n, true
	case sample.StatQueue:
		n := len(b.queue)
		for _, sv := range b.servers {
			n += len(sv.queue)
		}
		return n, true
	}
	sv := b.byName[server]
	if sv == nil {
		return 0, false
	}
	switch what {
	case sample.StatServerUp:
		if sv.lb.Usable() {
			return 1, true
		}
		return 0, true
	case sample.StatServerConns:
		return int(sv.state.counters.Cur.Load()), true
	case sample.StatServerQueue:
		return len(sv.queue), true
	}
	return 0, false
}

// SrcBinary is the src fetch converted to binary, as `balance hash src`
// hashes it: 4 bytes for IPv4, 16 for IPv6.
func (s *Session) SrcBinary() []byte { return s.Src.Addr().Unmap().AsSlice() }

// BackendConns is be_conn(name): connections currently on a backend.
func (s *Session) BackendConns(backend string) int {
	n, _ := s.Stat(sample.StatBackendConns, backend, "")
	return n
}

// NbSrv is nbsrv(name): usable servers of a backend.
func (s *Session) NbSrv(backend string) int {
	n, _ := s.Stat(sample.StatUsableServers, backend, "")
	return n
}

// condOf turns a compiled ACL into a Cond.
func condOf(a *sample.ACL) Cond {
	return func(s *Session) Verdict { return Verdict(a.Match(s)) }
}

// mustACL compiles a fixed ACL for the ready-made conditions below.
func mustACL(words ...string) Cond {
	a, err := sample.ParseACL(words, nil)
	if err != nil {
		panic(err)
	}
	return condOf(a)
}

// SNIIs is a ready-made condition: req.ssl_sni -i NAME... (case-insensitive
// exact match), the usual TLS passthrough routing rule.
func SNIIs(names ...string) Cond {
	return mustACL(append([]string{"req.ssl_sni", "-i", "--"}, names...)...)
}

// ReqPayload is req.payload(offset,length); length 0 means to the end.
func (s *Session) ReqPayload(offset, length int) ([]byte, Verdict) {
	end := len(s.Payload)
	if length > 0 {
		end = offset + length
	}
	if end > len(s.Payload) || offset > len(s.Payload) {
		if s.Complete {
			return nil, False
		}
		return nil, Unknown
	}
	return s.Payload[offset:end], True
}

// ReqRDPCookie is req.rdp_cookie(name) (any name when name is "").
func (s *Session) ReqRDPCookie(name string) ([]byte, Verdict) {
	v, r := sample.RDPCookie(s.Payload, name, s.Complete)
	return v, Verdict(r)
}

// ProxyHeader reports whether the client sent a PROXY header, and the
// value of its v2 TLV of type t (sample.ProxyEnv).
func (s *Session) ProxyHeader(t byte) (received bool, value []byte, ok bool) {
	if s.proxyHeader == nil {
		return false, nil, false
	}
	value, ok = s.proxyHeader.Value(t)
	return true, value, ok
}
