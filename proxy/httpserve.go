package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/http1"
)

// rbuf is a read buffer: the unread bytes are b[r:w].
type rbuf struct {
	b    []byte
	r, w int
}

func (x *rbuf) data() []byte { return x.b[x.r:x.w] }

func (x *rbuf) consume(n int) {
	x.r += n
	if x.r == x.w {
		x.r, x.w = 0, 0
	}
}

// fill compacts and reads once from c.
func (x *rbuf) fill(c net.Conn) (int, error) { return x.readInto(c.Read) }

// sendRecv writes out to c, then reads once like fill (see
// rawTCP.SendRecv).
func (x *rbuf) sendRecv(c *rawTCP, out []byte) (int, error) {
	return x.readInto(func(b []byte) (int, error) { return c.SendRecv(out, b) })
}

// readInto compacts the buffer and lets read fill its free end once.
func (x *rbuf) readInto(read func([]byte) (int, error)) (int, error) {
	if x.r > 0 {
		x.w = copy(x.b, x.b[x.r:x.w])
		x.r = 0
	}
	if x.w == len(x.b) {
		return 0, errBufferFull
	}
	n, err := read(x.b[x.w:])
	x.w += n
	return n, err
}

var errBufferFull = errors.New("buffer full")

// bufPool holds the read buffers of HAProxy's default size; other sizes
// (a tuned tune.bufsize) are allocated per connection.
var bufPool = sync.Pool{New: func() any { b := make([]byte, http1.DefaultLimits().BufSize); return &b }}

func getBuf(size int) []byte {
	if size == http1.DefaultLimits().BufSize {
		return *bufPool.Get().(*[]byte)
	}
	return make([]byte, size)
}

func putBuf(b []byte) {
	if len(b) == http1.DefaultLimits().BufSize {
		bufPool.Put(&b)
	}
}

// parseOptions fills in HAProxy's default limits for zero ones.
func parseOptions(o http1.Options) http1.Options {
	if o.Limits.BufSize <= 0 {
		o.Limits = http1.DefaultLimits()
	}
	return o
}

// httpConn is one client connection in http mode: its buffers, the request
// and response in flight, and the server connection it holds between
// requests.
type httpConn struct {
	e    *Engine
	rt   *runtime
	fe   *frontend
	lc   *liveConn
	sess *Session
	cli  net.Conn
	conn *Record // the connection's record (never logged in http mode)
	// connDst is the connection's destination (the PROXY header's with
	// accept-proxy): each request starts from it and from conn.Client,
	// whatever set-src/set-dst did to the previous one.
	connDst netip.AddrPort
	// tmo is the request's set-timeout overrides.
	tmo timeoutOverride
	// noL7Retry is set by disable-l7-retry: retry-on retries nothing of
	// the request.
	noL7Retry bool
	// replay is the request as it went to the server, for retry-on.
	replay []byte
	// softRewrite is `strict-mode off`: a request rewrite that does not
	// fit is dropped instead of failing the request (strictmode.go).
	softRewrite bool
	r           Record // this request's record
	hrec        HTTPRecord

	feOpts, beOpts http1.Options
	badAt          int    // where a refused request's parsing stopped (show errors)
	in, sin        rbuf   // client and server bytes
	out            []byte // heads being written
	reqLine        []byte // copy of the request line, for the log
	method         []byte // copy of the method, for response framing
	logBuf         []byte

	req  http1.Request
	resp http1.Response
	body http1.Body
	lr   io.LimitedReader
	dial dialFunc

	be      *backend
	srv     *server  // server of srvConn
	srvConn net.Conn // server connection kept between requests
	chunks  []byte   // a chunked body re-encoded for the next hop
	reused  bool     // the connection in use was open before this request
	// priv are the idle server connections private to this client
	// (http-reuse never, connection-based authentication: preferlast.go).
	priv privConns
	// expectDone reports the end of an Expect: 100-continue body being
	// forwarded beside the response.
	expectDone chan error
	// headPending: the request head in out is still to be sent, by
	// readResponse's first read.
	headPending bool
	nreq        int // requests completed on this client connection
	ck          cookieState
	hints       []byte // a 103 answer being built by early-hint rules
	lf          logScratch
	gaps        gapState  // body wait, tcp content rules, logasap (httpgaps.go)
	comp        compState // response compression (compression.go)
	cache       cacheTx   // cache-use and cache-store (cache.go)

	// Kept-alive requests served inside the client's read call
	// (httpinline.go).
	inl        inlineState
	onInline   func(fd uintptr) bool // h.inlineStep, made once
	headParsed bool                  // h.req holds the parsed head at h.in's start
	waitFrom   time.Time             // the next exchange's start, when not now
	firstAt    time.Time             // when its first bytes came, when known
}

