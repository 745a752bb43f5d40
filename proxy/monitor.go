package proxy

import "fulcrum/haproxy"

// Monitor is a frontend's `monitor-uri` and its `monitor fail`
// conditions: a request for exactly that URI is answered by the proxy
// itself (200 "Service ready.", or 503 when a fail condition holds),
// before any http-request rule, and is not logged.
type Monitor struct {
	URI  string
	Fail []Cond
}

func init() {
	actedKeywords["monitor-uri"] = true
	actedKeywords["monitor"] = true
}

// monitorOf reads the monitor-uri (the last one written) and the
// `monitor fail if|unless COND` lines of a frontend (the model refused
// any other `monitor` line).
func (a *adapter) monitorOf(lines []haproxy.Directive, acls map[string][]acl) *Monitor {
	var m Monitor
	for _, d := range lines {
		switch {
		case d.Keyword == "monitor-uri" && len(d.Args) > 0:
			m.URI = d.Args[0]
		case d.Keyword == "monitor" && len(d.Args) > 1 && d.Args[0] == "fail":
			if c, ok := a.cond(acls, d.Pos, d.Args[1:]); ok && c != nil {
				m.Fail = append(m.Fail, c)
			}
		}
	}
	if m.URI == "" {
		return nil
	}
	return &m
}

// monitorAnswer answers a monitor request; false when the request is not
// one. The answer keeps the connection as any built-in answer would.
func (h *httpConn) monitorAnswer() (handled, keep bool) {
	m := h.fe.cfg.HTTP.Monitor
	if m == nil || string(h.req.URI) != m.URI {
		return false, false
	}
	status := 200
	for _, c := range m.Fail {
		if c(h.sess) == True {
			status = 503
			break
		}
	}
	keep = h.keepAfterAnswer()
	h.writeReply(builtinPages[status], keep)
	return true, keep
}
