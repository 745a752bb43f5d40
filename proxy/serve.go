package proxy

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

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
	flow    *flow     // the flow moving the connections' bytes, if any
	fe      string    // frontend name, for `show sess`
	start   time.Time // accept time, for `show sess`
	// cont counts the stream's bytes along the way (contstats.go).
	cont *contStats
	// li is the accepting listener's counters (socketstats.go).
	li *Counters
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

// setFlow records the flow moving the connections' bytes (nil when it
// is over); false when the connection was aborted already.
func (c *liveConn) setFlow(f *flow) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flow = f
	return !c.aborted
}

func (c *liveConn) abort() {
	c.mu.Lock()
	c.aborted = true
	srv, f := c.srv, c.flow
	c.mu.Unlock()
	if f != nil {
		// The loop must let go of the descriptors before they close.
		f.loop.end(f, [2]byte{'K', stateData})
	}
	if srv != nil {
		srv.Close()
	}
	// Close waits for the read calls in progress to return, and an http
	// exchange may be running inside one (serveInline) until the server
	// side fails. Shutting the socket down ends the client side at once,
	// and the close completes when the session lets go.
	switch c.cli.(type) {
	case *net.TCPConn, *sockConn:
		if rc, ok := rawConnOf(c.cli); ok {
			rc.Control(func(fd uintptr) { unix.Shutdown(int(fd), unix.SHUT_RDWR) })
		}
		go c.cli.Close()
		return
	}
	c.cli.Close()
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	return netip.AddrPort{}
}

// connState is what serve keeps of a connection: its place among the
// live ones, its log record and its session.
type connState struct {
	lc   liveConn
	rec  Record
	sess Session
}

// serve runs one client connection to its end.
func (e *Engine) serve(rt *runtime, fe *frontend, bind *Bind, cli net.Conn) {
	// A connection's three records live as long as it does: one
	// allocation, and one clock reading for its start.
	st := &connState{}
	now := time.Now()
	lc, rec := &st.lc, &st.rec
	*lc = liveConn{cli: cli, fe: fe.cfg.Name, start: now, li: bind.counters}
	e.liveMu.Lock()
	e.live[lc] = struct{}{}
	e.liveMu.Unlock()
	e.active.Add(1)
	fe.counters.openAt(now)
	lc.countListener(func(c *Counters) { openListener(fe, c) })
	*rec = Record{Client: remoteAddrPort(cli), Accept: now, Frontend: fe.cfg.Name,
		TQueue: -1, TConnect: -1, Term: [2]byte{termNone, stateNone}, Log: fe.cfg.Log, Listener: localAddrPort(cli)}
	var sess *Session
	defer func() {
		if sess != nil { // address actions may have changed them
			rec.Client = sess.Src
			if sess.dstSet {
				rec.Listener = sess.Dst
			}
		}
		rec.TTotal = time.Since(rec.Accept)
		rec.ActConn, rec.FeConn = e.active.Load(), fe.counters.Cur.Load()
		e.accountTCP(rt, rec)
		if e.opts.AccessLog != nil && rec.HTTP == nil && !rec.loggedEarly { // http mode logs per request
			e.opts.AccessLog(rec)
		}
		fe.counters.close()
		lc.countListener((*Counters).close)
		e.active.Add(-1)
		e.liveMu.Lock()
		delete(e.live, lc)
		e.liveMu.Unlock()
		cli.Close()
	}()

	sess = &st.sess
	*sess = Session{Frontend: fe.cfg.Name, Src: rec.Client, Dst: rec.Listener, Engine: e, client: cli}
	rec.sess = sess
	var buf []byte
	ok := true
	if bind.AcceptProxy {
		var err error
		if buf, err = readProxyHeader(cli, sess, fe.cfg.TimeoutClient); err != nil {
			rec.Term = [2]byte{termClientAbort, stateRequest}
			return
		}
		rec.Client = sess.Src
	}
	defer func() { sess.stickClose(rec.BytesIn, rec.BytesOut) }()
	// Connection rules run before a TLS handshake, session rules after.
	connOK := runRules(fe.cfg.ConnectionRules, sess)
	if connOK {
		if cli, buf, ok = startTLS(fe, *bind, cli, buf, sess, rec); !ok {
			return
		}
		sess.client = cli
	}
	if !connOK || !runRules(fe.cfg.SessionRules, sess) {
		fe.counters.Denied.Add(1)
		fe.counters.DeniedConns.Add(1)
		lc.countListener(func(c *Counters) { c.Denied.Add(1); c.DeniedConns.Add(1) })
		rec.Term = [2]byte{termProxy, stateRequest}
		rec.connError = rejectedConn(fe, *bind, connOK)
		return
	}
	sess.stickSession()
	if fe.cfg.Mode == ModeHTTP {
		e.serveHTTP(rt, fe, lc, sess, cli, buf, rec)
		return
	}
	e.logAccept(rec) // the stream starts (per request in http mode)
	if buf, ok = inspect(cli, fe.cfg.InspectDelay, fe.cfg.ContentRules, fe.cfg.UseBackend, sess, buf); !ok {
		if !sess.silenced {
			endRejected(cli)
		}
		fe.counters.Denied.Add(1)
		lc.countListener(func(c *Counters) { c.Denied.Add(1) })
		rec.Term = [2]byte{termProxy, stateRequest}
		// What was read to decide counts, as in the reference.
		rec.BytesIn = int64(len(buf))
		addBytes([]*Counters{fe.counters, lc.li}, rec.BytesIn, 0, nil)
		return
	}
	be := rt.backends[pickBackend(fe.cfg, sess)]
	if be == nil {
		return
	}
	rec.Backend = be.cfg.Name
	if buf, ok = inspectBackend(cli, be.cfg, sess, buf); !ok {
		be.counters.Denied.Add(1)
		rec.Term = [2]byte{termProxy, stateRequest}
		return
	}
	be.counters.open()
	srvConn, srv := e.serveBackend(be, lc, sess, cli, buf, fe, rec)
	be.counters.close()
	rec.BeConn = be.counters.Cur.Load()
	if srv != nil {
		rec.SrvConn = srv.state.counters.Cur.Load()
	}
	if srvConn != nil {
		srvConn.Close()
	}
}

