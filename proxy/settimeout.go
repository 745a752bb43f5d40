package proxy

import (
	"strconv"
	"strings"
	"time"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// timeoutOverride holds what http-request set-timeout rules set for the
// current request (0: the backend's own).
type timeoutOverride struct {
	server, tunnel time.Duration
}

// setTimeoutAction maps `http-request set-timeout server|tunnel VALUE`,
// VALUE being a time or a sample expression giving milliseconds (the
// model checked the words). isTimeout is false when words are another
// action.
func (a *adapter) setTimeoutAction(pos confparse.Pos, kw string, words []string) (do func(*Session), isTimeout bool) {
	if first(words) != "set-timeout" || kw != "http-request" || len(words) < 3 {
		return nil, false
	}
	tunnel := words[1] == "tunnel"
	set := func(s *Session, d time.Duration) {
		if s.http == nil || d <= 0 {
			return
		}
		if tunnel {
			s.http.tmo.tunnel = d
		} else {
			s.http.tmo.server = d
		}
	}
	if d, ok := parseTime(words[2]); ok {
		return func(s *Session) { set(s, d) }, true
	}
	x, err := sample.ParseExpr(words[2], a.sampleOptions(pos))
	if err != nil {
		a.warn(pos, "'%s set-timeout' is not acted on yet by Fulcrum (%v); the rule is ignored.", kw, notBuilt(err))
		return nil, true
	}
	return func(s *Session) {
		v, ok := x.String(s)
		if !ok {
			return
		}
		if ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			set(s, time.Duration(ms)*time.Millisecond)
		}
	}, true
}

// serverTimeout is the request's server timeout: set-timeout's, else the
// backend's.
func (h *httpConn) serverTimeout(be *backend) time.Duration {
	if h.tmo.server > 0 {
		return h.tmo.server
	}
	return be.cfg.TimeoutServer
}

// tunnelTimeouts are the timeouts of a tunnel after an upgrade, with the
// request's set-timeout overrides.
func (h *httpConn) tunnelTimeouts(be *backend) tunnelTimeouts {
	t := timeouts(h.fe.cfg, be.cfg)
	switch {
	case h.tmo.tunnel > 0:
		t.client, t.server = h.tmo.tunnel, h.tmo.tunnel
	case h.tmo.server > 0 && be.cfg.TimeoutTunnel <= 0:
		t.server = h.tmo.server
	}
	return t
}