var httpConnPool = sync.Pool{New: func() any { return &httpConn{} }}

// serveHTTP runs an http-mode client connection: one exchange after the
// other while both sides keep the connection alive.
func (e *Engine) serveHTTP(rt *runtime, fe *frontend, lc *liveConn, sess *Session, cli net.Conn, pre []byte, conn *Record) {
	h := httpConnPool.Get().(*httpConn)
	h.e, h.rt, h.fe, h.lc, h.sess, h.cli, h.conn = e, rt, fe, lc, sess, fastConn(cli), conn
	h.connDst = sess.Dst
	h.feOpts = parseOptions(fe.cfg.HTTP.Parse)
	h.in.b = getBuf(h.feOpts.Limits.BufSize)
	h.in.w = copy(h.in.b, pre)
	if h.dial == nil {
		h.dial = h.dialServer
	}
	sess.http = h
	conn.HTTP = &h.hrec // marks the connection as logged per request
	for {
		if c, ok := h.cli.(*rawTCP); ok && h.nreq > 0 && !h.serveInline(c) {
			break
		}
		if !h.exchange() {
			break
		}
		h.nreq++
		if e.isDraining() {
			break
		}
	}
	h.lingerClose()
	finBeforeReset(h.cli, h.fe.cfg.NoLinger)
	h.release()
}

// release parks the server connection, returns the buffers and h itself
// to their pools.
func (h *httpConn) release() {
	h.cache.drop()
	h.parkServer()
	h.priv.closeAll()
	putBuf(h.in.b)
	if h.sin.b != nil {
		putBuf(h.sin.b)
	}
	h.sess.http = nil
	*h = httpConn{out: h.out[:0], reqLine: h.reqLine[:0], method: h.method[:0], logBuf: h.logBuf[:0],
		req: h.req, resp: h.resp, dial: h.dial, onInline: h.onInline}
	httpConnPool.Put(h)
}

func (e *Engine) isDraining() bool {
	e.liveMu.Lock()
	defer e.liveMu.Unlock()
	return e.draining
}

// connMode is the stronger of the frontend's and the backend's modes.
func (h *httpConn) connMode() ConnMode {
	m := h.fe.cfg.HTTP.Conn
	if h.be != nil && h.be.cfg.HTTP.Conn > m {
		m = h.be.cfg.HTTP.Conn
	}
	return m
}

