package proxy

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// listener is one bound socket serving a frontend. It survives reloads
// when the new configuration binds the same address; fe then points to the
// new generation's frontend.
type listener struct {
	key   string
	ln    net.Listener
	bind  atomic.Pointer[Bind]
	fe    atomic.Pointer[frontend]
	limit atomic.Pointer[limiter]
	done  chan struct{}
	once  sync.Once
	// held is closed while the listener is paused (inherited sockets).
	pauseMu sync.Mutex
	held    chan struct{}
	// inherited: the socket came from Options.Inherit and other
	// processes hold it too (see inherit.go); closing it would not stop
	// the kernel from queueing connections.
	inherited bool
	// counters count the connections it accepted (socketstats.go).
	counters Counters

	// rawMu guards raw: a duplicate of the socket in a flowLoop's epoll
	// set, for accepting connections the loop will serve (accept).
	rawMu sync.Mutex
	raw   *sockConn
}

func (l *listener) pause() {
	l.pauseMu.Lock()
	if l.held == nil {
		l.held = make(chan struct{})
	}
	l.pauseMu.Unlock()
}

func (l *listener) resume() {
	l.pauseMu.Lock()
	if l.held != nil {
		close(l.held)
		l.held = nil
	}
	l.pauseMu.Unlock()
}

// waitResumed blocks while the listener is paused; false when closed.
func (l *listener) waitResumed() bool {
	l.pauseMu.Lock()
	h := l.held
	l.pauseMu.Unlock()
	if h == nil {
		return true
	}
	select {
	case <-h:
		return true
	case <-l.done:
		return false
	}
}

func (l *listener) close() {
	l.once.Do(func() {
		close(l.done)
		l.ln.Close()
		l.rawMu.Lock()
		if l.raw != nil {
			l.raw.Close()
		}
		l.rawMu.Unlock()
	})
}

// syncListeners makes the open sockets match rt's binds: existing ones are
// re-pointed, missing ones opened, stale ones closed.
func (e *Engine) syncListeners(rt *runtime) error {
	type want struct {
		bind Bind
		fe   *frontend
	}
	wanted := map[string]want{}
	var order []string
	eachSocket(rt.cfg, func(k string, fc *Frontend, b Bind) {
		wanted[k] = want{b, rt.frontends[fc.Name]}
		order = append(order, k)
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return errors.New("engine stopped")
	}
	if e.paused {
		// Reload while paused: sockets open again on Resume.
		return nil
	}
	opened := map[string]*listener{}
	var failures []error
	fail := func(err error) error {
		for _, l := range opened {
			l.close()
		}
		return err
	}
	for _, k := range order {
		w := wanted[k]
		if e.listeners[k] != nil || opened[k] != nil {
			continue
		}
		if ln := e.inherited(k); ln != nil {
			opened[k] = &listener{key: k, ln: ln, done: make(chan struct{}), inherited: true}
			continue
		}
		socks, err := openSockets(w.bind, bindBacklog(w.bind, w.fe.cfg))
		if err != nil {
			// Every bind is tried, so that each failure is reported
			// at once, as the reference reports them.
			failures = append(failures, err)
			continue
		}
		for sk, ln := range socks {
			if w.bind.Addr.PortLow == 0 {
				sk = k
			}
			if opened[sk] != nil || e.listeners[sk] != nil {
				// Another port of a range that is inherited or open.
				ln.Close()
				continue
			}
			opened[sk] = &listener{key: sk, ln: ln, done: make(chan struct{})}
		}
	}
	if len(failures) > 0 {
		return fail(errors.Join(failures...))
	}
	for k, l := range opened {
		e.listeners[k] = l
	}
	for k, l := range e.listeners {
		w, ok := wanted[k]
		if !ok {
			l.close()
			delete(e.listeners, k)
			continue
		}
		b := w.bind
		b.counters = &l.counters
		l.bind.Store(&b)
		l.fe.Store(w.fe)
		if old := l.limit.Load(); old == nil || opened[k] != nil || (old.cap() != b.MaxConn) {
			l.limit.Store(newLimiter(b.MaxConn))
		}
		if opened[k] != nil {
			go e.acceptLoop(l)
		}
	}
	return nil
}

func (l *limiter) cap() int {
	if l == nil {
		return 0
	}
	return l.max
}

func (e *Engine) closeListeners() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, l := range e.listeners {
		l.close()
		delete(e.listeners, k)
	}
}

