package proxy

import (
	"strconv"
	"sync"
)

// rateLimits are the process's connection and session rate limits
// (global maxconnrate and maxsessrate, `set rate-limit connections|
// sessions global`). Every connection is a session in this engine, so the
// listeners hold new connections in their backlog at the lower of the
// two (sessRate); show info reports each as set.
type rateLimits struct {
	mu         sync.Mutex
	conn, sess int
}

// rateLimitsOf reads the first global maxconnrate and maxsessrate lines
// (the reference ignores the later ones).
func (a *adapter) rateLimitsOf() (conn, sess int) {
	sec := a.hc.Global.Section
	if sec == nil {
		return 0, 0
	}
	seen := map[string]bool{}
	for _, d := range sec.Lines {
		if (d.Keyword == "maxconnrate" || d.Keyword == "maxsessrate") && len(d.Args) > 0 && !seen[d.Keyword] {
			seen[d.Keyword] = true
			n, _ := strconv.Atoi(d.Args[0])
			if d.Keyword == "maxconnrate" {
				conn = n
			} else {
				sess = n
			}
		}
	}
	return conn, sess
}

// actedGlobals are global keywords the adapter maps besides those
// ActsOnGlobal names itself.
var actedGlobals = map[string]bool{"maxconnrate": true, "maxsessrate": true, "set-var": true, "set-var-fmt": true}

// setRateLimits changes one or both limits (nil leaves one as it is) and
// applies the lower to the listeners.
func (e *Engine) setRateLimits(conn, sess *int) {
	e.rates.mu.Lock()
	defer e.rates.mu.Unlock()
	if conn != nil {
		e.rates.conn = *conn
	}
	if sess != nil {
		e.rates.sess = *sess
	}
	limit := e.rates.conn
	if limit == 0 || e.rates.sess > 0 && e.rates.sess < limit {
		limit = e.rates.sess
	}
	e.sessRate.mu.Lock()
	e.sessRate.limit = limit
	e.sessRate.mu.Unlock()
}

// SetConnRateLimit sets the process-wide limit of new connections per
// second (0 = none).
func (e *Engine) SetConnRateLimit(n int) error {
	e.setRateLimits(&n, nil)
	return nil
}

// RateLimits returns the connection and session rate limits (show info's
// ConnRateLimit and SessRateLimit).
func (e *Engine) RateLimits() (conn, sess int) {
	e.rates.mu.Lock()
	defer e.rates.mu.Unlock()
	return e.rates.conn, e.rates.sess
}