// exchange serves one request; false ends the client connection.
func (h *httpConn) exchange() bool {
	start := h.conn.Accept
	if h.nreq > 0 {
		start = h.waitFrom // the wait began before this call (serveInline)
		if start.IsZero() {
			start = time.Now()
		}
	}
	h.be = nil
	h.resp.Reset() // res.* fetches see no response before this one's
	// Address actions change a request's addresses, not the connection's.
	h.sess.Src, h.sess.Dst, h.sess.dstSet = h.conn.Client, h.connDst, false
	h.sess.logLevel = 0 // set-log-level too, and the queue priority
	h.sess.prioClass, h.sess.prioOffset = 0, 0
	h.tmo, h.noL7Retry = timeoutOverride{}, false
	h.comp.reset()
	h.cache.drop()
	h.cache = cacheTx{}
	h.r = Record{Client: h.conn.Client, Accept: start, Frontend: h.fe.cfg.Name,
		TQueue: -1, TConnect: -1, Term: [2]byte{termNone, termNone}, HTTP: &h.hrec, Log: h.fe.cfg.Log, Listener: h.conn.Listener, sess: h.sess}
	h.hrec = HTTPRecord{Start: start, TReq: -1, TResp: -1, Request: h.hrec.Request[:0]}
	status, got := h.readRequest(start)
	if h.nreq == 0 && isH2Preface(h.in.data()) {
		h.serveH2() // h2serve.go
		return false
	}
	if status != 0 && !got && h.nreq == 0 && h.fe.cfg.HTTP.IgnoreProbes {
		// A connection that sent nothing (a browser's pre-connect) is
		// closed without an answer, a log line or an error counted.
		return false
	}
	if status != 0 {
		h.hrec.Request = append(h.hrec.Request[:0], "<BADREQ>"...)
		if got || h.nreq == 0 {
			// The codec's own answers are not counted in %B.
			h.cli.Write(http1.ErrorResponse(status))
			h.hrec.Status = status
			h.log()
		}
		return false
	}
	if sc, ok := h.cli.(*h2StreamConn); ok {
		sc.asH2(&h.req) // h2serve.go
	}
	h.hrec.Request = http1.AppendRequestLine(h.hrec.Request[:0], h.req.Method, h.req.URI, h.req.Proto)
	h.hrec.Request = h.hrec.Request[:len(h.hrec.Request)-2]
	h.captureRequest()
	h.method = append(h.method[:0], h.req.Method...)
	if !h.startRequest() {
		return false
	}
	h.in.consume(h.req.HeadLen)
	h.r.BytesIn = htxRequestSize(&h.req)
	if handled, keep := h.monitorAnswer(); handled {
		return keep // before any rule, and not logged: monitor.go
	}
	h.stickRequest()

	if st, keep := h.runRules(h.fe.cfg.HTTP.RequestRules, h.fe.cfg.HTTP.Actions.Redirects); st != 0 {
		return keep
	}
	if done, keep := h.serveFrontendStats(); done {
		return keep
	}
	be := h.rt.backends[pickBackend(h.fe.cfg, h.sess)]
	if be == nil {
		keep := h.replyKept(503, termProxy, stateRequest, h.keepAfterAnswer())
		h.log()
		return keep
	}
	h.be = be
	h.r.Backend = be.cfg.Name
	if !h.backendContent() {
		return false
	}
	if st, keep := h.runRules(be.cfg.HTTP.RequestRules, be.cfg.HTTP.Actions.Redirects); st != 0 {
		return keep
	}
	if done, keep := h.serveStats(be.cfg.Name); done {
		return keep
	}
	h.cookieRequest(be)
	// The clock was last read when the head came in: nothing since waited.
	be.counters.openAt(h.hrec.Start.Add(max(h.hrec.TIdle, 0) + h.hrec.TReq))
	keep := h.forward(be)
	h2Bytes(h.cli, &h.r) // h2serve.go
	be.counters.close()
	h.r.BeConn = be.counters.Cur.Load()
	h.log()
	return keep
}

// readRequest reads and parses the next request head. status is 0 for a
// good head, the codec's status for a refused one (or 408 when time ran
// out), and -1 when the client left (or stayed silent on a kept-alive
// connection) without a request, which ends the connection quietly. got
// tells whether any byte of a request arrived.
func (h *httpConn) readRequest(start time.Time) (status int, got bool) {
	fc := h.fe.cfg
	reqTO := fc.HTTP.TimeoutRequest
	if reqTO <= 0 {
		reqTO = fc.TimeoutClient
	}
	wait := reqTO
	if h.nreq > 0 && fc.HTTP.TimeoutKeepAlive > 0 {
		wait = fc.HTTP.TimeoutKeepAlive
	}
	var first time.Time
	if h.in.w > h.in.r {
		first = start
		if !h.firstAt.IsZero() {
			first = h.firstAt // read before this call (serveInline)
			h.hrec.TIdle = first.Sub(start)
		}
	}
	h.waitFrom, h.firstAt = time.Time{}, time.Time{}
	deadline := func() time.Time {
		switch {
		case !first.IsZero() && reqTO > 0:
			return first.Add(reqTO)
		case first.IsZero() && wait > 0:
			return start.Add(wait)
		}
		return time.Time{}
	}
	// The deadline is set before a read, for the wait it bounds: a head
	// already buffered whole needs none.
	var armed bool
	var armedAt time.Time
	for {
		if h.in.w > h.in.r {
			var err error
			if h.headParsed {
				h.headParsed = false // checked by inlineHead
			} else if _, err = h.req.Parse(h.in.data(), &h.feOpts); err == nil {
				err = h.req.CheckBuffered(h.in.data()[h.req.HeadLen:], &h.feOpts)
			}
			if err == nil {
				h.req.NormalizeScheme()
				h.hrec.TReq = time.Since(first)
				if armed {
					h.cli.SetReadDeadline(time.Time{})
				}
				return 0, true
			}
			var perr *http1.Error
			if errors.As(err, &perr) {
				h.badAt = perr.Offset
				h.r.Term = [2]byte{termProxy, stateRequest}
				return perr.Status, true
			}
		}
		if at := deadline(); !armed || !at.Equal(armedAt) {
			h.cli.SetReadDeadline(at)
			armed, armedAt = true, at
		}
		n, err := h.in.fill(h.cli)
		if n > 0 && first.IsZero() {
			first = time.Now()
			h.hrec.TIdle = first.Sub(start)
		}
		if err != nil && n == 0 {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				h.r.Term = [2]byte{termClientTimeout, stateRequest}
				if first.IsZero() && h.nreq > 0 {
					return -1, false
				}
				return http1.StatusTimeout, !first.IsZero()
			}
			// A client gone (or only half-closed) mid-request gets the
			// reference's 400, logged as such, if it can still read.
			h.r.Term = [2]byte{termClientAbort, stateRequest}
			return http1.StatusBadRequest, !first.IsZero()
		}
	}
}

