package balance

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// hashed is every hash-based algorithm (source, uri, url_param, hdr,
// rdp-cookie, hash): a key taken from the request, hashed, then looked up in
// the map (map-based) or on the ring (consistent). Without a key it falls
// back to round robin over the same structure, as HAProxy does.
type hashed struct {
	b      *Balancer
	lookup hashLookup
}

// hashLookup is the map or the ring.
type hashLookup interface {
	algorithm
	byHash(h uint32, avoid *Server) *Server
}

func (h *hashed) init()                 { h.lookup.init() }
func (h *hashed) up(s *Server)          { h.lookup.up(s) }
func (h *hashed) down(s *Server)        { h.lookup.down(s) }
func (h *hashed) reweight(s *Server)    { h.lookup.reweight(s) }
func (h *hashed) loadChanged(s *Server) { h.lookup.loadChanged(s) }

func (h *hashed) pick(r *Request, avoid *Server) (*Server, error) {
	if hv, ok := h.key(r); ok {
		if s := h.lookup.byHash(hv, avoid); s != nil {
			return s, nil
		}
	}
	return h.lookup.pick(r, avoid)
}

// finish applies the avalanche modifier.
func (h *hashed) finish(v uint32) uint32 {
	if h.b.cfg.Avalanche {
		return FullHash(v)
	}
	return v
}

// key computes the hash for r; false when the request has no key (the
// caller then falls back to round robin).
func (h *hashed) key(r *Request) (uint32, bool) {
	cfg := &h.b.cfg
	// With a single usable server the key does not matter (hash 0).
	single := h.b.totUsed == 1
	switch cfg.Algo {
	case Source:
		if single {
			return 0, true
		}
		if !r.Src.IsValid() {
			return 0, false
		}
		// XOR of the address's 32-bit big-endian words; no hash function.
		ip := r.Src.Unmap().AsSlice()
		var v uint32
		for l := 0; l+4 <= len(ip); l += 4 {
			v ^= binary.BigEndian.Uint32(ip[l:])
		}
		return h.finish(v), true
	case URI:
		if single {
			return 0, true
		}
		if r.URI == "" && r.Method == "" {
			return 0, false
		}
		return h.finish(Hash(cfg.Func, uriKey(cfg, r.URI))), true
	case URLParam:
		v, ok := paramValue(r.URI, cfg.Param)
		if !ok && r.Method == "POST" {
			v, ok = bodyParamValue(r.Body, cfg.Param)
		}
		if !ok {
			return 0, false
		}
		return h.finish(Hash(cfg.Func, v)), true
	case Hdr:
		if single {
			return 0, true
		}
		if r.Header == nil {
			return 0, false
		}
		v, ok := r.Header(cfg.Param)
		if !ok || v == "" {
			return 0, false
		}
		if cfg.UseDomainOnly {
			return h.finish(Hash(cfg.Func, domainKey(v))), true
		}
		return h.finish(Hash(cfg.Func, []byte(v))), true
	case RDPCookie:
		if len(r.RDPCookie) == 0 {
			return 0, false
		}
		if single {
			return 0, true
		}
		return h.finish(Hash(cfg.Func, r.RDPCookie)), true
	case Sample:
		if single {
			return 0, true
		}
		if r.Key == nil {
			return 0, false
		}
		return h.finish(Hash(cfg.Func, r.Key)), true
	}
	return 0, false
}

// uriKey is the part of the URI get_server_uh hashes: at most len bytes,
// stopping at the depth+1'th slash, and at '?' unless "whole".
func uriKey(cfg *Config, uri string) []byte {
	if cfg.URIPathOnly {
		uri = pathOnly(uri)
	}
	if cfg.URILen > 0 && len(uri) > cfg.URILen {
		uri = uri[:cfg.URILen]
	}
	slashes := 0
	end := 0
	for ; end < len(uri); end++ {
		c := uri[end]
		if c == '/' {
			slashes++
			if cfg.URIDepth > 0 && slashes == cfg.URIDepth+1 {
				break
			}
		} else if c == '?' && !cfg.URIWhole {
			break
		}
	}
	return []byte(uri[:end])
}

// pathOnly strips scheme and authority from an absolute URI; the query
// stays (http_parse_path's path runs to the end): "whole" hashes it.
func pathOnly(uri string) string {
	if i := strings.Index(uri, "://"); i >= 0 && !strings.HasPrefix(uri, "/") {
		rest := uri[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			uri = rest[j:]
		} else {
			return ""
		}
	}
	return uri
}

// paramValue finds name=value in the query string, as get_server_ph.
func paramValue(uri, name string) ([]byte, bool) {
	q := strings.IndexByte(uri, '?')
	if q < 0 {
		return nil, false
	}
	return findParam([]byte(uri[q+1:]), name)
}

// bodyParamValue looks the parameter up in a form body, as
// get_server_ph_post (stopping at whitespace).
func bodyParamValue(body []byte, name string) ([]byte, bool) {
	if i := bytes.IndexAny(body, " \t\r\n"); i >= 0 {
		body = body[:i]
	}
	return findParam(body, name)
}

func findParam(params []byte, name string) ([]byte, bool) {
	for len(params) > len(name) {
		if params[len(name)] == '=' && string(params[:len(name)]) == name {
			v := params[len(name)+1:]
			if i := bytes.IndexByte(v, '&'); i >= 0 {
				v = v[:i]
			}
			return v, true
		}
		i := bytes.IndexByte(params, '&')
		if i < 0 {
			return nil, false
		}
		params = params[i+1:]
	}
	return nil, false
}

// domainKey is hdr(name) use_domain_only: the label before the last dot
// (the registered domain without its TLD), or the whole value when it has
// no dot.
func domainKey(v string) []byte {
	last := strings.LastIndexByte(v, '.')
	if last < 0 {
		return []byte(v)
	}
	start := strings.LastIndexByte(v[:last], '.') + 1
	return []byte(v[start:last])
}
