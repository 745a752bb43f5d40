package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"fulcrum/proxy/srcbind"
)

// dialServer connects d to a server's addr from the server's `source`
// (its own, else its backend's), if any. A source that cannot be bound is
// reported as the reference does, once per attempt.
func (b *backend) dialServer(ctx context.Context, d net.Dialer, s *server, addr netip.AddrPort, sess *Session) (net.Conn, error) {
	src := s.cfg.Source
	if src == nil && !s.cfg.Socks4.IsValid() {
		return d.DialContext(ctx, "tcp", addr.String()) // no closure on the common path
	}
	var client netip.AddrPort
	if sess != nil {
		client = sess.Src
	}
	c, err := dialVia(ctx, s.cfg.Socks4, addr, d.Timeout, func(ctx context.Context, addr string) (net.Conn, error) {
		if src == nil {
			return d.DialContext(ctx, "tcp", addr)
		}
		return src.Dial(ctx, d, addr, client)
	})
	switch {
	case errors.Is(err, srcbind.ErrTransparent):
		b.engine.log(Alert, b.cfg.Name, fmt.Sprintf("Cannot bind to tproxy source address before connect() for backend %s.", b.cfg.Name))
	case errors.Is(err, srcbind.ErrBind):
		b.engine.log(Alert, b.cfg.Name, fmt.Sprintf("Cannot bind to source address before connect() for backend %s.", b.cfg.Name))
	}
	return c, err
}

// checkDialer is the check.Target.Dial of a server with a `source`:
// health checks bind the source address too (never the client's, as
// they have no client).
func checkDialer(s *Server) func(ctx context.Context, d net.Dialer, addr string) (net.Conn, error) {
	if s.Source == nil {
		return nil
	}
	return func(ctx context.Context, d net.Dialer, addr string) (net.Conn, error) {
		return s.Source.Dial(ctx, d, addr, netip.AddrPort{})
	}
}

// sourceUnbound reports a connection that failed before connecting, on
// its source address: the reference retries it at once, with no
// turn-around delay.
func sourceUnbound(err error) bool {
	return errors.Is(err, srcbind.ErrBind) || errors.Is(err, srcbind.ErrTransparent)
}