// reply sends one of the built-in answers and ends the connection.
// clientGone gives up a request whose client closed while the server was
// thinking (option abortonclose), with the reference's 400.
func (h *httpConn) clientGone(conn net.Conn) bool {
	conn.Close()
	h.r.Term = [2]byte{termClientAbort, 'H'}
	return h.reply(400, termClientAbort, 'H')
}

func (h *httpConn) reply(status int, who, when byte) bool {
	return h.replyKept(status, who, when, false)
}

// replyKept is reply for an answer after which the client connection may
// persist (keep); it returns keep.
func (h *httpConn) replyKept(status int, who, when byte, keep bool) bool {
	h.r.BytesOut += h.sendPage(status, keep)
	h.hrec.Status = status
	if h.r.Term[0] == termNone {
		h.r.Term = [2]byte{who, when}
	}
	h.finishTimers()
	return keep
}

func (h *httpConn) finishTimers() {
	h.hrec.TActive = time.Since(h.hrec.Start)
	h.r.TTotal = h.hrec.TActive
}

// log hands the request's record to the access log.
func (h *httpConn) log() {
	h.stickRequestDone()
	if h.hrec.TActive == 0 {
		h.finishTimers()
	}
	h.account()
	if h.e.opts.AccessLog == nil || h.loggedEarly() {
		return
	}
	// Address actions may have changed the connection's addresses.
	h.r.Client = h.sess.Src
	if h.sess.dstSet {
		h.r.Listener = h.sess.Dst
	}
	h.r.ActConn, h.r.FeConn = h.e.active.Load(), h.fe.counters.Cur.Load()
	if h.be != nil {
		h.r.BeConn = h.be.counters.Cur.Load()
	}
	h.e.opts.AccessLog(&h.r)
}

// dialServer is the dialFunc of http mode: the connection kept from the
// previous request when it goes to the same server, else an idle one of
// the server's pool (as http-reuse allows), else a new one.
func (h *httpConn) dialServer(ctx context.Context, s *server, sess *Session) (net.Conn, error) {
	if c := h.takePrivate(s); c != nil { // preferlast.go
		h.reused = true
		return c, nil
	}
	if h.srvConn != nil {
		if h.srv == s {
			c := h.srvConn
			h.srvConn, h.srv, h.reused = nil, nil, true
			return c, nil
		}
		h.parkServer()
	}
	reuse := s.be.cfg.HTTP.Reuse
	if reuse != ReuseNever && (reuse != ReuseSafe || h.nreq > 0) {
		if c := s.idle.get(); c != nil {
			h.reused = true
			return c, nil
		}
	}
	h.reused = false
	return h.dialNew(ctx, s)
}

// dialNew opens a new connection to s, with the raw data path.
func (h *httpConn) dialNew(ctx context.Context, s *server) (net.Conn, error) {
	c, err := s.be.dial(ctx, s, h.sess)
	if err != nil {
		return nil, err
	}
	h.priv.opened()
	return fastConn(c), nil
}

// parkServer gives the kept server connection to its server's idle pool,
// or keeps it for this client alone when it may not be shared.
func (h *httpConn) parkServer() {
	if h.srvConn == nil {
		return
	}
	if h.e.isDraining() {
		h.srvConn.Close()
	} else if h.keptPrivate() {
		h.priv.park(h.srv, h.srvConn, h.fe.cfg.SessionSrvConns)
	} else {
		h.srv.idle.put(h.srvConn)
	}
	h.srvConn, h.srv = nil, nil
}

