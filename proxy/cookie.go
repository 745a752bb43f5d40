package proxy

import (
	"bytes"
	"strings"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/http1"
)

// CookieMode is how `cookie` persistence carries the server's value.
type CookieMode uint8

// Cookie modes.
const (
	// CookieInsert: the proxy sets its own cookie on responses.
	CookieInsert CookieMode = iota
	// CookieRewrite: the server sets the cookie; its value is replaced
	// by the server's cookie value.
	CookieRewrite
	// CookiePrefix: the server's own cookie value is prefixed with
	// "VALUE~" on the way out and stripped on the way in.
	CookiePrefix
)

// CookieConfig is a backend's `cookie NAME insert|rewrite|prefix ...`.
type CookieConfig struct {
	Name     string
	Mode     CookieMode
	Indirect bool
	NoCache  bool
	PostOnly bool
	Preserve bool
	HTTPOnly bool
	Secure   bool
	Domains  []string
	// Attrs are `attr` values, appended as they are.
	Attrs []string
	// dynamic: servers without a cookie get one from their address and
	// the backend's dynamic-cookie-key (the adapter computes it).
	dynamic bool
	// Persist is `option persist`: a cookie still sends its client to a
	// server that is down.
	Persist bool
	// MaxIdle and MaxLife (insert mode) add the last-seen and first-seen
	// dates to the cookie's value ("VALUE|LAST|FIRST"); a cookie idle or
	// older than that is ignored.
	MaxIdle, MaxLife time.Duration
}

// cookieDateChars is the reference's base64 alphabet for cookie dates.
const cookieDateChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// appendCookieDate appends a date as the reference writes it in a
// cookie: its Unix time in 4-second units, 5 base64 digits, most
// significant first.
func appendCookieDate(dst []byte, unix int64) []byte {
	v := uint32(unix>>2) & (1<<30 - 1)
	for shift := 24; shift >= 0; shift -= 6 {
		dst = append(dst, cookieDateChars[v>>shift&63])
	}
	return dst
}

// parseCookieDate reads appendCookieDate's digits (0 when absent or
// malformed).
func parseCookieDate(s string) int64 {
	if len(s) != 5 {
		return 0
	}
	var v int64
	for i := 0; i < 5; i++ {
		d := strings.IndexByte(cookieDateChars, s[i])
		if d < 0 {
			return 0
		}
		v = v<<6 | int64(d)
	}
	return v << 2
}

// now is the clock of cookie dates (a variable for tests).
var now = time.Now

// cookieState is what the request's persistence cookie said.
type cookieState struct {
	// value is the server part of the request's cookie ("" = none).
	value string
	// last and first are its dates (Unix seconds, 0 = none).
	last, first int64
	// direct is set when that value named a usable server, which then
	// served the request.
	direct bool
	// ignored and forced are the backend's persist rules' verdict on
	// the request (persist.go).
	ignored, forced bool
}

// cookieRequest reads the backend's persistence cookie from the request
// and rewrites it for the server: removed in insert+indirect mode, its
// server prefix stripped in prefix mode.
func (h *httpConn) cookieRequest(be *backend) {
	h.ck = cookieState{}
	ck := be.cfg.HTTP.Actions.Cookie
	if ck == nil {
		return
	}
	h.ck.ignored, h.ck.forced = be.persistence(h.sess)
	// Client side: N(one) until a value is read; I(nvalid) until it names
	// a server, D(own) when that server cannot take it, V(alid).
	h.hrec.Cookie = [2]byte{'N', 'N'}
	hs := h.req.Headers
	for i := 0; i < len(hs); i++ {
		if !bytes.EqualFold(hs[i].Name, []byte("cookie")) {
			continue
		}
		v, val, found := rewriteCookieHeader(hs[i].Value, ck)
		if found && h.ck.value == "" {
			h.ck.value = val
			h.hrec.Cookie[0] = 'I'
			h.cookieDates(ck)
		}
		if len(v) == 0 {
			hs = append(hs[:i], hs[i+1:]...)
			i--
			continue
		}
		hs[i].Value = v
	}
	h.req.Headers = hs
}