// acceptLoop accepts while slots are free: at maxconn (global, frontend or
// listener) it stops accepting and new connections wait in the backlog, as
// HAProxy's listeners do.
func (e *Engine) acceptLoop(l *listener) {
	for {
		g := e.rt.Load().global
		fl := l.fe.Load().limit
		lim := l.limit.Load()
		// Pause while any limit is reached: connections wait in the
		// kernel backlog, as with HAProxy's paused listeners.
		if !l.waitResumed() || !g.available(l.done) || !fl.available(l.done) || !lim.available(l.done) || !e.sessRate.wait(l.done) {
			return
		}
		c, err := l.accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		e.sessRate.take() // the connection rate counts it (admin.go)
		// Another listener may have taken the room meanwhile: then this
		// accepted connection waits for its slot.
		if !g.acquire(l.done) {
			c.Close()
			return
		}
		if !fl.acquire(l.done) {
			g.release()
			c.Close()
			return
		}
		if !lim.acquire(l.done) {
			fl.release()
			g.release()
			c.Close()
			return
		}
		// The connection belongs to the generation current at accept;
		// the slots go back to the limiters they were taken from.
		rt, fe, bind := e.rt.Load(), l.fe.Load(), l.bind.Load()
		// A listener made from a file (inherited from a master or an
		// old process, fd@) let Go turn keep-alive on by itself.
		fe.cfg.ClientKeepAlive.apply(c, l.inherited || bind.Addr.Family == FamilyFD)
		noLinger(c, fe.cfg.NoLinger)
		// Register under liveMu so Stop's Wait never races an Add.
		e.liveMu.Lock()
		if e.draining {
			e.liveMu.Unlock()
			c.Close()
			lim.release()
			fl.release()
			g.release()
			return
		}
		e.conns.Add(1)
		e.liveMu.Unlock()
		sessionWorkers.run(func() {
			defer e.conns.Done()
			defer g.release()
			defer fl.release()
			defer lim.release()
			e.serve(rt, fe, bind, c)
		})
	}
}

// accept takes the next connection. A tcp-mode frontend's plain TCP
// connections are accepted through a flowLoop (acceptRaw), the loop
// whose flows will move their bytes, with no registration with the
// netpoller. The generation that serves a connection is the one current
// after the accept, so one made for tcp mode may meet a reload to http
// mode, which serves it as any net.Conn.
func (l *listener) accept() (net.Conn, error) {
	fe, bind := l.fe.Load(), l.bind.Load()
	if fe.cfg.Mode != ModeTCP || bind.TLS != nil || fe.cfg.ClientKeepAlive.On {
		return l.ln.Accept()
	}
	raw, err := l.rawSocket()
	if raw == nil || err != nil {
		return l.ln.Accept()
	}
	loop := pickLoop()
	if loop == nil {
		return l.ln.Accept()
	}
	return loop.acceptRaw(raw)
}

// rawSocket is the listening socket's duplicate in a flowLoop's epoll
// set, made at the first call; nil for a socket other than TCP's or when
// no loop could be made. A duplicate, so that its number stays ours
// until we close it, whatever the net.Listener does with its own.
func (l *listener) rawSocket() (*sockConn, error) {
	l.rawMu.Lock()
	defer l.rawMu.Unlock()
	if l.raw != nil {
		return l.raw, nil
	}
	tl, ok := l.ln.(*net.TCPListener)
	loop := pickLoop()
	if !ok || loop == nil {
		return nil, nil
	}
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(lfd uintptr) { fd, derr = unix.FcntlInt(lfd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	raw := newSockConn(loop, fd, netip.AddrPort{})
	// A socket bound to one address (not transparent) accepts only
	// connections to it: their local address is known without asking.
	if a := addrPort(l.ln.Addr()); !a.Addr().IsUnspecified() && !l.bind.Load().Transparent {
		raw.local = a
	}
	if err := loop.register(raw, nil, 0); err != nil {
		unix.Close(fd)
		return nil, err
	}
	l.raw = raw
	return raw, nil
}
