package proxy

import (
	"errors"
	"io"
	"net"
	"time"

	"fulcrum/proxy/sample"
)

// tcp-response content rules and stick store-response rules in tcp mode:
// the server's first bytes are read and held (up to the backend's
// `tcp-response inspect-delay`, until every rule can be decided, as for
// the request side's inspection), the rules run on them, the
// store-response rules learn from them, and what was read is forwarded
// before the tunnel starts. Without an inspect delay the rules run at
// once on nothing, as the reference's do when the connection is
// established: conditions on the response's content then do not match.

var _ sample.ResponseData = (*Session)(nil)

// ResBuffered returns the response bytes read for inspection and
// whether no more can arrive.
func (s *Session) ResBuffered() ([]byte, bool) { return s.ResPayload, s.ResComplete }

// InResponse reports whether an expression runs on the response.
func (s *Session) InResponse() bool { return s.inResponse }

// inspectsResponse reports whether a stream through bc reads the
// response before its tunnel.
func (bc *Backend) inspectsResponse() bool {
	if len(bc.ResponseRules) > 0 {
		return true
	}
	for i := range bc.Stick {
		if bc.Stick[i].Store && bc.Stick[i].Response {
			return true
		}
	}
	return false
}

// answerBeforeTunnel runs the response inspection of a stream about to
// tunnel (inspectResponse) and forwards what it read. sent is how many
// request bytes reached the server so far (the inspected ones first);
// done tells the stream ended there: the rules rejected it or closed
// the server's side, or the client went away, its record and counters
// then say so. counters are the stream's, as addBytes takes them.
func (b *backend) answerBeforeTunnel(cli, srvConn net.Conn, s *server, sess *Session, rec *Record, sent int64, counters []*Counters) (res []byte, sentNow int64, done bool) {
	res, forwarded, act := b.inspectResponse(cli, srvConn, s, sess)
	sent += forwarded
	end := func(out int64, term [2]byte) ([]byte, int64, bool) {
		rec.BytesIn, rec.BytesOut, rec.Term = sent, out, term
		addBytes(counters, sent, out, nil)
		return res, sent, true
	}
	switch {
	case act == Reject:
		for _, c := range counters {
			if c != nil {
				c.DeniedResps.Add(1)
			}
		}
		// What was read counts, as in the reference.
		return end(int64(len(res)), [2]byte{termProxy, stateData})
	case len(res) > 0:
		if _, err := cli.Write(res); err != nil {
			return end(0, [2]byte{termClientAbort, stateData})
		}
	}
	if act == CloseServer {
		return end(int64(len(res)), rec.Term)
	}
	return res, sent, false
}

// inspectResponse reads what the rules need of srv's response, runs the
// tcp-response rules and, unless they reject, the store-response rules
// for s. It returns the bytes read, which the caller forwards (or, on a
// reject, drops), the request bytes copied to the server meanwhile, and
// the final action of the rules (Accept, Reject or CloseServer).
func (b *backend) inspectResponse(cli, srvConn net.Conn, s *server, sess *Session) (res []byte, forwarded int64, act Action) {
	bc := b.cfg
	var buf []byte
	sess.ResPayload, sess.ResComplete = nil, bc.ResponseInspectDelay <= 0
	if !sess.ResComplete {
		// The request goes on meanwhile: the server may wait for more
		// of it before it answers.
		stop := forwardRequest(cli, srvConn)
		defer func() { forwarded = stop() }()
		srvConn.SetReadDeadline(time.Now().Add(bc.ResponseInspectDelay))
		buf = make([]byte, 0, maxInspect)
		for {
			sess.ResPayload = buf
			if sess.ResComplete || b.responseDecided(sess) {
				break
			}
			n, err := srvConn.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil || len(buf) == cap(buf) {
				sess.ResComplete = true
			}
		}
		srvConn.SetReadDeadline(time.Time{})
	}
	sess.ResComplete = true
	sess.inResponse = true
	defer func() { sess.inResponse = false }()
	act = finalAction(bc.ResponseRules, sess)
	if act != Reject {
		b.stickStore(sess, s, true)
	}
	return buf, 0, act
}

// forwardRequest copies what the client sends to the server until the
// returned stop is called, and passes a half-close on; stop returns the
// bytes copied. The tunnel takes over from there.
func forwardRequest(cli, srv net.Conn) (stop func() int64) {
	var n int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 16384)
		for {
			m, err := cli.Read(buf)
			if m > 0 {
				if _, werr := srv.Write(buf[:m]); werr != nil {
					return
				}
				n += int64(m)
			}
			if errors.Is(err, io.EOF) {
				closeWrite(srv)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return func() int64 {
		// A deadline in the past ends the copy's waits; the tunnel
		// sets its own.
		past := time.Unix(1, 0)
		cli.SetReadDeadline(past)
		srv.SetWriteDeadline(past)
		<-done
		cli.SetReadDeadline(time.Time{})
		srv.SetWriteDeadline(time.Time{})
		return n
	}
}

// responseDecided reports whether every tcp-response rule and
// store-response condition can be evaluated on the response so far.
func (b *backend) responseDecided(sess *Session) bool {
	sess.inResponse = true
	defer func() { sess.inResponse = false }()
	for _, r := range b.cfg.ResponseRules {
		if r.Cond != nil && r.Cond(sess) == Unknown {
			return false
		}
	}
	for i := range b.cfg.Stick {
		r := &b.cfg.Stick[i]
		if r.Store && r.Response && r.Cond != nil && r.Cond(sess) == Unknown {
			return false
		}
	}
	return true
}
