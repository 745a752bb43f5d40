package proxy

import (
	"bytes"
	"strings"
)

// HTTP fetches over the request being processed; in tcp mode they match
// nothing (False).

// ReqHeader returns the first value of a request header (hdr(name)).
func (s *Session) ReqHeader(name string) ([]byte, Verdict) {
	if s.http == nil {
		return nil, False
	}
	v, ok := s.http.req.Headers.Get(name)
	if !ok {
		return nil, False
	}
	return v, True
}

// ReqPath returns the request's path (the path fetch).
func (s *Session) ReqPath() ([]byte, Verdict) {
	if s.http == nil {
		return nil, False
	}
	return s.http.req.Path(), True
}

// PathBeg is `path_beg PREFIX...`.
func PathBeg(prefixes ...string) Cond {
	return func(s *Session) Verdict {
		p, v := s.ReqPath()
		if v != True {
			return v
		}
		for _, pre := range prefixes {
			if bytes.HasPrefix(p, []byte(pre)) {
				return True
			}
		}
		return False
	}
}

// HdrIs is `hdr(NAME) [-i] VALUE...`: the header's first value equals one
// of values (ASCII case-insensitively with ignoreCase). For Host, a port
// is part of the value, as in HAProxy.
func HdrIs(name string, ignoreCase bool, values ...string) Cond {
	return func(s *Session) Verdict {
		h, v := s.ReqHeader(name)
		if v != True {
			return v
		}
		for _, want := range values {
			if ignoreCase && strings.EqualFold(string(h), want) || !ignoreCase && string(h) == want {
				return True
			}
		}
		return False
	}
}