// forward sends the request to a server of be and relays the response.
func (h *httpConn) forward(be *backend) (keep bool) {
	conn, srv, err := be.connectWith(h.e.ctx, h.sess, &h.r, h.dial)
	if errors.Is(err, errClientAbortQueue) || errors.Is(err, errClientAbortConnect) {
		// The client left (option abortonclose): nobody to answer.
		h.r.Term = connectTerm(err)
		h.hrec.Status = -1
		h.finishTimers()
		return false
	}
	if err != nil {
		h.r.Term = connectTerm(err)
		if errors.Is(err, errNoServer) {
			h.r.Term = [2]byte{termServerAbort, stateConnect}
		}
		return h.replyKept(503, termServerAbort, stateConnect, h.keepAfterAnswer())
	}
	h.r.SrvConn = srv.state.counters.Cur.Load() - 1
	// srv may change when the request is retried (retryon.go).
	defer func() {
		if srv != nil {
			be.release(srv)
		}
	}()
	if !h.lc.setServer(conn) {
		conn.Close()
		return false
	}
	be.attach(srv, h.lc)
	defer func() {
		if srv != nil {
			be.detach(srv, h.lc)
		}
	}()
	be.cfg.Server.run(h.sess) // serverhooks.go
	if h.sin.b == nil {
		h.beOpts = parseOptions(be.cfg.HTTP.Parse)
		h.sin.b = getBuf(h.beOpts.Limits.BufSize)
	}
	h.sin.r, h.sin.w = 0, 0
	// The request leaves now: when connectWith's clock says it got conn.
	sentAt := h.r.Accept.Add(h.r.TQueue + h.r.TConnect)
	bodyless := h.req.Framing == http1.BodyNone
	h.compRequest(be) // compression.go
	errc := h.sendRequest(conn, be)
	if errc != nil && h.reused && bodyless {
		// An idle connection the server closed meanwhile: one fresh try.
		if conn = h.redial(conn, srv); conn == nil {
			return false
		}
		errc = h.sendRequest(conn, be)
	}
	replayable := errc == nil && h.keepReplay(be, bodyless)
	if h.req.ExpectContinue() && !h.body.Done() && errc == nil {
		// The client sends its body once it saw the server's 100: it
		// flows while the response is read and relayed.
		done := make(chan error, 1)
		h.expectDone = done
		go func(conn net.Conn) { // an argument, so that conn itself stays off the heap
			n, err := h.copyBodyExpect(conn)
			h.r.BytesIn += n
			done <- err
		}(conn)
	}
	status, term, gone := h.awaitResponse(conn, be, sentAt)
	if gone {
		return h.clientGone(conn)
	}
	if status != 0 && h.expectDone != nil {
		h.cli.SetReadDeadline(time.Now())
		<-h.expectDone
		h.expectDone = nil
		conn.Close()
		h.r.Term = term
		if status == -2 {
			status = 502
		}
		return h.reply(status, term[0], term[1])
	}
	if status == -2 && h.reused && bodyless && h.sin.w == 0 {
		if conn = h.redial(conn, srv); conn == nil {
			return false
		}
		if errc = h.sendRequest(conn, be); errc == nil {
			status, term = h.readResponse(conn, be, sentAt)
		}
	}
	// retry-on: a request whose whole self is at hand (no body) is sent
	// again while the failure is one retry-on names and retries remain.
	for errc == nil && replayable && !h.noL7Retry && h.r.Retries < be.cfg.Retries && h.l7Retryable(be, status, term) {
		conn.Close()
		var ok bool
		if conn, srv, ok = h.l7Retry(be, srv); !ok {
			return h.reply(503, termServerAbort, stateConnect)
		}
		h.sin.r, h.sin.w = 0, 0 // what the failed server sent is dropped
		h.resp.Reset()
		sentAt = time.Now()
		if errc = h.resendRequest(conn); errc != nil {
			break
		}
		if status, term, gone = h.awaitResponse(conn, be, sentAt); gone {
			return h.clientGone(conn)
		}
	}
	if status == -2 && errc == nil && h.nreq > 0 {
		// A kept-alive client's later request whose server closed
		// without a byte of answer: as the reference, the client
		// connection closes without an answer or a log line, so that
		// the client retries the request as HTTP lets it.
		conn.Close()
		h.r.Log = nil
		h.hrec.Status = -1
		h.finishTimers()
		return false
	}
	if status != 0 {
		conn.Close()
		// The reference keeps the client connection after its own 502
		// or 504, the request having gone whole.
		keep := errc == nil && (bodyless || h.body.Done()) &&
			h.req.KeepAlive() && h.connMode() != HTTPClose
		if status == -2 {
			status = 502
		}
		h.r.Term = term
		if errc != nil && errc.(*bodyErr).client {
			h.r.Term = [2]byte{termClientAbort, stateData}
			h.finishTimers()
			return false
		}
		return h.replyKept(status, term[0], term[1], keep)
	}
	h.hrec.TResp = time.Since(sentAt)
	h.captureResponse()
	h.noteConnAuth(conn) // preferlast.go
	return h.relayResponse(conn, srv, be, errc)
}