// cookieDates splits the dates off the request cookie's value and
// forgets a cookie idle or alive for too long (flags E and O).
func (h *httpConn) cookieDates(ck *CookieConfig) {
	srv, dates, _ := strings.Cut(h.ck.value, "|")
	last, first, _ := strings.Cut(dates, "|")
	h.ck.value, h.ck.last, h.ck.first = srv, parseCookieDate(last), parseCookieDate(first)
	// The reference computes in 32-bit ints: a date past 2038 wraps
	// negative and counts as expired.
	t := int32(now().Unix())
	expired := func(date int64, limit time.Duration) bool {
		return limit > 0 && date != 0 && int32(date)+int32(limit/time.Second)-t < 0
	}
	switch {
	case expired(h.ck.first, ck.MaxLife):
		h.ck.value, h.hrec.Cookie[0] = "", 'O'
	case expired(h.ck.last, ck.MaxIdle):
		h.ck.value, h.hrec.Cookie[0] = "", 'E'
	}
}

// rewriteCookieHeader finds ck's cookie in one Cookie header value and
// returns the value to send on, the server value found and whether the
// cookie was there.
func rewriteCookieHeader(v []byte, ck *CookieConfig) (out []byte, server string, found bool) {
	parts := bytes.Split(v, []byte(";"))
	kept := parts[:0]
	changed := false
	for _, p := range parts {
		name, val, _ := bytes.Cut(bytes.TrimSpace(p), []byte("="))
		if found || string(name) != ck.Name {
			kept = append(kept, p)
			continue
		}
		found = true
		switch {
		case ck.Mode == CookiePrefix:
			srv, rest, ok := bytes.Cut(val, []byte("~"))
			server = string(srv)
			if ok {
				changed = true
				p = append(append(append([]byte(" "), name...), '='), rest...)
			}
			kept = append(kept, p)
		case ck.Mode == CookieInsert && ck.Indirect:
			server = string(val)
			changed = true
		default:
			server = string(val)
			kept = append(kept, p)
		}
	}
	if !changed {
		return v, server, found
	}
	for i := range kept {
		kept[i] = bytes.TrimSpace(kept[i])
	}
	return bytes.Join(kept, []byte("; ")), server, found
}

// cookieServer is the balancer entry of the server the request's cookie
// sends it to, if the backend persists by cookie and that server may take
// it (up, or down under option persist); nil lets the balancer choose.
func (b *backend) cookieServer(sess *Session, avoid *server) *balance.Server {
	ck := b.cfg.HTTP.Actions.Cookie
	if ck == nil || sess.http == nil || sess.http.ck.value == "" || avoid != nil {
		return nil
	}
	if sess.http.ck.ignored {
		sess.http.hrec.Cookie[0] = 'U' // present, not used
		return nil
	}
	for _, s := range b.servers {
		if s.cfg.Cookie == "" || s.cfg.Cookie != sess.http.ck.value {
			continue
		}
		if s.cfg.Disabled || !s.state.up.Load() && !ck.Persist && !sess.http.ck.forced {
			sess.http.hrec.Cookie[0] = 'D'
			return nil
		}
		sess.http.ck.direct = true
		sess.http.hrec.Cookie[0] = 'V'
		if !s.state.up.Load() { // force-persist or option persist
			sess.http.hrec.Cookie[0] = 'D'
		}
		return s.lb
	}
	return nil
}

