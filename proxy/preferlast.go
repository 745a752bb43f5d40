package proxy

import (
	"context"
	"net"
	"slices"

	"fulcrum/proxy/balance"
)

// Server connections private to one client connection, and `option
// prefer-last-server`.
//
// With `http-reuse never` a server connection belongs to the client
// connection that opened it: HAProxy keeps it in the session between
// requests (up to max-session-srv-conns idle ones, 5 by default; one more
// is closed when its response ends) and gives it back to a later request
// of the same client that goes to the same server. Those are the only
// connections prefer-last-server looks at: with it, a request goes to the
// first server, in the order the session first connected to them, that
// it still holds an open connection to, provided the server is usable
// and, when max-keep-alive-queue is set, has room or a short enough
// queue; the balancing algorithm (and its lbtot count) is skipped. The
// hashing algorithms are left alone. With the other http-reuse modes
// server connections go to the server's shared idle pool, never to the
// session, so the option changes nothing there, as in HAProxy 2.6.

// PreferLast is `option prefer-last-server` with its bound,
// `max-keep-alive-queue`.
type PreferLast struct {
	On bool
	// MaxQueue is max-keep-alive-queue: the longest server queue a
	// request still joins to stay on its last server once that server
	// is full; negative (the default, -1) for no bound.
	MaxQueue int
}

// defaultSessionSrvConns is HAProxy's max-session-srv-conns default.
const defaultSessionSrvConns = 5

// privConn is a private server connection and its place in the order
// the client connection opened them.
type privConn struct {
	srv *server
	c   net.Conn
	seq uint64
}

// privConns are the idle private server connections of one client
// connection, in seq order.
type privConns struct {
	idle []privConn
	// cur is the seq of the connection in use (h.srvConn once kept);
	// next the seq of the next one opened.
	cur, next uint64
	cands     []*server // scratch of lastServers
}

// opened gives a newly opened connection, the one in use now, its place.
func (p *privConns) opened() {
	p.cur = p.next
	p.next++
}

// park keeps c, the connection in use to s, for later requests unless
// limit idle ones are kept already: it is closed then.
func (p *privConns) park(s *server, c net.Conn, limit int) {
	if len(p.idle) >= limit {
		c.Close()
		return
	}
	i, _ := slices.BinarySearchFunc(p.idle, p.cur, func(x privConn, seq uint64) int {
		return compareSeq(x.seq, seq)
	})
	p.idle = slices.Insert(p.idle, i, privConn{srv: s, c: c, seq: p.cur})
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// take returns the idle connection to s, now in use, or nil; one the
// server closed meanwhile is dropped.
func (p *privConns) take(s *server) net.Conn {
	for i, x := range p.idle {
		if x.srv != s {
			continue
		}
		p.idle = slices.Delete(p.idle, i, i+1)
		if !alive(x.c) {
			x.c.Close()
			return nil
		}
		p.cur = x.seq
		return x.c
	}
	return nil
}

// closeAll closes every idle private connection (the client connection
// ends).
func (p *privConns) closeAll() {
	for _, x := range p.idle {
		x.c.Close()
	}
	clear(p.idle)
	p.idle = p.idle[:0]
}

// lastServers lists, in order, the servers of b the client connection
// still holds an idle private connection to, dropping the connections
// their server closed meanwhile. The list is reused by the next call.
func (p *privConns) lastServers(b *backend) []*server {
	p.cands = p.cands[:0]
	p.idle = slices.DeleteFunc(p.idle, func(x privConn) bool {
		if alive(x.c) {
			return false
		}
		x.c.Close()
		return true
	})
	for _, x := range p.idle {
		if x.srv.be == b {
			p.cands = append(p.cands, x.srv)
		}
	}
	return p.cands
}

// privateNow parks the connection kept from the previous request when
// it is private, so that it is looked at (and taken back) like the
// others.
func (h *httpConn) privateNow() {
	if h.srvConn != nil && h.srv.be.cfg.HTTP.Reuse == ReuseNever {
		h.parkServer()
	}
}

// dialPrivate is dialServer for a server whose backend keeps its
// connections private (http-reuse never): the client connection's own
// idle connection to s, else a new one.
func (h *httpConn) dialPrivate(ctx context.Context, s *server) (net.Conn, error) {
	h.parkServer()
	if c := h.priv.take(s); c != nil {
		h.reused = true
		return c, nil
	}
	h.reused = false
	return h.dialNew(ctx, s)
}

// preferLast returns the server option prefer-last-server sends sess's
// request to, nil when there is none (or the option does not apply);
// avoid is the server of a failed attempt (the request is being
// redispatched: balancing decides).
func (b *backend) preferLast(sess *Session, avoid *server) []*server {
	if !b.cfg.PreferLast.On || avoid != nil || sess.http == nil || hashes(b.cfg.Balance.Algo) {
		return nil
	}
	h := sess.http
	h.privateNow()
	return h.priv.lastServers(b)
}

// lastServerLocked picks among cands (preferLast's list) the first server
// that is usable and, with max-keep-alive-queue, has room or a queue
// shorter than it; nil when none qualifies.
func (b *backend) lastServerLocked(cands []*server) *server {
	max := b.cfg.PreferLast.MaxQueue
	for _, s := range cands {
		if !s.lb.Usable() {
			continue
		}
		if max < 0 || s.cfg.MaxConn == 0 || s.lb.Served() < b.lb.DynMaxConn(s.lb) || len(s.queue) < max {
			return s
		}
	}
	return nil
}

// hashes tells the algorithms that map a request to its server by a
// hash: prefer-last-server leaves them alone.
func hashes(a balance.Algo) bool {
	switch a {
	case balance.Source, balance.URI, balance.URLParam, balance.Hdr, balance.RDPCookie, balance.Sample:
		return true
	}
	return false
}
