package proxy

import (
	"crypto/tls"
	"net"
	"slices"
	"time"

	"fulcrum/proxy/logformat"
	"fulcrum/proxy/sample"
)

// TLS termination on `bind ... ssl crt` listeners: the handshake, and the
// session's TLS state for the ssl_* fetches.

// startTLS runs the TLS handshake on a connection of a TLS bind (after
// any PROXY header, whose extra bytes pre are the start of the
// handshake) under timeout client, and returns the connection to serve
// and what it already read (nothing: the handshake took pre). ok is
// false when the handshake failed: the connection is dropped without a
// log line of the usual form.
func startTLS(fe *frontend, bind Bind, cli net.Conn, pre []byte, sess *Session, rec *Record) (net.Conn, []byte, bool) {
	if bind.TLS == nil {
		return cli, pre, true
	}
	raw := cli
	if len(pre) > 0 {
		raw = &prefixConn{Conn: cli, pre: pre}
	}
	tc := tls.Server(raw, bind.TLS)
	if d := fe.cfg.TimeoutClient; d > 0 {
		tc.SetDeadline(time.Now().Add(d))
	}
	if err := tc.Handshake(); err != nil {
		rec.Term = [2]byte{termClientAbort, stateRequest}
		rec.HTTP = &HTTPRecord{} // no stream was created: no access line
		return cli, nil, false
	}
	tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	sess.tls = &st
	return tc, nil, true
}

// prefixConn reads pre before the connection's own bytes.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// TLSState is the client connection's TLS state (nil on a plain bind).
func (s *Session) TLSState() *tls.ConnectionState { return s.tls }

var _ sample.TLSEnv = (*Session)(nil)

// tlsValues fills the log values of a TLS client connection: %ft's '~',
// %sslc and %sslv.
func (r *Record) tlsValues(v *logformat.Values) {
	if r.sess == nil || r.sess.tls == nil {
		return
	}
	st := r.sess.tls
	v.SSL, v.SSLCipher, v.SSLVersion = true, sample.CipherName(st.CipherSuite), sample.ProtocolName(st.Version)
}

// withALPN wraps a bind's TLS configuration so that a client whose
// protocols the bind does not offer goes on without ALPN, as with
// OpenSSL, instead of failing the handshake.
func withALPN(cfg *tls.Config) *tls.Config {
	if len(cfg.NextProtos) == 0 {
		return cfg
	}
	plain := cfg.Clone()
	plain.NextProtos = nil
	out := cfg.Clone()
	out.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		for _, p := range hello.SupportedProtos {
			if slices.Contains(cfg.NextProtos, p) {
				return nil, nil
			}
		}
		return plain, nil
	}
	return out
}
