package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"fulcrum/proxy/proxyproto"
)

// maxInspect bounds the request bytes buffered for content inspection.
const maxInspect = 16384

// liveConn is a connection in flight, tracked for hard stops.
type liveConn struct {
	once    sync.Once
	cli     net.Conn
	mu      sync.Mutex
	srv     net.Conn
	aborted bool
}

func (c *liveConn) setServer(s net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return false
	}
	c.srv = s
	return true
}

func (c *liveConn) abort() {
	c.mu.Lock()
	c.aborted = true
	srv := c.srv
	c.mu.Unlock()
	c.cli.Close()
	if srv != nil {
		srv.Close()
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	return netip.AddrPort{}
}

// serve runs one client connection to its end.
func (e *Engine) serve(rt *runtime, fe *frontend, bind Bind, cli net.Conn) {
	lc := &liveConn{cli: cli}
	e.liveMu.Lock()
	e.live[lc] = struct{}{}
	e.liveMu.Unlock()
	defer func() {
		e.liveMu.Lock()
		delete(e.live, lc)
		e.liveMu.Unlock()
		cli.Close()
	}()
	fe.counters.open()
	defer fe.counters.close()

	sess := &Session{Frontend: fe.cfg.Name, Src: addrPort(cli.RemoteAddr()), Dst: addrPort(cli.LocalAddr()), Engine: e}
	var buf []byte
	if bind.AcceptProxy {
		var err error
		if buf, err = readProxyHeader(cli, sess, fe.cfg.TimeoutClient); err != nil {
			return
		}
	}
	if !runRules(fe.cfg.ConnectionRules, sess) {
		fe.counters.Denied.Add(1)
		return
	}
	var ok bool
	if buf, ok = inspect(cli, fe.cfg, sess, buf); !ok {
		fe.counters.Denied.Add(1)
		return
	}
	be := rt.backends[pickBackend(fe.cfg, sess)]
	if be == nil {
		return
	}
	be.counters.open()
	defer be.counters.close()

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	srvConn, srv, err := be.connect(ctx, sess)
	if err != nil {
		return
	}
	defer be.release(srv)
	defer srvConn.Close()
	if !lc.setServer(srvConn) {
		return
	}
	be.attach(srv, lc)
	defer be.detach(srv, lc)
	if len(buf) > 0 {
		if _, err := srvConn.Write(buf); err != nil {
			return
		}
	}
	in, out := tunnel(cli, srvConn, timeouts(fe.cfg, be.cfg))
	in += int64(len(buf))
	for _, c := range []*Counters{fe.counters, be.counters, &srv.state.counters} {
		c.BytesIn.Add(in)
		c.BytesOut.Add(out)
	}
}

// readProxyHeader reads a PROXY header from the client and applies its
// addresses; it returns the bytes read past the header.
func readProxyHeader(c net.Conn, sess *Session, timeout time.Duration) ([]byte, error) {
	if timeout > 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
		defer c.SetReadDeadline(time.Time{})
	}
	buf := make([]byte, 0, 256)
	for {
		h, n, err := proxyproto.Parse(buf)
		if err == nil {
			if !h.Local {
				sess.Src, sess.Dst = h.Src, h.Dst
			}
			return append([]byte(nil), buf[n:]...), nil
		}
		if !errors.Is(err, proxyproto.ErrNeedMore) {
			return nil, err
		}
		if len(buf) == cap(buf) {
			return nil, errors.New("PROXY header too long")
		}
		m, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil && m == 0 {
			return nil, err
		}
	}
}

// runRules evaluates tcp-request rules; false means reject.
func runRules(rules []Rule, sess *Session) bool {
	for _, r := range rules {
		if r.Cond != nil && r.Cond(sess) != True {
			continue
		}
		switch r.Action {
		case Accept:
			return true
		case Reject:
			return false
		default:
			if r.Do != nil {
				r.Do(sess)
			}
		}
	}
	return true
}

// inspect waits (up to the inspect delay) for the request bytes that the
// content rules and use_backend conditions need, then runs the content
// rules. It returns the bytes read, to be forwarded first.
func inspect(c net.Conn, fc *Frontend, sess *Session, buf []byte) ([]byte, bool) {
	if fc.InspectDelay <= 0 {
		sess.Payload, sess.Complete = buf, true
		return buf, runRules(fc.ContentRules, sess)
	}
	deadline := time.Now().Add(fc.InspectDelay)
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	if cap(buf) < maxInspect {
		nb := make([]byte, len(buf), maxInspect)
		copy(nb, buf)
		buf = nb
	}
	for {
		sess.Payload = buf
		if decided(fc, sess) || sess.Complete {
			sess.Complete = true
			return buf, runRules(fc.ContentRules, sess)
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || len(buf) == cap(buf) {
			sess.Complete = true
		}
	}
}

// decided reports whether every content rule and use_backend condition
// can be evaluated on the payload so far.
func decided(fc *Frontend, sess *Session) bool {
	for _, r := range fc.ContentRules {
		if r.Cond != nil && r.Cond(sess) == Unknown {
			return false
		}
	}
	for _, u := range fc.UseBackend {
		if u.Cond != nil && u.Cond(sess) == Unknown {
			return false
		}
	}
	return true
}

// pickBackend applies use_backend rules, then default_backend.
func pickBackend(fc *Frontend, sess *Session) string {
	for _, u := range fc.UseBackend {
		if u.Cond == nil || u.Cond(sess) == True {
			return u.Backend
		}
	}
	return fc.DefaultBackend
}
