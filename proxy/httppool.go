package proxy

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// Idle server connections, kept per server for reuse by later requests
// (http-reuse). Bounds are HAProxy's defaults: pool-purge-delay 5s; the
// count is capped so that a burst cannot pin descriptors forever.
const (
	idlePurgeDelay = 5 * time.Second
	idleMaxPerSrv  = 128
)

type idleConn struct {
	c     net.Conn
	since time.Time
}

// idlePool is one server's idle connections, the most recent last.
type idlePool struct {
	mu    sync.Mutex
	conns []idleConn
}

// put parks c for reuse; the oldest is closed when the pool is full.
func (p *idlePool) put(c net.Conn) {
	c.SetDeadline(time.Time{})
	p.mu.Lock()
	if len(p.conns) >= idleMaxPerSrv {
		p.conns[0].c.Close()
		p.conns = append(p.conns[:0], p.conns[1:]...)
	}
	p.conns = append(p.conns, idleConn{c: c, since: time.Now()})
	p.mu.Unlock()
}

// get returns a live idle connection, closing the ones that expired or
// that the server closed meanwhile; nil when there is none.
func (p *idlePool) get() net.Conn {
	now := time.Now()
	p.mu.Lock()
	// Expired ones are the oldest: drop them from the front.
	i := 0
	for i < len(p.conns) && now.Sub(p.conns[i].since) > idlePurgeDelay {
		p.conns[i].c.Close()
		i++
	}
	if i > 0 {
		n := copy(p.conns, p.conns[i:])
		clear(p.conns[n:])
		p.conns = p.conns[:n]
	}
	for len(p.conns) > 0 {
		last := len(p.conns) - 1
		c := p.conns[last].c
		p.conns[last] = idleConn{}
		p.conns = p.conns[:last]
		if alive(c) {
			p.mu.Unlock()
			return c
		}
		c.Close()
	}
	p.mu.Unlock()
	return nil
}

// closeAll closes every idle connection (engine stop).
func (p *idlePool) closeAll() {
	p.mu.Lock()
	for _, ic := range p.conns {
		ic.c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

// alive peeks at an idle connection without blocking: a server that closed
// it (EOF) or sent something unsolicited makes it unusable.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = err == syscall.EAGAIN
		return true
	})
	return ok
}

// closeIdle closes the idle server connections of a generation.
func (rt *runtime) closeIdle() {
	for _, b := range rt.backends {
		for _, s := range b.servers {
			s.idle.closeAll()
		}
	}
}
