package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"syscall"
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
	var raw net.Conn = cli
	if len(pre) > 0 {
		raw = &prefixConn{Conn: cli, pre: pre}
	}
	counted := &countingConn{Conn: raw, got: len(pre) > 0}
	tc := tls.Server(counted, bind.TLS)
	if d := fe.cfg.TimeoutClient; d > 0 {
		tc.SetDeadline(time.Now().Add(d))
	}
	if err := tc.Handshake(); err != nil {
		rec.Term = [2]byte{termClientAbort, stateRequest}
		rec.connError = handshakeError(err, counted.got)
		rec.connError.listener = listenerName(fe, bind)
		return cli, nil, false
	}
	tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	sess.tls = &st
	return tc, nil, true
}

// listenerName is how the reference names a listener in connection
// error lines: its name, else its number among the frontend's.
func listenerName(fe *frontend, bind Bind) string {
	if bind.Name != "" {
		return bind.Name
	}
	for i, b := range fe.cfg.Binds {
		if b.Addr == bind.Addr {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
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

// connError is how a connection ended before any stream: the reference
// logs it as "CLIENT [DATE] FRONTEND/LISTENER: MESSAGE".
type connError struct {
	listener string // the bind's name, else its number in the frontend
	msg      string
	empty    bool // nothing was received (not logged under dontlognull)
	silent   bool // no line at all
}

// rejectedConn is the line of a connection refused by tcp-request
// connection or session rules: none, as with the reference, but for a
// session refused after a TLS handshake, which the reference logs as a
// connection error with the message "Success".
func rejectedConn(fe *frontend, bind Bind, handshaken bool) *connError {
	if bind.TLS != nil && handshaken {
		return &connError{listener: listenerName(fe, bind), msg: "Success"}
	}
	return &connError{silent: true}
}

// connErrorPrefix renders the line's client, accept date and frontend.
var connErrorPrefix = func() *logformat.Format {
	f, err := logformat.Compile("%ci:%cp [%tr] %f/", logformat.Options{HTTP: true})
	if err != nil {
		panic(err)
	}
	return f
}()

func (c *connError) appendLine(dst []byte, r *Record) []byte {
	v := valuesPool.Get().(*logformat.Values)
	defer valuesPool.Put(v)
	*v = logformat.Values{Client: r.Client, Accept: r.Accept, FrontendName: r.Frontend}
	dst = connErrorPrefix.Render(dst, v)
	return append(append(append(dst, c.listener...), ": "...), c.msg...)
}

func (c *connError) level(l *AccessLog) (int, bool) {
	if c.silent || l.DontLogNull && c.empty {
		return 0, true
	}
	if l.SeparateErrors {
		return levelErr, false
	}
	return levelInfo, false
}

// handshakeError names a failed handshake as the reference does.
func handshakeError(err error, got bool) *connError {
	var ne net.Error
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownCA) || errors.As(err, &invalid):
		return &connError{msg: "SSL client certificate not trusted"}
	case errors.As(err, &ne) && ne.Timeout():
		return &connError{msg: "Timeout during SSL handshake", empty: !got}
	case !got && errors.Is(err, io.EOF):
		return &connError{msg: "Connection closed during SSL handshake", empty: true}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF):
		return &connError{msg: "Connection error during SSL handshake", empty: !got}
	}
	return &connError{msg: "SSL handshake failure"}
}

// countingConn notes whether any byte was read.
type countingConn struct {
	net.Conn
	got bool
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.got = true
	}
	return n, err
}