// redial replaces conn, a reused server connection found closed, with a
// new one to srv. It returns nil when that failed (503 answered) or the
// session was shut down meanwhile (whose shutdown also closed conn: the
// failure seen was that, not the server's).
func (h *httpConn) redial(conn net.Conn, srv *server) net.Conn {
	conn.Close()
	fresh, err := h.dialNew(h.e.ctx, srv)
	countConnect(srv.be, srv, false)
	if err != nil {
		h.reply(503, termServerAbort, stateConnect)
		return nil
	}
	if !h.lc.setServer(fresh) {
		fresh.Close()
		return nil
	}
	h.reused = false
	return fresh
}

// bodyErr is a failure while forwarding a body, on either side.
type bodyErr struct {
	client bool // the client side failed (read or write)
	err    error
}

func (e *bodyErr) Error() string { return e.err.Error() }

// sendRequest writes the rewritten head and the body to the server. The
// body of an Expect: 100-continue request is left for relayResponse.
func (h *httpConn) sendRequest(conn net.Conn, be *backend) error {
	h.out = h.appendRequestHead(h.out[:0], be)
	h.body.StartRequest(&h.req, &h.feOpts)
	expect := h.req.ExpectContinue()
	early := 0
	if !expect {
		early = h.takeEarlyBody(&h.in)
	}
	h.r.BytesIn += int64(early)
	if _, raw := conn.(*rawTCP); raw && !expect && h.body.Done() {
		// Nothing follows the head: readResponse sends it and waits for
		// the answer in one step (see rawTCP.SendRecv).
		h.headPending = true
		return nil
	}
	if _, err := conn.Write(h.out); err != nil {
		return &bodyErr{err: err}
	}
	if expect {
		return nil
	}
	n, err := h.copyBody(conn, h.cli, &h.in, h.fe.cfg.TimeoutClient, true, false)
	h.r.BytesIn += n
	return err
}

// takeEarlyBody moves the body bytes that arrived with the head from in to
// the end of h.out, so that they leave with the head: one write, so one
// segment and one wakeup of the peer instead of two. A chunked body is
// left to copyBody, which re-encodes it and may refuse it.
func (h *httpConn) takeEarlyBody(in *rbuf) int {
	d := in.data()
	if len(d) == 0 || h.body.Chunked() {
		return 0
	}
	n, _ := h.body.Consume(d) // cannot fail unchunked
	h.out = append(h.out, d[:n]...)
	in.consume(n)
	return n
}

// copyBody moves the body h.body follows from src (with buffered bytes in
// in) to dst: buffered bytes first, then a Content-Length rest through
// io.Copy (a splice between TCP sockets), chunked and until-close bodies
// through the buffer, piece by piece as they arrive.
func (h *httpConn) copyBody(dst, src net.Conn, in *rbuf, idle time.Duration, fromClient, untilClose bool) (int64, error) {
	var total int64
	timed := false // a deadline of ours is set on src
	fail := func(err error, srcSide bool) error {
		return &bodyErr{client: srcSide == fromClient, err: err}
	}
	h.contBody(fromClient, 0) // what came before the body counts now
	// Between HTTP/1 ends, a chunked body counts what the reference
	// stores of it (http1.Body.StoredBytes); with an HTTP/2 client the
	// reference counts it as it came, chunk framing included.
	stored := h.body.Chunked() && !isH2Stream(src) && !isH2Stream(dst)
	for !h.body.Done() {
		if d := in.data(); len(d) > 0 {
			var n int
			var err error
			out := d
			if h.body.Chunked() {
				h.chunks, n, err = h.body.Rechunk(h.chunks[:0], d)
				out = h.chunks
			} else {
				n, err = h.body.Consume(d)
				out = d[:n]
			}
			if err != nil {
				return total, fail(err, true)
			}
			if len(out) > 0 {
				if _, err := dst.Write(out); err != nil {
					return total, fail(err, false)
				}
			}
			if n > 0 {
				total += int64(n)
				if stored {
					total = h.body.StoredBytes()
				}
				in.consume(n)
				h.contBody(fromClient, total)
			}
			if h.body.Done() {
				break
			}
		}
		if idle > 0 {
			src.SetReadDeadline(time.Now().Add(idle))
			timed = true
		}
		if rem := h.body.Remaining(); rem > 0 {
			var n int64
			var err error
			if s, d, ok := tcpPair(src, dst); ok && h.contCounter() == nil {
				n, err = relay(d, s, rem)
			} else {
				h.lr.R, h.lr.N = src, rem
				n, err = io.Copy(h.bodyWriter(dst, fromClient, total), &h.lr)
				h.lr.R = nil
			}
			h.body.Skip(n)
			total += n
			if err == nil && n < rem {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				return total, fail(err, !isWriteErr(err))
			}
			continue
		}
		n, err := in.fill(src)
		if err != nil && n == 0 {
			if untilClose && err == io.EOF {
				return total, nil
			}
			return total, fail(err, true)
		}
	}
	if timed {
		src.SetReadDeadline(time.Time{})
	}
	return total, nil
}

