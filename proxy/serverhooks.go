package proxy

import (
	"net"
	"sync"
)

// ServerHooks are what runs at a stream's server side: Session once
// its server connection is established, Response when the first
// response data arrive (before they are forwarded). SPOE's
// on-server-session and on-tcp-response events use them (fromspoe.go);
// in http mode Response is a response rule instead.
type ServerHooks struct {
	Session, Response []func(*Session)
}

// run runs the Session hooks.
func (h *ServerHooks) run(s *Session) {
	for _, do := range h.Session {
		do(s)
	}
}

// connected runs the Session hooks of a tcp stream that reached its
// server and gives the connection to relay: c itself, or c with the
// Response hooks run at its first read.
func (h *ServerHooks) connected(s *Session, c net.Conn) net.Conn {
	h.run(s)
	if len(h.Response) == 0 {
		return c
	}
	return &firstReadConn{Conn: c, first: func() {
		for _, do := range h.Response {
			do(s)
		}
	}}
}

// firstReadConn runs first once, when its first read returns (data or
// the server's end), before the caller sees what was read: the stream
// waits for it as the reference's response inspection does.
type firstReadConn struct {
	net.Conn
	once  sync.Once
	first func()
}

func (c *firstReadConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.once.Do(c.first)
	return n, err
}

// CloseWrite forwards a client's end to the server (tunnel.go).
func (c *firstReadConn) CloseWrite() error {
	closeWrite(c.Conn)
	return nil
}
