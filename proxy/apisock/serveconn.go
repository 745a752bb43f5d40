package apisock

import (
	"net"
	"time"
)

// ServeConn serves one already connected client at level, like a session
// of a socket: a master-worker master forwards its CLI's `@<pid>`
// commands to a worker this way.
func (s *Server) ServeConn(c net.Conn, level Level) {
	s.startSession(&session{srv: s, conn: c, level: level, timeout: s.config().Timeout, start: time.Now()})
}

// startSession registers and runs a session; false (the connection
// closed) once the server is closed.
func (s *Server) startSession(ss *session) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ss.conn.Close()
		return false
	}
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	go ss.run()
	return true
}
