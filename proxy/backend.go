package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
	"fulcrum/proxy/proxyproto"
)

// Counters are the live statistics of a frontend, backend or server. They
// survive reloads (kept by name).
type Counters struct {
	Cur, Max, Total       atomic.Int64 // sessions
	BytesIn, BytesOut     atomic.Int64 // client->server, server->client
	FailedConns           atomic.Int64 // connection attempts that failed
	Retries, Redispatches atomic.Int64
	Denied                atomic.Int64 // rejected by rules
	QueueTimeouts         atomic.Int64
	statCounters          // the statistics' own counters (statscount.go)
}

func (c *Counters) open() { c.openAt(time.Now()) }

// openAt is open for a caller that read the clock already.
func (c *Counters) openAt(now time.Time) {
	n := c.Cur.Add(1)
	c.Total.Add(1)
	c.tickSession(now)
	for {
		m := c.Max.Load()
		if n <= m || c.Max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *Counters) close() { c.Cur.Add(-1) }

// serverState is what survives a reload for one server.
type serverState struct {
	counters Counters
	up       atomic.Bool  // health
	health   atomic.Int64 // check counter
	admin    adminState   // set by the Runtime API (admin.go)
	srvStats              // health history for the statistics
	agent    agentState   // what the agent check said (agent.go)
	dns      dnsMemo      // what DNS last gave it (resolvers.go)
}

// backend is the runtime of one Backend.
type backend struct {
	cfg      *Backend
	engine   *Engine
	counters *Counters

	mu      sync.Mutex
	lb      *balance.Balancer
	servers []*server
	byName  map[string]*server
	byLB    map[*balance.Server]*server
	queue   []*waiter // backend queue: any server will do
	taken   uint64    // requests that left queue so far (for %bq)
	conns   int       // connections assigned to a server (beconn)
	seq     uint64    // queue order across server and backend queues
}

// server is the runtime of one Server.
type server struct {
	cfg   *Server
	be    *backend
	lb    *balance.Server
	state *serverState
	queue []*waiter
	taken uint64 // requests that left queue so far (for %sq), under backend.mu
	// warmGen identifies the current slow start; a newer state change
	// ends an older ramp.
	warmGen int
	// conns are the established connections on this server (guarded by
	// backend.mu), for on-marked-down/up shutdowns.
	conns map[*liveConn]struct{}
	// idle holds persistent connections for HTTP requests (http-reuse).
	idle idlePool
	// uweight is the user weight, changed by the Runtime API (admin.go).
	uweight int
}

// attach records an established connection on s; detach forgets it.
func (b *backend) attach(s *server, c *liveConn) {
	b.mu.Lock()
	if s.conns == nil {
		s.conns = map[*liveConn]struct{}{}
	}
	s.conns[c] = struct{}{}
	b.mu.Unlock()
}

func (b *backend) detach(s *server, c *liveConn) {
	b.mu.Lock()
	delete(s.conns, c)
	b.mu.Unlock()
}

// shutdownLocked closes every established connection of s.
func shutdownLocked(s *server) {
	for c := range s.conns {
		c.abort()
	}
}

func (s *server) id() string { return s.be.cfg.Name + "/" + s.cfg.Name }

// waiter is a connection waiting in a queue for a server slot.
type waiter struct {
	seq    uint64
	got    chan *server // receives the assigned server
	queued bool         // still in a queue (guarded by backend.mu)
	onSrv  *server      // the server queue it waits in, nil = backend queue
	// at is the queue's taken count when the request joined it; pos,
	// once it left, its %sq/%bq: one more than the requests taken from
	// the queue meanwhile, as the reference counts.
	at, pos uint64
	// class and key order the queue (priority.go).
	class int
	key   int64
}

// leaveLocked takes w out of its queue's count, taken (true) or given up.
func (b *backend) leaveLocked(w *waiter, taken bool) {
	n := &b.taken
	if w.onSrv != nil {
		n = &w.onSrv.taken
	}
	w.pos = *n - w.at + 1
	if taken {
		*n++
	}
}

var (
	// The client's inactivity timeout expired while it waited in a
	// queue or for the server connection.
	errClientTOQueue = errors.New("client timeout in queue")
	// With option abortonclose, the client closed while its request
	// waited in a queue or for its connection.
	errClientAbortQueue   = errors.New("client closed in queue")
	errClientAbortConnect = errors.New("client closed while connecting")
	errClientTOConnect    = errors.New("client timeout while connecting")
	errNoServer           = errors.New("no server available")
	errQueueFull          = errors.New("server queue full")
	errQueueTO            = errors.New("queue timeout")
)

func newBackend(e *Engine, cfg *Backend, states map[string]*serverState, counters *Counters) (*backend, error) {
	b := &backend{cfg: cfg, engine: e, counters: counters, byName: map[string]*server{}, byLB: map[*balance.Server]*server{}}
	var lbs []*balance.Server
	for _, sc := range cfg.Servers {
		if _, dup := b.byName[sc.Name]; dup {
			return nil, fmt.Errorf("backend '%s': duplicate server '%s'", cfg.Name, sc.Name)
		}
		st := states[cfg.Name+"/"+sc.Name]
		if st == nil {
			st = &serverState{}
			st.up.Store(true)
			st.health.Store(-1)
			st.admin.init(sc)
		}
		st.restoreResolved(sc)
		ls := &balance.Server{Name: sc.Name, ID: sc.ID, Weight: sc.Weight, Backup: sc.Backup,
			MaxConn: sc.MaxConn, MinConn: sc.MinConn, MaxQueue: sc.MaxQueue}
		s := &server{cfg: sc, be: b, lb: ls, state: st, uweight: st.admin.weightFor(sc)}
		b.servers = append(b.servers, s)
		b.byName[sc.Name] = s
		b.byLB[ls] = s
		lbs = append(lbs, ls)
	}
	lb, err := balance.New(cfg.Balance, lbs)
	if err != nil {
		return nil, fmt.Errorf("backend '%s': %v", cfg.Name, err)
	}
	b.lb = lb
	for _, s := range b.servers {
		b.applyAdminLocked(s)
		if !s.state.up.Load() {
			lb.SetUp(s.lb, false)
		}
	}
	return b, nil
}

func (b *backend) queueTimeout() time.Duration {
	if b.cfg.TimeoutQueue > 0 {
		return b.cfg.TimeoutQueue
	}
	return b.cfg.TimeoutConnect
}

// takeLocked gives one connection slot of s to the caller.
func (b *backend) takeLocked(s *server, now time.Time) {
	b.conns++
	b.lb.Take(s.lb)
	s.state.counters.openAt(now)
}

// release frees the slot of s and hands it to the oldest waiter.
func (b *backend) release(s *server) {
	b.mu.Lock()
	b.conns--
	b.lb.Drop(s.lb)
	s.state.counters.close()
	b.dequeueLocked(s)
	b.mu.Unlock()
}

// dequeueLocked gives free slots of s to queued connections, the oldest
// first among the server's own queue and the backend queue (HAProxy's
// process_srv_queue).
func (b *backend) dequeueLocked(s *server) {
	for {
		b.lb.BackendConns = b.conns
		if !s.lb.Usable() && len(s.queue) == 0 {
			return
		}
		if s.cfg.MaxConn > 0 && s.lb.Served() >= b.lb.DynMaxConn(s.lb) {
			return
		}
		var w *waiter
		switch {
		case len(s.queue) > 0 && (len(b.queue) == 0 || !s.lb.Usable() || s.queue[0].before(b.queue[0])):
			w, s.queue = s.queue[0], s.queue[1:]
			b.lb.SetQueued(s.lb, len(s.queue))
		case len(b.queue) > 0 && s.lb.Usable():
			w, b.queue = b.queue[0], b.queue[1:]
		default:
			return
		}
		w.queued = false
		b.leaveLocked(w, true)
		b.takeLocked(s, time.Now())
		w.got <- s
	}
}

// dequeueAllLocked offers every server's free slots to the queues (after a
// server came up).
func (b *backend) dequeueAllLocked() {
	for _, s := range b.servers {
		b.dequeueLocked(s)
	}
}

// acquire picks a server for sess and takes a slot on it, queueing when
// every candidate is full. avoid is the server of a failed attempt. at is
// when the slot was taken without a wait (the caller's clock from there
// on), zero after a wait.
func (b *backend) acquire(ctx context.Context, sess *Session, avoid *server, rec *Record) (s *server, at time.Time, err error) {
	req := &sess.balReq
	*req = balance.Request{Src: sess.Src.Addr()}
	if sess.http != nil {
		sess.http.fillBalance(req, b.cfg.Balance.Algo)
	}
	if b.cfg.Balance.Algo == balance.Sample && b.cfg.HashKey != nil {
		req.Key = b.cfg.HashKey(sess)
	}
	if b.cfg.Balance.Algo == balance.RDPCookie {
		name := b.cfg.Balance.Param
		if name == "" {
			name = "mstshash"
		}
		if v, ok := sess.ReqRDPCookie(name); ok == True {
			req.RDPCookie = v
		}
	}
	stuck := b.stickMatch(sess)
	// The candidates of option prefer-last-server (preferlast.go).
	lastSrvs := b.preferLast(sess, avoid)
	now := time.Now() // read outside the lock, and once
	b.mu.Lock()
	if stuck != nil && stuck != avoid && stuck.lb.Usable() && b.lb.HasRoom(stuck.lb) {
		b.takeLocked(stuck, now)
		b.mu.Unlock()
		return stuck, now, nil
	}
	b.lb.BackendConns, b.lb.BackendQueue = b.conns, len(b.queue)
	var avoidLB *balance.Server
	if avoid != nil {
		avoidLB = avoid.lb
	}
	ls := b.cookieServer(sess, avoid)
	if ls == nil {
		if last := b.lastServerLocked(lastSrvs); last != nil {
			ls = last.lb
		}
	}
	// Only a balancing decision counts in lbtot: not a persistence
	// cookie's server, nor the last one.
	balanced := ls == nil
	if balanced {
		ls, err = b.lb.Pick(req, avoidLB)
	}
	var w *waiter // made only to queue: most requests find room at once
	switch {
	case errors.Is(err, balance.ErrNoServer):
		b.mu.Unlock()
		return nil, time.Time{}, errNoServer
	case errors.Is(err, balance.ErrFull):
		b.seq++
		w = &waiter{got: make(chan *server, 1), queued: true, seq: b.seq, at: b.taken}
		w.class, w.key = queueKey(sess, now)
		b.queue = enqueue(b.queue, w)
	default:
		s := b.byLB[ls]
		if balanced {
			countLB(b, s)
		}
		if b.lb.HasRoom(ls) {
			b.takeLocked(s, now)
			b.mu.Unlock()
			return s, now, nil
		}
		if s.cfg.MaxQueue > 0 && len(s.queue) >= s.cfg.MaxQueue {
			b.mu.Unlock()
			return nil, time.Time{}, errQueueFull
		}
		b.seq++
		w = &waiter{got: make(chan *server, 1), queued: true, seq: b.seq, onSrv: s, at: s.taken}
		w.class, w.key = queueKey(sess, now)
		s.queue = enqueue(s.queue, w)
		b.lb.SetQueued(ls, len(s.queue))
	}
	b.mu.Unlock()
	var gone chan struct{}
	if b.cfg.AbortOnClose {
		closed := make(chan struct{}) // before the watch: it may fire at once
		if stop := b.watchClient(sess, func() { close(closed) }); stop != nil {
			gone = closed
			defer stop()
		}
	}
	s, err = b.wait(ctx, w, gone)
	if w.onSrv != nil {
		rec.SrvQueue = int(w.pos)
	} else {
		rec.BeQueue = int(w.pos)
	}
	return s, time.Time{}, err
}

// dialWatched is dialServer, given up should the client close meanwhile
// (option abortonclose).
func (b *backend) dialWatched(ctx context.Context, d net.Dialer, s *server, addr netip.AddrPort, sess *Session) (net.Conn, error) {
	if !b.cfg.AbortOnClose {
		return b.dialServer(ctx, d, s, addr, sess)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Only a connection the server has not acknowledged yet is given
	// up: past that (on loopback, at once), the close is the response
	// wait's to notice (httpConn.awaitResponse), as with the reference.
	var mu sync.Mutex
	var sock syscall.RawConn
	prev := d.Control
	d.ControlContext = func(_ context.Context, network, address string, c syscall.RawConn) error {
		mu.Lock()
		sock = c
		mu.Unlock()
		if prev != nil {
			return prev(network, address, c)
		}
		return nil
	}
	stop := b.watchClient(sess, func() {
		// The reference handles the connect's outcome before the
		// client's close when both are there: a connect that completes
		// within connectGrace is not given up.
		time.AfterFunc(connectGrace, func() {
			mu.Lock()
			c := sock
			mu.Unlock()
			if c == nil || !established(c) {
				cancel()
			}
		})
	})
	if stop == nil {
		return b.dialServer(ctx, d, s, addr, sess)
	}
	conn, err := b.dialServer(ctx, d, s, addr, sess)
	if stop() && err != nil {
		return nil, errClientAbortConnect
	}
	return conn, err
}

// smartConnect turns TCP_QUICKACK off on a server socket before its
// connect (option tcp-smart-connect): the last ACK of the handshake then
// leaves with the request.
func smartConnect(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 0) }); err != nil {
		return err
	}
	return serr
}