// cookieResponse sets or rewrites the persistence cookie on the server's
// response, after the http-response rules.
func (h *httpConn) cookieResponse(srv *server) {
	if h.be == nil || srv == nil {
		return
	}
	ck := h.be.cfg.HTTP.Actions.Cookie
	if ck == nil {
		return
	}
	resp := &h.resp
	if ck.Mode != CookieInsert {
		for i := range resp.Headers {
			f := &resp.Headers[i]
			if !bytes.EqualFold(f.Name, []byte("set-cookie")) {
				continue
			}
			name, val, ok := bytes.Cut(f.Value, []byte("="))
			if !ok || string(bytes.TrimSpace(name)) != ck.Name {
				continue
			}
			attrs := []byte(nil)
			if j := bytes.IndexByte(val, ';'); j >= 0 {
				val, attrs = val[:j], val[j:]
			}
			if ck.Mode == CookieRewrite {
				val = []byte(srv.cfg.Cookie)
			} else {
				val = join([]byte(srv.cfg.Cookie+"~"), val)
			}
			f.Value = join(name, []byte("="), val, attrs)
			h.hrec.Cookie[1] = 'R'
		}
		return
	}
	if h.ck.ignored {
		return // no persistence for this request: no cookie to give
	}
	t := now().Unix()
	dated := ck.MaxIdle > 0 || ck.MaxLife > 0
	// A client already on this server gets the cookie again only to
	// refresh its last-seen date, or to add or drop its first-seen one.
	refresh := (ck.MaxIdle > 0 || h.ck.last != 0) && (h.ck.last == 0 || h.ck.last < t) ||
		ck.MaxLife > 0 && h.ck.first == 0 || ck.MaxLife == 0 && h.ck.first != 0
	if h.ck.direct && h.ck.value == srv.cfg.Cookie && !refresh {
		return
	}
	if ck.PostOnly && !h.req.IsMethod("POST") {
		return
	}
	if serverSetCookie(resp.Headers, ck.Name) {
		if ck.Preserve {
			h.hrec.Cookie[1] = 'P'
			return
		}
		// The server's own cookie of that name gives way to ours.
		delSetCookie(&resp.Headers, ck.Name)
	}
	var b strings.Builder
	b.WriteString(ck.Name + "=" + srv.cfg.Cookie)
	if dated && srv.cfg.Cookie != "" {
		// Dates are rounded up to the next 4-second unit; the last-seen
		// one is always there.
		d := appendCookieDate([]byte{'|'}, t+3)
		if ck.MaxLife > 0 {
			first := h.ck.first
			if first == 0 {
				first = t + 3
			}
			d = appendCookieDate(append(d, '|'), first)
		}
		b.Write(d)
	}
	b.WriteString("; path=/")
	if srv.cfg.Cookie == "" {
		b.Reset()
		b.WriteString(ck.Name + "=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/")
	}
	for _, d := range ck.Domains {
		b.WriteString("; domain=" + d)
	}
	if ck.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	if ck.Secure {
		b.WriteString("; Secure")
	}
	for _, at := range ck.Attrs {
		b.WriteString("; " + at)
	}
	h.hrec.Cookie[1] = 'I'
	if h.ck.direct && h.ck.value == srv.cfg.Cookie {
		h.hrec.Cookie[1] = 'U' // the dates are refreshed
	}
	nocache := ck.NoCache && responseCacheability(&h.req, resp).cacheable
	resp.Headers = append(resp.Headers, hdr("set-cookie", b.String()))
	if nocache {
		resp.Headers = append(resp.Headers, hdr("cache-control", "private"))
	}
}

// delSetCookie removes the Set-Cookie headers of cookie name.
func delSetCookie(hs *http1.Headers, name string) {
	out := (*hs)[:0]
	for _, f := range *hs {
		n, _, _ := bytes.Cut(f.Value, []byte("="))
		if bytes.EqualFold(f.Name, []byte("set-cookie")) && string(bytes.TrimSpace(n)) == name {
			continue
		}
		out = append(out, f)
	}
	*hs = out
}

// serverSetCookie tells whether the server set the cookie itself.
func serverSetCookie(hs http1.Headers, name string) bool {
	for i := range hs {
		if bytes.EqualFold(hs[i].Name, []byte("set-cookie")) {
			n, _, _ := bytes.Cut(hs[i].Value, []byte("="))
			if string(bytes.TrimSpace(n)) == name {
				return true
			}
		}
	}
	return false
}