// isWriteErr tells a failed write from a failed read in io.Copy's error.
func isWriteErr(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "write"
}

// awaitResponse is readResponse, given up (gone) should the client close
// its side meanwhile, with option abortonclose: the server connection is
// then closed under the read.
func (h *httpConn) awaitResponse(conn net.Conn, be *backend, sentAt time.Time) (status int, term [2]byte, gone bool) {
	if !be.cfg.AbortOnClose || h.expectDone != nil {
		status, term = h.readResponse(conn, be, sentAt)
		return status, term, false
	}
	var closed atomic.Bool
	stop := be.watchClient(h.sess, func() {
		closed.Store(true)
		conn.Close()
	})
	status, term = h.readResponse(conn, be, sentAt)
	if stop != nil {
		stop()
	}
	return status, term, closed.Load()
}

// readResponse reads the response head, passing interim (1xx) answers on
// to the client. It returns 0 when a final head is parsed, else the status
// to answer (502, 504, or -2 for a connection closed before any byte) and
// the termination state.
func (h *httpConn) readResponse(conn net.Conn, be *backend, sentAt time.Time) (int, [2]byte) {
	for {
		if d := h.serverTimeout(be); d > 0 {
			conn.SetReadDeadline(sentAt.Add(d))
		}
		for {
			if h.sin.w > h.sin.r {
				_, err := h.resp.Parse(h.sin.data(), &h.beOpts, h.method)
				if err == nil {
					break
				}
				if err != http1.ErrIncomplete {
					return 502, [2]byte{termProxy, 'H'}
				}
			}
			var n int
			var err error
			if h.headPending {
				// The request head goes out and the wait for the
				// answer is armed in one step; a failed send reads as a
				// connection the server closed before answering.
				h.headPending = false
				n, err = h.sin.sendRecv(conn.(*rawTCP), h.out)
			} else {
				n, err = h.sin.fill(conn)
			}
			if err != nil && n == 0 {
				switch {
				case errors.Is(err, os.ErrDeadlineExceeded):
					return 504, [2]byte{termServerTimeout, 'H'}
				case errors.Is(err, errBufferFull):
					return 502, [2]byte{termProxy, 'H'}
				case h.sin.w == 0:
					return -2, [2]byte{termServerAbort, 'H'}
				}
				return 502, [2]byte{termServerAbort, 'H'}
			}
		}
		// The deadline stays: each wait on conn sets its own, and one
		// parked for another client is cleared (idlePool.put).
		if !h.resp.Interim() {
			return 0, [2]byte{}
		}
		h.out = h.appendResponseHead(h.out[:0], false)
		h.sin.consume(h.resp.HeadLen)
		n, _ := h.cli.Write(h.out)
		h.r.BytesOut += int64(n)
		sentAt = time.Now() // the final answer's wait starts over
	}
}

