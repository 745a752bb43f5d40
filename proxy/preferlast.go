package proxy

import (
	"bytes"
	"cmp"
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
// first server, in the order its connections became the session's, that
// it still holds an open connection to, provided the server is usable
// and, when max-keep-alive-queue is set, has room or a short enough
// queue; the balancing algorithm (and its lbtot count) is skipped. The
// hashing algorithms are left alone. With the other http-reuse modes
// server connections go to the server's shared idle pool, never to the
// session, so the option changes nothing there, as in HAProxy 2.6;
// except for a connection a server asked NTLM or Negotiate
// authentication on: it becomes the client's own, and the client is
// pinned to its own connections, option or not.

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
	// taken is the seq of the connection in use when it was taken from
	// idle (0: it has none yet, and gets the next when first parked: a
	// session lists its connections in the order they became its own).
	taken, last uint64
	cands       []*server // scratch of lastServers
	// authPinned: a server asked this client for connection-based
	// authentication (noteConnAuth); pinned is the (last) connection it
	// did so on, made private to this client though its backend shares
	// connections.
	authPinned bool
	pinned     net.Conn
}

// opened notes that the connection in use is a new one.
func (p *privConns) opened() { p.taken = 0 }

// park keeps c, the connection in use to s, for later requests unless
// limit idle ones are kept already: it is closed then.
func (p *privConns) park(s *server, c net.Conn, limit int) {
	seq := p.taken
	p.taken = 0
	if len(p.idle) >= limit {
		c.Close()
		return
	}
	if seq == 0 {
		p.last++
		seq = p.last
	}
	i, _ := slices.BinarySearchFunc(p.idle, seq, func(x privConn, seq uint64) int {
		return cmp.Compare(x.seq, seq)
	})
	p.idle = slices.Insert(p.idle, i, privConn{srv: s, c: c, seq: seq})
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
		p.taken = x.seq
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
	p.idle, p.pinned = p.idle[:0], nil
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

// keptPrivate tells whether the kept server connection is private to
// this client: its backend shares none (http-reuse never), or its server
// asked for connection-based authentication on it.
func (h *httpConn) keptPrivate() bool {
	return h.srvConn != nil && (h.srv.be.cfg.HTTP.Reuse == ReuseNever || h.srvConn == h.priv.pinned)
}

// privateNow parks the connection kept from the previous request when
// it is private, so that it is looked at (and taken back) like the
// others.
func (h *httpConn) privateNow() {
	if h.keptPrivate() {
		h.parkServer()
	}
}

// takePrivate returns this client's own idle connection to s, now in
// use, or nil: HAProxy looks at the session's connections first.
func (h *httpConn) takePrivate(s *server) net.Conn {
	h.privateNow()
	h.priv.taken = 0
	c := h.priv.take(s)
	if c == nil {
		return nil
	}
	h.parkServer() // a shared one kept from the previous request
	if s.be.cfg.HTTP.Reuse != ReuseNever {
		h.priv.pinned = c // private for its authentication: it stays so
	}
	return c
}

// lastChoice are the candidates of prefer-last-server, in order;
// anyQueue waives max-keep-alive-queue.
type lastChoice struct {
	srvs     []*server
	anyQueue bool
}

// preferLast lists the servers prefer-last-server may send sess's request
// to (none when the option is off or does not apply); avoid is the
// server of a failed attempt (the request is being redispatched:
// balancing decides). A server that asked for connection-based
// authentication turns the preference on for the client connection,
// option or not and whatever the queue, as in HAProxy.
func (b *backend) preferLast(sess *Session, avoid *server) lastChoice {
	if avoid != nil || sess.http == nil || hashes(b.cfg.Balance.Algo) {
		return lastChoice{}
	}
	h := sess.http
	if !b.cfg.PreferLast.On && !h.priv.authPinned {
		return lastChoice{}
	}
	h.privateNow()
	return lastChoice{srvs: h.priv.lastServers(b), anyQueue: h.priv.authPinned}
}

// lastServerLocked picks among the candidates the first server that is
// usable and, with max-keep-alive-queue, has room or a queue shorter than
// it; nil when none qualifies.
func (b *backend) lastServerLocked(c lastChoice) *server {
	bound := b.cfg.PreferLast.MaxQueue
	for _, s := range c.srvs {
		if !s.lb.Usable() {
			continue
		}
		if c.anyQueue || bound < 0 || s.cfg.MaxConn == 0 || s.lb.Served() < b.lb.DynMaxConn(s.lb) || len(s.queue) < bound {
			return s
		}
	}
	return nil
}

// noteConnAuth makes conn private to this client and pins the client to
// its private server connections, as the reference does, when the
// server answers 401 with a WWW-Authenticate (or 407 with a
// Proxy-Authenticate) asking for NTLM or Negotiate: such
// authentications hold for one connection only.
func (h *httpConn) noteConnAuth(conn net.Conn) {
	name := ""
	switch h.resp.Status {
	case 401:
		name = "WWW-Authenticate"
	case 407:
		name = "Proxy-Authenticate"
	default:
		return
	}
	hs := h.resp.Headers
	for i := hs.Index(name, 0); i >= 0; i = hs.Index(name, i+1) {
		if v := hs[i].Value; len(v) >= 4 && (bytes.EqualFold(v[:4], []byte("NTLM")) || bytes.EqualFold(v[:4], []byte("Nego"))) {
			h.priv.authPinned, h.priv.pinned = true, conn
			return
		}
	}
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