// serveBackend connects to a server of be and runs the tunnel; the
// server's slot is released before it returns.
func (e *Engine) serveBackend(be *backend, lc *liveConn, sess *Session, cli net.Conn, buf []byte, fe *frontend, rec *Record) (net.Conn, *server) {
	// The client's timeout keeps running while it waits for a server.
	ctx := &waitContext{parent: e.ctx}
	if d := fe.cfg.TimeoutClient; d > 0 {
		ctx.deadline = time.Now().Add(d)
	}
	defer ctx.release()
	srvConn, srv, err := be.connectWith(ctx, sess, rec, be.dialStream)
	if err != nil {
		rec.Term = connectTerm(err)
		return nil, nil
	}
	defer be.release(srv)
	if !lc.setServer(srvConn) {
		rec.Term = [2]byte{'K', stateData}
		return srvConn, srv
	}
	be.attach(srv, lc)
	defer be.detach(srv, lc)
	e.logConnected(rec, fe, be, srv)
	srvConn = be.cfg.Server.connected(sess, srvConn)
	if len(buf) > 0 {
		if _, err := srvConn.Write(buf); err != nil {
			rec.Term = [2]byte{termServerAbort, stateData}
			return srvConn, srv
		}
	}
	counters := []*Counters{fe.counters, be.counters, &srv.state.counters, lc.li}
	var res []byte
	sentBefore := int64(len(buf)) // the request bytes sent before the tunnel
	if be.cfg.inspectsResponse() {
		var done bool
		if res, sentBefore, done = be.answerBeforeTunnel(cli, srvConn, srv, sess, rec, sentBefore, counters); done {
			return srvConn, srv
		}
	}
	lc.cont = newContStats(fe.cfg, counters...)
	lc.cont.startTunnel(sentBefore, int64(len(res)))
	in, out, term := tunnel(cli, srvConn, timeouts(fe.cfg, be.cfg), lc)
	in += sentBefore
	out += int64(len(res))
	rec.BytesIn, rec.BytesOut, rec.Term = in, out, term
	addBytes(counters, in, out, lc.cont)
	return srvConn, srv
}

