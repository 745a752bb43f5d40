package proxy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/stats"
)

// Version and ReleaseDate are what the statistics show as HAProxy's
// version (set by cmd/haproxy to its -v answer).
var (
	Version     = "2.6.12-1+deb12u4"
	ReleaseDate = "2026/10/17"
)

// serveFrontendStats is serveStats for a frontend section: a listen's
// page is served once, at its backend stage.
func (h *httpConn) serveFrontendStats() (done, keep bool) {
	if h.rt.backends[h.fe.cfg.Name] != nil {
		return false, false
	}
	return h.serveStats(h.fe.cfg.Name)
}

// serveStats answers the request when it is for the statistics page of
// the proxy name. done reports whether it did; keep whether the client
// connection goes on.
func (h *httpConn) serveStats(name string) (done, keep bool) {
	g := h.rt.cfg.Stats
	if g == nil {
		return false, false
	}
	page := g.Pages[name]
	if page == nil || !bytes.HasPrefix(h.req.URI, []byte(page.URI)) {
		return false, false
	}
	rest := string(h.req.URI[len(page.URI):])
	h.r.Server = "<STATS>"
	h.fe.counters.Intercepted.Add(1)
	// stats http-request rules (the first that matches decides; allow
	// skips the authentication), then stats auth.
	allowed := false
	for _, r := range page.Rules {
		if r.Cond != nil && r.Cond(h.sess) != True {
			continue
		}
		switch r.Action {
		case StatsDeny:
			h.reply(403, termProxy, stateRequest)
			h.log()
			return true, false
		case StatsAllow:
			allowed = true
		case StatsAuth:
			if !page.authorized(h) || len(page.Users) == 0 {
				realm := r.Realm
				if realm == "" {
					realm = page.Realm
				}
				return true, h.statsUnauthorized(realm)
			}
		}
		break
	}
	if !allowed && len(page.Users) > 0 && !page.authorized(h) {
		return true, h.statsUnauthorized(page.Realm)
	}
	admin := false
	for _, c := range page.Admin {
		if c(h.sess) == True {
			admin = true
			break
		}
	}
	flags := stats.ParseQuery(rest)
	_, up := flags["up"]
	_, noRefresh := flags["norefresh"]
	opts := stats.Options{Up: up, Scope: flags["scope"]}
	for _, s := range page.Scope {
		if s == "." {
			s = name
		}
		opts.Proxies = append(opts.Proxies, s)
	}
	if h.req.IsMethod("POST") {
		body, ok := h.readSmallBody(16384)
		if !ok {
			return true, false
		}
		st := "DENY"
		if admin {
			st = h.statsAdmin(string(body))
		}
		loc := page.URI + ";st=" + st
		if up {
			loc += ";up"
		}
		if noRefresh {
			loc += ";norefresh"
		}
		h.writeStatsResponse(303, "See Other", "text/plain", []string{"location: " + loc}, nil)
		return true, h.req.KeepAlive()
	}
	snap := h.e.Snapshot()
	var buf bytes.Buffer
	ctype := "text/html"
	_, csv := flags["csv"]
	_, js := flags["json"]
	switch {
	case csv:
		ctype = "text/plain"
		stats.WriteCSV(&buf, snap, opts)
	case js:
		ctype = "application/json"
		stats.WriteJSON(&buf, snap, opts)
	default:
		node, desc := "", ""
		if page.ShowNode {
			node = page.Node
			if node == "" {
				node = g.Node
			}
		}
		if page.ShowDesc {
			desc = page.Desc
			if desc == "" {
				desc = g.Description
			}
		}
		stats.WritePage(&buf, snap, h.e.Info(Version, ReleaseDate), stats.Page{URI: page.URI, Version: Version,
			ReleaseDate: ReleaseDate, HideVersion: page.HideVersion, Node: node, Desc: desc,
			ShowLegends: page.ShowLegends, Refresh: int(page.Refresh / time.Second), NoRefresh: noRefresh,
			Up: up, Scope: flags["scope"], Admin: admin, Status: flags["st"], ProxyDescs: g.ProxyDescs}, opts)
	}
	var extra []string
	if page.Refresh > 0 && !noRefresh {
		extra = append(extra, "refresh: "+strconv.Itoa(int(page.Refresh/time.Second)))
	}
	h.writeStatsResponse(200, "OK", ctype, extra, buf.Bytes())
	return true, h.keepAfterAnswer()
}

