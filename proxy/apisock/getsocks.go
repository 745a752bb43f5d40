package apisock

import (
	"bufio"
	"net"
	"time"

	"fulcrum/proxy/sockxfer"
)

// getsocks answers `_getsocks` on a socket with `expose-fd listeners`:
// the engine's listening sockets go to the asking process (haproxy -x).
// Elsewhere the reference sends nothing; either way the session ends.
func (ss *session) getsocks(rd *bufio.Reader) {
	uc, ok := ss.conn.(*net.UnixConn)
	if !ok || !ss.expose {
		return
	}
	files := ss.srv.engine.ExportListeners()
	defer func() {
		for _, f := range files {
			f.File.Close()
		}
	}()
	socks := make([]sockxfer.Socket, len(files))
	for i, f := range files {
		socks[i] = sockxfer.Socket{FD: sockxfer.FD(f.File), Interface: f.Interface}
	}
	_ = ss.conn.SetDeadline(time.Now().Add(ss.timeout))
	if err := sockxfer.Send(uc, rd, socks); err != nil {
		ss.srv.logf("_getsocks: %v", err)
	}
}

func (l *listener) exposeFD() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sock.ExposeFD
}