// connectTerm is the termination state of a failed server connection.
func connectTerm(err error) [2]byte {
	switch {
	case errors.Is(err, errClientTOQueue):
		return [2]byte{termClientTimeout, stateQueue}
	case errors.Is(err, errClientTOConnect):
		return [2]byte{termClientTimeout, stateConnect}
	case errors.Is(err, errClientAbortQueue):
		return [2]byte{termClientAbort, stateQueue}
	case errors.Is(err, errClientAbortConnect):
		return [2]byte{termClientAbort, stateConnect}
	case errors.Is(err, errQueueTO):
		return [2]byte{termServerTimeout, stateQueue}
	case errors.Is(err, errQueueFull):
		return [2]byte{termServerAbort, stateQueue}
	case isTimeout(err):
		return [2]byte{termServerTimeout, stateConnect}
	}
	return [2]byte{termServerAbort, stateConnect}
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
			sess.proxyHeader = &h
			return append([]byte(nil), buf[n:]...), nil
		}
		if !errors.Is(err, proxyproto.ErrNeedMore) {
			return nil, err
		}
		if len(buf) == cap(buf) {
			// A v2 header with TLVs may be longer than the first guess.
			if cap(buf) >= proxyproto.MaxV2 {
				return nil, errors.New("PROXY header too long")
			}
			buf = append(make([]byte, 0, min(2*cap(buf), proxyproto.MaxV2)), buf...)
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
	switch finalAction(rules, sess) {
	case Reject:
		return false
	case SilentDrop:
		if sess.client != nil {
			silenceClient(sess.client)
			sess.silenced = true
		}
		return false
	}
	return true
}

// finalAction runs tcp rules in order, the acting ones as they apply,
// until a final one applies (accept, reject, silent-drop, close), and
// returns its action: Accept when none does.
func finalAction(rules []Rule, sess *Session) Action {
	for _, r := range rules {
		if r.Cond != nil && r.Cond(sess) != True {
			continue
		}
		switch r.Action {
		case Accept, Reject, SilentDrop, CloseServer:
			return r.Action
		}
		if r.Do != nil {
			r.Do(sess)
		}
	}
	return Accept
}

// inspect waits (up to the inspect delay) for the request bytes that the
// content rules and use_backend conditions need, then runs the content
// rules. It returns the bytes read, to be forwarded first.
func inspect(c net.Conn, delay time.Duration, rules []Rule, useBackend []UseBackend, sess *Session, buf []byte) ([]byte, bool) {
	if delay <= 0 {
		sess.Payload, sess.Complete = buf, true
		return buf, runRules(rules, sess)
	}
	deadline := time.Now().Add(delay)
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	if cap(buf) < maxInspect {
		nb := make([]byte, len(buf), maxInspect)
		copy(nb, buf)
		buf = nb
	}
	for {
		sess.Payload = buf
		if decided(rules, useBackend, sess) || sess.Complete {
			sess.Complete = true
			return buf, runRules(rules, sess)
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || len(buf) == cap(buf) {
			sess.Complete = true
		}
	}
}

// inspectBackend runs the backend's content rules, first waiting up to
// its own inspect delay for the request bytes they need, as the
// reference's backend inspection does whatever the frontend's read.
func inspectBackend(c net.Conn, bc *Backend, sess *Session, buf []byte) ([]byte, bool) {
	if bc.InspectDelay <= 0 {
		return buf, runRules(bc.ContentRules, sess)
	}
	sess.Complete = false
	return inspect(c, bc.InspectDelay, bc.ContentRules, nil, sess, buf)
}

// decided reports whether every content rule and use_backend condition
// can be evaluated on the payload so far.
func decided(rules []Rule, useBackend []UseBackend, sess *Session) bool {
	for _, r := range rules {
		if r.Cond != nil && r.Cond(sess) == Unknown {
			return false
		}
	}
	for _, u := range useBackend {
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
			if u.Name != nil {
				return u.Name(sess)
			}
			return u.Backend
		}
	}
	return fc.DefaultBackend
}