// relayResponse writes the response head and body to the client, then
// decides what happens to both connections.
func (h *httpConn) relayResponse(conn net.Conn, srv *server, be *backend, reqErr error) bool {
	h.compDecide() // compression.go
	if keep, answered := h.responseRules(conn, srv); answered {
		return keep
	}
	h.hrec.Status = h.resp.Status
	h.compResponse() // compression.go
	mode := h.connMode()
	upgrade := h.tunnels()
	clientKeep := h.req.KeepAlive() && mode != HTTPClose && h.resp.Framing != http1.BodyUntilClose &&
		!upgrade && reqErr == nil
	h.out = h.appendResponseHead(h.out[:0], clientKeep)
	// A server read that filled the buffer left more of the answer in the
	// socket: it can be read and sent at once.
	moreWaiting := h.sin.w == len(h.sin.b)
	h.sin.consume(h.resp.HeadLen)
	reqBody := h.body
	h.body.StartResponse(&h.resp, &h.beOpts)
	early := 0
	if !upgrade && !h.comp.on {
		early = h.takeEarlyBody(&h.sin)
	}
	dst := h.cacheBody(h.out[len(h.out)-early:]) // cache.go
	var err error
	if srvRaw, ok := conn.(*rawTCP); ok && moreWaiting && h.body.Remaining() > 0 {
		// The rest of a Content-Length body is most likely here already
		// and follows at once: head and body leave in one segment, as
		// the reference's do.
		if _, err = writeMore(h.cli, h.out); err == nil && srvRaw.readNow(&h.sin) == 0 {
			// It was not: the kernel would hold the head until it
			// came, or for up to 200ms.
			pushHeld(h.cli)
		}
	} else {
		_, err = h.cli.Write(h.out)
	}
	h.r.BytesOut += htxSize(&h.resp) + int64(early)
	h.logEarly()
	if err != nil {
		h.body = reqBody
		conn.Close()
		h.r.Term = [2]byte{termClientAbort, 'H'}
		return false
	}
	if upgrade {
		h.body = reqBody
		return h.tunnel(conn, be)
	}
	bodyDone := h.expectDone
	n64, err := h.copyResponseBody(dst, conn, be) // compression.go
	h.cacheDone(err)
	h.body = reqBody
	h.r.BytesOut += n64
	if bodyDone != nil {
		if err != nil || !clientKeep {
			h.cli.SetReadDeadline(time.Now())
		}
		if e := <-bodyDone; e != nil {
			clientKeep = false
		}
		h.expectDone = nil
	}
	if err != nil {
		conn.Close()
		if err.(*bodyErr).client {
			h.r.Term = [2]byte{termClientAbort, stateData}
		} else {
			h.r.Term = [2]byte{termServerAbort, stateData}
		}
		h.finishTimers()
		return false
	}
	h.finishTimers()
	switch {
	case mode == KeepAlive && h.resp.KeepAlive() && reqErr == nil && h.sin.w == 0 && h.body.Done():
		h.srvConn, h.srv = conn, srv
	case mode != KeepAlive && reqErr == nil && h.body.Done():
		// A finished exchange in http-server-close or httpclose mode:
		// the reference drops the server connection with a reset,
		// sparing both sides the closing handshake.
		resetClose(conn)
	default:
		conn.Close()
	}
	return clientKeep
}

// copyBodyExpect forwards an Expect: 100-continue request body. It uses
// its own Body state and reads h.in only (h.sin belongs to the response).
func (h *httpConn) copyBodyExpect(conn net.Conn) (int64, error) {
	saved := h.body
	x := &httpConn{body: saved, cli: h.cli}
	n, err := x.copyBody(conn, h.cli, &h.in, h.fe.cfg.TimeoutClient, true, false)
	return n, err
}

// tunnels reports whether the exchange becomes a tunnel once the answer's
// head is sent: a protocol switch (101 to an Upgrade), or a CONNECT the
// server accepted (2xx).
func (h *httpConn) tunnels() bool {
	if h.req.IsMethod("CONNECT") {
		return h.resp.Status >= 200 && h.resp.Status < 300
	}
	return h.resp.SwitchesProtocols() && h.req.Upgrade()
}

// tunnel joins the connections after a 101 answer or an accepted
// CONNECT, under timeout tunnel.
func (h *httpConn) tunnel(conn net.Conn, be *backend) bool {
	if d := h.sin.data(); len(d) > 0 {
		n, _ := h.cli.Write(d)
		h.r.BytesOut += int64(n)
		h.sin.consume(len(d))
	}
	if d := h.in.data(); len(d) > 0 {
		n, _ := conn.Write(d)
		h.r.BytesIn += int64(n)
		h.in.consume(len(d))
	}
	h.contCounter().startTunnel(h.r.BytesIn, h.r.BytesOut) // contstats.go
	in, out, term := tunnel(h.cli, conn, h.tunnelTimeouts(be), h.lc)
	h.r.BytesIn += in
	h.r.BytesOut += out
	h.r.Term = term
	conn.Close()
	h.finishTimers()
	return false
}

// fillBalance gives the balancer the request parts its algorithm hashes.
func (h *httpConn) fillBalance(req *balance.Request, algo balance.Algo) {
	switch algo {
	case balance.URI, balance.URLParam:
		req.URI = string(h.req.URI)
		req.Method = string(h.req.Method)
		if algo == balance.URLParam {
			req.Body = h.in.data()
		}
	case balance.Hdr:
		req.Header = func(name string) (string, bool) {
			v, ok := h.req.Headers.Get(name)
			return string(v), ok
		}
	}
}