// authorized checks the request's Basic credentials against the users.
func (p *StatsPage) authorized(h *httpConn) bool {
	v, ok := h.req.Headers.Get("Authorization")
	if !ok {
		return false
	}
	scheme, cred, _ := strings.Cut(string(v), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	for _, u := range p.Users {
		if u.Name == user && u.Password == pass {
			return true
		}
	}
	return false
}

const unauthorizedBody = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"

// statsUnauthorized answers 401 with a Basic challenge for realm.
func (h *httpConn) statsUnauthorized(realm string) bool {
	h.writeStatsResponse(401, "Unauthorized", "text/html",
		[]string{fmt.Sprintf("www-authenticate: Basic realm=\"%s\"", realm)}, []byte(unauthorizedBody))
	return h.keepAfterAnswer()
}

// writeStatsResponse sends a complete response the proxy makes itself
// and logs the request.
func (h *httpConn) writeStatsResponse(status int, reason, ctype string, extra []string, body []byte) {
	out := fmt.Appendf(h.out[:0], "HTTP/1.1 %d %s\r\ncache-control: no-cache\r\ncontent-type: %s\r\ncontent-length: %d\r\n",
		status, reason, ctype, len(body))
	for _, x := range extra {
		out = append(out, x...)
		out = append(out, "\r\n"...)
	}
	if !h.req.KeepAlive() {
		out = append(out, "connection: close\r\n"...)
	}
	out = append(out, "\r\n"...)
	h.cli.Write(out)
	h.cli.Write(body)
	h.out = out[:0]
	n := int64(len(out) + len(body))
	h.r.BytesOut += n
	h.hrec.Status = status
	h.r.Term = [2]byte{'L', stateRequest}
	// The reference logs an applet's queue, connect and response
	// times as 0.
	h.r.TQueue, h.r.TConnect, h.hrec.TResp = 0, 0, 0
	for _, c := range []*Counters{h.fe.counters, h.beCounters()} {
		if c != nil {
			c.BytesIn.Add(h.r.BytesIn)
			c.BytesOut.Add(n)
		}
	}
	h.finishTimers()
	h.log()
}

func (h *httpConn) beCounters() *Counters {
	if h.be == nil {
		return nil
	}
	return h.be.counters
}

// readSmallBody reads a request body of at most limit bytes (a form).
func (h *httpConn) readSmallBody(limit int) ([]byte, bool) {
	if h.req.Framing == 0 {
		return nil, true
	}
	if h.req.ContentLength < 0 || h.req.ContentLength > int64(limit) || h.req.ContentLength > int64(len(h.in.b)) {
		h.replyCodec(413)
		return nil, false
	}
	n := int(h.req.ContentLength)
	h.cli.SetReadDeadline(time.Now().Add(h.fe.cfg.TimeoutClient))
	defer h.cli.SetReadDeadline(time.Time{})
	for len(h.in.data()) < n {
		if _, err := h.in.fill(h.cli); err != nil {
			h.r.Term = [2]byte{termClientAbort, stateRequest}
			h.log()
			return nil, false
		}
	}
	body := append([]byte(nil), h.in.data()[:n]...)
	h.in.consume(n)
	h.r.BytesIn += int64(n)
	return body, true
}

// statsAdmin applies the page's admin form (s=server...&action=A&b=#iid)
// and returns the status code of the redirect (DONE, NONE, PART, ERRP).
func (h *httpConn) statsAdmin(form string) string {
	v, err := url.ParseQuery(form)
	if err != nil {
		return "ERRP"
	}
	action, b := v.Get("action"), strings.TrimPrefix(v.Get("b"), "#")
	iid, err := strconv.Atoi(b)
	if err != nil || action == "" {
		return "ERRP"
	}
	backend := ""
	for name, id := range h.rt.proxyIDs() {
		if id == iid && h.rt.backends[name] != nil {
			backend = name
		}
	}
	if backend == "" {
		return "ERRP"
	}
	servers := v["s"]
	if len(servers) == 0 {
		return "NONE"
	}
	done := 0
	// The reference reads the form from its end: the last server
	// checked is acted on first.
	for i := len(servers) - 1; i >= 0; i-- {
		if err := h.e.statsAction(backend, servers[i], action); err == nil {
			done++
		} else if err == errUnknownAction {
			return "ERRP"
		}
	}
	switch done {
	case len(servers):
		return "DONE"
	case 0:
		return "NONE"
	}
	return "PART"
}

// servePrometheus answers the exporter's metrics (the
// prometheus-exporter service).
func (h *httpConn) servePrometheus() bool {
	h.fe.counters.Intercepted.Add(1)
	h.r.Server = "<PROMEX>"
	opts, err := stats.ParsePromQuery(string(h.req.Query()))
	if err != nil {
		h.replyCodec(400)
		return false
	}
	var buf bytes.Buffer
	stats.WritePrometheus(&buf, h.e.Snapshot(), h.e.Info(Version, ReleaseDate), opts)
	h.writeStatsResponse(200, "OK", "text/plain; version=0.0.4", nil, buf.Bytes())
	return h.keepAfterAnswer()
}

// replyCodec answers one of the codec's error pages (400, 413), logs the
// request, and the connection then closes.
func (h *httpConn) replyCodec(status int) {
	page := http1.ErrorResponse(status)
	h.cli.Write(page)
	h.r.BytesOut += int64(len(page))
	h.hrec.Status = status
	h.r.Term = [2]byte{termProxy, stateRequest}
	h.finishTimers()
	h.log()
}
