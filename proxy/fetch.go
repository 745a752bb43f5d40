package proxy

import (
	"errors"
	"strings"

	"fulcrum/proxy/tlshello"
)

// The layer-4/5 sample fetches of tcp mode. Each returns the value and a
// Verdict: True when the value is known, Unknown when more request bytes
// may still change it, False when it does not exist. The ACL layer builds
// Conds from them.

// SrcBinary is the src fetch converted to binary, as `balance hash src`
// hashes it: 4 bytes for IPv4, 16 for IPv6.
func (s *Session) SrcBinary() []byte { return s.Src.Addr().Unmap().AsSlice() }

// ReqLen is req.len: bytes of request buffered so far.
func (s *Session) ReqLen() (int, Verdict) {
	if s.Complete {
		return len(s.Payload), True
	}
	return len(s.Payload), Unknown
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

// tlsVerdict maps a tlshello error onto a Verdict.
func (s *Session) tlsVerdict(err error) Verdict {
	switch {
	case err == nil:
		return True
	case errors.Is(err, tlshello.ErrNeedMore) && !s.Complete:
		return Unknown
	}
	return False
}

// ReqSSLSNI is req.ssl_sni.
func (s *Session) ReqSSLSNI() (string, Verdict) {
	sni, err := tlshello.SNI(s.Payload)
	if v := s.tlsVerdict(err); v != True {
		return "", v
	}
	if sni == "" {
		return "", False
	}
	return sni, True
}

// ReqSSLHelloType is req.ssl_hello_type.
func (s *Session) ReqSSLHelloType() (int, Verdict) {
	t, err := tlshello.HelloType(s.Payload)
	return t, s.tlsVerdict(err)
}

// ReqSSLVer is req.ssl_ver.
func (s *Session) ReqSSLVer() (int, Verdict) {
	v, err := tlshello.Version(s.Payload)
	return v, s.tlsVerdict(err)
}

// ReqRDPCookie is req.rdp_cookie(name): the value of the RDP connection
// request's "Cookie: name=value" line (any name when name is ""), read
// exactly as HAProxy's fetch_rdp_cookie_name: after the 11-byte TPKT and
// X.224 headers.
func (s *Session) ReqRDPCookie(name string) ([]byte, Verdict) {
	more := Unknown
	if s.Complete {
		more = False
	}
	d := s.Payload
	if len(d) <= 11 {
		return nil, more
	}
	d = d[11:]
	if len(d) <= 7 {
		return nil, more
	}
	if !strings.EqualFold(string(d[:7]), "Cookie:") {
		return nil, False
	}
	d = d[7:]
	for len(d) > 0 && d[0] == ' ' {
		d = d[1:]
	}
	if name != "" {
		if len(d) <= len(name) {
			return nil, more
		}
		if d[len(name)] != '=' || !strings.EqualFold(string(d[:len(name)]), name) {
			return nil, False
		}
		d = d[len(name)+1:]
	} else {
		for len(d) > 0 && d[0] != '=' {
			if d[0] == '\r' || d[0] == '\n' {
				return nil, False
			}
			d = d[1:]
		}
		if len(d) < 1 {
			return nil, more
		}
		d = d[1:]
	}
	end := 0
	for end < len(d) && d[end] != '\r' {
		end++
	}
	if len(d)-end < 2 {
		return nil, more
	}
	if d[end+1] != '\n' {
		return nil, False
	}
	return d[:end], True
}

// BackendConns is be_conn(name): connections currently on a backend.
func (s *Session) BackendConns(backend string) int {
	if s.Engine == nil {
		return 0
	}
	if c := s.Engine.BackendCounters(backend); c != nil {
		return int(c.Cur.Load())
	}
	return 0
}

// NbSrv is nbsrv(name): usable servers of a backend.
func (s *Session) NbSrv(backend string) int {
	if s.Engine == nil {
		return 0
	}
	return s.Engine.UsableServers(backend)
}

// SNIIs is a ready-made condition: req.ssl_sni -i NAME... (case-insensitive
// exact match), the usual TLS passthrough routing rule.
func SNIIs(names ...string) Cond {
	return func(s *Session) Verdict {
		sni, v := s.ReqSSLSNI()
		if v != True {
			return v
		}
		for _, n := range names {
			if strings.EqualFold(sni, n) {
				return True
			}
		}
		return False
	}
}