// connectGrace is how long a connection may take to be acknowledged
// before a client close gives it up (option abortonclose).
const connectGrace = time.Millisecond

// established reports whether c's TCP handshake is complete.
func established(c syscall.RawConn) bool {
	var state uint8
	c.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			state = info.State
		}
	})
	return state == unix.BPF_TCP_ESTABLISHED
}

// watchClient calls onClose should sess's client close its connection
// while its request waits (option abortonclose); the returned stop ends
// the watch and reports whether onClose ran. It returns nil when there
// is nothing to watch.
func (b *backend) watchClient(sess *Session, onClose func()) (stop func() bool) {
	if !b.cfg.AbortOnClose || sess == nil || sess.client == nil {
		return nil
	}
	w := closeWatch()
	if w == nil {
		return nil
	}
	stop, ok := w.watch(sess.client, onClose)
	if !ok {
		return nil
	}
	return stop
}

// wait blocks until a queued connection gets a server, times out, or its
// client closes (gone, nil when not watched).
func (b *backend) wait(ctx context.Context, w *waiter, gone <-chan struct{}) (*server, error) {
	t := time.NewTimer(b.queueTimeout())
	defer t.Stop()
	var tmo <-chan time.Time = t.C
	if b.queueTimeout() <= 0 {
		tmo = nil
	}
	timedOut := errQueueTO
	select {
	case s := <-w.got:
		return s, nil
	case <-tmo:
	case <-ctx.Done():
	case <-gone:
		timedOut = errClientAbortQueue
	}
	if ctx.Err() != nil {
		timedOut = errClientTOQueue
	}
	b.mu.Lock()
	if !w.queued {
		// Handed a server while timing out: take it.
		b.mu.Unlock()
		return <-w.got, nil
	}
	w.queued = false
	b.leaveLocked(w, false)
	if w.onSrv != nil {
		w.onSrv.queue = removeWaiter(w.onSrv.queue, w)
		b.lb.SetQueued(w.onSrv.lb, len(w.onSrv.queue))
	} else {
		b.queue = removeWaiter(b.queue, w)
	}
	b.mu.Unlock()
	if timedOut != errClientAbortQueue {
		b.counters.QueueTimeouts.Add(1)
	}
	return nil, timedOut
}

