package proxy

import (
	"bytes"
	"fmt"
	"net"

	"fulcrum/proxy/http1"
)

// This file is `option checkcache`: a response a shared cache may store
// that carries a Set-Cookie is not relayed. The rules are the reference's
// (HAProxy 2.6), checked case by case against it; they are not RFC 7234's.

// cacheability is what the reference concludes about a response: whether
// a shared cache may store it, and whether it may store its cookies with
// it (Cache-Control: no-cache="set-cookie" says not).
type cacheability struct {
	cacheable, cookies bool
}

// responseCacheability judges resp, the answer to req, as the reference
// does: a GET, HEAD, OPTIONS or TRACE answered with a status cacheable by
// default (RFC 7231 6.1), unless the first Pragma is "no-cache" or a
// Cache-Control directive forbids it; "public" allows it again, whatever
// the method and status. A response without freshness (max-age, s-maxage,
// Expires) nor validator (ETag, Last-Modified) is not cacheable.
func responseCacheability(req *http1.Request, resp *http1.Response) cacheability {
	var c cacheability
	switch string(req.Method) { // case-sensitive, as the reference's method table
	case "GET", "HEAD", "OPTIONS", "TRACE":
		c = cacheability{true, true}
	}
	switch resp.Status {
	case 200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501:
	default:
		c = cacheability{}
	}
	if resp.Status < 200 {
		return cacheability{}
	}
	hs := resp.Headers
	// Only the first Pragma counts, as a whole.
	if v, ok := hs.Get("pragma"); ok && bytes.EqualFold(bytes.Trim(v, " \t"), []byte("no-cache")) {
		return cacheability{}
	}
	fresh := false
	for i := range hs {
		if !bytes.EqualFold(hs[i].Name, []byte("cache-control")) {
			continue
		}
		for rest := hs[i].Value; rest != nil; {
			var d []byte
			d, rest = nextListValue(rest)
			switch {
			case equalFoldAny(d, "public"):
				c = cacheability{true, true}
			case equalFoldAny(d, "private", "no-cache", "no-store", "max-age=0", "s-maxage=0"):
				c = cacheability{}
			case hasPrefixFold(d, `no-cache="set-cookie`):
				c.cookies = false
			case hasPrefixFold(d, "s-maxage"), hasPrefixFold(d, "max-age"):
				fresh = true
			}
		}
	}
	if !fresh && hs.Index("expires", 0) < 0 && hs.Index("etag", 0) < 0 && hs.Index("last-modified", 0) < 0 {
		c.cacheable = false
	}
	return c
}

// nextListValue splits off the first value of a comma-separated header
// list, blanks trimmed; a comma inside a quoted string does not split.
// rest is nil after the last value.
func nextListValue(list []byte) (value, rest []byte) {
	quoted, escaped := false, false
	for i, ch := range list {
		switch {
		case escaped:
			escaped = false
		case quoted && ch == '\\':
			escaped = true
		case ch == '"':
			quoted = !quoted
		case !quoted && ch == ',':
			return bytes.Trim(list[:i], " \t"), list[i+1:]
		}
	}
	return bytes.Trim(list, " \t"), nil
}

func equalFoldAny(b []byte, words ...string) bool {
	for _, w := range words {
		if bytes.EqualFold(b, []byte(w)) {
			return true
		}
	}
	return false
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// setsCookie tells whether a response sets a cookie (Set-Cookie or
// Set-Cookie2, whatever its value).
func setsCookie(hs http1.Headers) bool {
	return hs.Index("set-cookie", 0) >= 0 || hs.Index("set-cookie2", 0) >= 0
}

// serverCookieChecked tells whether checkcache has to look at the
// server's answer: the backend checks it and the server set a cookie.
// The reference decides this after the http-response rules and before
// the persistence cookie is inserted, which it does not count.
func (h *httpConn) serverCookieChecked() bool {
	return h.be != nil && h.be.cfg.CheckCache && setsCookie(h.resp.Headers)
}

// blockCacheableCookie refuses the server's answer when a shared cache
// could store it with its cookie (serverSet: serverCookieChecked, before
// the persistence cookie went in; a `cookie ... nocache` insertion makes
// it private). The client then gets the proxy's page for the server's
// status (500's for a status without one), logged PH with the server's
// status, counted as a denied response, and an alert is logged. orig is
// the server's head as %B counts it. It tells whether it answered and
// whether the client connection persists.
func (h *httpConn) blockCacheableCookie(conn net.Conn, srv *server, serverSet bool, orig int64) (keep, answered bool) {
	if !serverSet {
		return false, false
	}
	if c := responseCacheability(&h.req, &h.resp); !c.cacheable || !c.cookies {
		return false, false
	}
	h.countDeniedResponse(srv)
	name := "<dispatch>"
	if srv != nil {
		name = srv.cfg.Name
	}
	h.e.log(Alert, h.be.cfg.Name, fmt.Sprintf("Blocking cacheable cookie in response from instance %s, server %s.", h.be.cfg.Name, name))
	status := h.resp.Status
	page := status
	if !HandledStatus(page) {
		page = 500
	}
	keep = h.replyInstead(h.errorPage(page), h.dropResponse(conn, orig))
	h.hrec.Status = status // logged and counted, not the page's
	return keep, true
}

// countDeniedResponse counts a server response the proxy refused (dresp:
// checkcache, http-response deny) on the frontend, the backend and the
// server.
func (h *httpConn) countDeniedResponse(srv *server) {
	h.fe.counters.DeniedResps.Add(1)
	h.be.counters.DeniedResps.Add(1)
	if srv != nil {
		srv.state.counters.DeniedResps.Add(1)
	}
}