func removeWaiter(q []*waiter, w *waiter) []*waiter {
	for i, x := range q {
		if x == w {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

// connect establishes the server side of sess: pick, queue, dial, retry and
// redispatch as HAProxy does, then send the PROXY header if configured.
// The caller releases the returned server's slot when the connection ends.
func (b *backend) connect(ctx context.Context, sess *Session, rec *Record) (net.Conn, *server, error) {
	return b.connectWith(ctx, sess, rec, b.dial)
}

// dialFunc opens (or, in http mode, finds) a connection to a server.
type dialFunc func(ctx context.Context, s *server, sess *Session) (net.Conn, error)

// connectWith is connect with the server connection obtained by dial.
func (b *backend) connectWith(ctx context.Context, sess *Session, rec *Record, dial dialFunc) (net.Conn, *server, error) {
	s, start, err := b.acquire(ctx, sess, nil, rec)
	if start.IsZero() {
		start = time.Now()
	}
	rec.TQueue = start.Sub(rec.Accept)
	if errors.Is(err, errNoServer) {
		rec.TQueue = -1 // never queued: the reference logs %Tw -1
	}
	if err != nil {
		return nil, nil, err
	}
	for retries := 0; ; {
		rec.Server, rec.SrvAddr = s.cfg.Name, s.addr()
		if retries > 0 {
			start = time.Now()
		}
		conn, err := dial(ctx, s, sess)
		countConnect(b, s, sess.http != nil && sess.http.reused)
		if err == nil {
			rec.TConnect = time.Since(start)
			rec.noteBackendSrc(conn)
			b.stickStore(sess, s, false)
			return conn, s, nil
		}
		if clientExpired(ctx) {
			err = errClientTOConnect
		}
		aborted := errors.Is(err, errClientAbortConnect)
		if !aborted {
			s.state.counters.FailedConns.Add(1)
		}
		b.release(s)
		retries++
		if aborted {
			return nil, nil, err
		}
		if retries > b.cfg.Retries || ctx.Err() != nil || !b.retriesConnFailures() {
			rec.Retries = retries - 1
			b.counters.FailedConns.Add(1)
			return nil, nil, err
		}
		b.countRetry(s)
		rec.Retries = retries
		if b.shouldRedispatch(s, retries) {
			if s, err = b.redispatch(ctx, sess, s, rec); err != nil {
				return nil, nil, err
			}
			continue
		}
		// Same server: an immediate error (refused) waits a turn-around
		// of min(1s, timeout connect) first; a timeout retries at once.
		if !isTimeout(err) && !sourceUnbound(err) {
			d := time.Second
			if c := b.cfg.TimeoutConnect; c > 0 && c < d {
				d = c
			}
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, nil, errClientTOConnect
			}
		}
		b.mu.Lock()
		b.takeLocked(s, time.Now())
		b.mu.Unlock()
	}
}

// countRetry counts a retry of a request that failed on s.
func (b *backend) countRetry(s *server) {
	s.state.counters.Retries.Add(1)
	b.counters.Retries.Add(1)
}

// redispatch counts a redispatch away from s (whose slot the caller
// released) and takes a slot on another server.
func (b *backend) redispatch(ctx context.Context, sess *Session, s *server, rec *Record) (*server, error) {
	b.counters.Redispatches.Add(1)
	s.state.counters.Redispatches.Add(1)
	rec.Redispath = true
	next, _, err := b.acquire(ctx, sess, s, rec)
	return next, err
}

// shouldRedispatch is HAProxy's stream_choose_redispatch condition.
func (b *backend) shouldRedispatch(s *server, retries int) bool {
	if !b.cfg.Redispatch {
		return false
	}
	if !s.state.up.Load() {
		return true
	}
	after := b.cfg.RedispatchAfter
	if after == 0 {
		after = -1
	}
	if after > 0 && retries%after == 0 {
		return true
	}
	if after < 0 {
		if n := b.cfg.Retries + 1 + after; n > 0 && retries%n == 0 {
			return true
		}
	}
	switch b.cfg.Balance.Algo {
	case balance.RoundRobin, balance.StaticRR, balance.Random:
		b.mu.Lock()
		act := 0
		for _, x := range b.servers {
			if !x.cfg.Backup && x.lb.Usable() {
				act++
			}
		}
		b.mu.Unlock()
		return act > 1
	}
	return false
}

func (b *backend) dial(ctx context.Context, s *server, sess *Session) (net.Conn, error) {
	// No keep-alive unless configured (see TCPKeepAlive.apply): Go's dialer
	// would otherwise set it, with four system calls per connection.
	d := net.Dialer{Timeout: b.cfg.TimeoutConnect, KeepAlive: -1, Control: dialControl(b.cfg)}
	conn, err := b.dialWatched(ctx, d, s, b.serverAddr(s, sess), sess)
	if err != nil {
		return nil, err
	}
	b.cfg.ServerKeepAlive.apply(conn, false)
	noLinger(conn, b.cfg.NoLinger)
	if err := sendProxyHeader(conn, s, sess); err != nil {
		conn.Close()
		return nil, err
	}
	if t := s.cfg.TLS; t != nil && t.Traffic {
		// The handshake is part of the connect: bounded by its timeout.
		hctx := ctx
		if d := b.cfg.TimeoutConnect; d > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		tc := tls.Client(conn, t.config(sess))
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, err
		}
		return tc, nil
	}
	return conn, nil
}

// dialStream is dial for a tcp-mode stream: a plain server connection
// the stream's tunnel will move through a flowLoop is made by the loop
// itself (dialRaw); others as dial makes them.
func (b *backend) dialStream(ctx context.Context, s *server, sess *Session) (net.Conn, error) {
	l, f := b.streamLoop(s, sess)
	addr := b.serverAddr(s, sess)
	if l == nil || !rawDialable(addr) {
		return b.dial(ctx, s, sess)
	}
	conn, err := l.dialRaw(ctx, f, addr, b.cfg.TimeoutConnect, dialControl(b.cfg))
	if err != nil {
		return nil, err
	}
	noLinger(conn, b.cfg.NoLinger)
	if err := sendProxyHeader(conn, s, sess); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// streamLoop is the flowLoop to dial s through for sess, and the flow to
// join when the client's connection is a sockConn; nil when the
// connection needs what only net's connections have (TLS, a source
// address, SOCKS4, keep-alive, a watch on the client while connecting) or
// its stream will not run over a loop (a client under TLS, response
// hooks reading through the connection).
func (b *backend) streamLoop(s *server, sess *Session) (*flowLoop, *flow) {
	if b.cfg.AbortOnClose || b.cfg.ServerKeepAlive.On || len(b.cfg.Server.Response) > 0 ||
		s.cfg.Source != nil || s.cfg.Socks4.IsValid() || s.cfg.TLS != nil && s.cfg.TLS.Traffic {
		return nil, nil
	}
	if c, ok := sess.client.(*sockConn); ok {
		return c.loop, c.f
	}
	if _, ok := asTCP(sess.client); !ok {
		return nil, nil
	}
	return pickLoop(), nil
}

// serverAddr is where a connection to s goes: with a server without a
// port or with a relative one, the client's destination port.
func (b *backend) serverAddr(s *server, sess *Session) netip.AddrPort {
	addr := s.addr()
	if s.cfg.MapPorts && sess != nil {
		addr = netip.AddrPortFrom(addr.Addr(), uint16(int(sess.Dst.Port())+s.cfg.PortOffset))
	}
	return addr
}

// sendProxyHeader sends the PROXY header s asks for, if any.
func sendProxyHeader(conn net.Conn, s *server, sess *Session) error {
	if !s.cfg.SendProxy && !s.cfg.SendProxyV2 {
		return nil
	}
	var hdr []byte
	if s.cfg.SendProxyV2 {
		hdr = proxyproto.AppendV2(nil, sess.Src, sess.Dst)
	} else {
		hdr = proxyproto.AppendV1(nil, sess.Src, sess.Dst)
	}
	_, err := conn.Write(hdr)
	return err
}

// clientExpired reports whether ctx's deadline (the client timeout) has
// passed, even if its timer has not fired yet.
func clientExpired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// setServerUp applies a health change to the balancer and logs it as the
// reference does.
func (b *backend) setServerUp(s *server, up bool, r *check.Result) {
	reason := ""
	if r != nil {
		reason = r.Reason()
	}
	b.setServerUpWhy(s, up, reason)
}

// setServerUpWhy is setServerUp with the reason of the change in words.
func (b *backend) setServerUpWhy(s *server, up bool, why string) {
	b.mu.Lock()
	if s.state.up.Load() == up {
		b.mu.Unlock()
		return
	}
	s.state.up.Store(up)
	s.state.noteChange(up)
	s.warmGen++
	if up && s.cfg.SlowStart > 0 {
		b.lb.SetUpStarting(s.lb, s.cfg.SlowStart)
		go b.warmup(s, s.warmGen)
	} else {
		b.lb.SetUp(s.lb, up)
	}
	act, bck := 0, 0
	for _, x := range b.servers {
		if x.lb.Usable() {
			if x.cfg.Backup {
				bck++
			} else {
				act++
			}
		}
	}
	requeued := 0
	if !up && b.cfg.Redispatch {
		// Its queued connections go back to the backend queue.
		for _, w := range s.queue {
			w.onSrv = nil
			b.queue = enqueue(b.queue, w)
			requeued++
		}
		s.queue = nil
		b.lb.SetQueued(s.lb, 0)
	}
	var msg string
	kind := "Server"
	if s.cfg.Backup {
		kind = "Backup Server"
	}
	reason := ""
	if why != "" {
		reason = ", " + why
	}
	running := ""
	if bck > 0 && act == 0 {
		running = " Running on backup."
	}
	if up {
		msg = fmt.Sprintf("%s %s is UP%s. %d active and %d backup servers online.%s %d sessions requeued, %d total in queue.",
			kind, s.id(), reason, act, bck, running, requeued, len(s.queue))
		b.dequeueAllLocked()
	} else {
		msg = fmt.Sprintf("%s %s is DOWN%s. %d active and %d backup servers left.%s %d sessions active, %d requeued, %d remaining in queue.",
			kind, s.id(), reason, act, bck, running, s.lb.Served(), requeued, len(s.queue))
		b.dequeueAllLocked()
	}
	switch {
	case !up && s.cfg.ShutdownOnDown:
		shutdownLocked(s)
	case up && !s.cfg.Backup && s.cfg.ShutdownBackupsOnUp:
		for _, x := range b.servers {
			if x.cfg.Backup {
				shutdownLocked(x)
			}
		}
	}
	noneLeft := act == 0 && bck == 0
	b.noteBackendHealth(!noneLeft)
	b.mu.Unlock()
	b.engine.log(Warning, b.cfg.Name, msg)
	if noneLeft && !up {
		b.logNoServer()
	}
}

// warmup raises a server's weight step by step during its slow start,
// every second or 1/20th of the ramp, whichever is longer (as
// server_warmup), and lets queued connections in as its limit grows.
func (b *backend) warmup(s *server, gen int) {
	start := time.Now()
	step := max(time.Second, s.cfg.SlowStart/20)
	for {
		select {
		case <-time.After(step):
		case <-b.engine.ctx.Done():
			return
		}
		b.mu.Lock()
		if s.warmGen != gen {
			b.mu.Unlock()
			return
		}
		done := b.lb.Warmup(s.lb, time.Since(start), s.cfg.SlowStart)
		b.dequeueLocked(s)
		b.mu.Unlock()
		if done {
			return
		}
	}
}

// SetServerUp forces a server's health state (an explicit "down", as the
// Runtime API's `set server be/s state`), with the same effects as a check.
func (e *Engine) SetServerUp(backendName, serverName string, up bool) error {
	b, s, err := e.lookupServer(backendName, serverName)
	if err != nil {
		return err
	}
	b.setServerUp(s, up, nil)
	return nil
}

// lookupServer finds a server of the current generation.
func (e *Engine) lookupServer(backendName, serverName string) (*backend, *server, error) {
	rt := e.rt.Load()
	if rt == nil {
		return nil, nil, errors.New("engine not started")
	}
	b := rt.backends[backendName]
	if b == nil {
		return nil, nil, fmt.Errorf("no such backend '%s'", backendName)
	}
	s := b.byName[serverName]
	if s == nil {
		return nil, nil, fmt.Errorf("no such server '%s/%s'", backendName, serverName)
	}
	return b, s, nil
}

// checkTarget builds the check target of a server.
func (b *backend) checkTarget(s *server) check.Target {
	addr := checkAddrOf(s.cfg, s.addr())
	var checkTLS *tls.Config
	if t := s.cfg.TLS; t != nil && t.Checks {
		checkTLS = t.Config
	}
	return check.Target{TLS: checkTLS, Addr: addr, Current: b.currentCheckAddr(s), Inter: s.cfg.Inter, FastInter: s.cfg.FastInter, DownInter: s.cfg.DownInter,
		Timeout: b.cfg.TimeoutCheck, Rise: s.cfg.Rise, Fall: s.cfg.Fall, SendProxy: s.cfg.CheckSendProxy, Dial: checkDial(s.cfg),
		External: b.externalTarget(s)}
}
