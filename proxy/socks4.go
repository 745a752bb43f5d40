package proxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"fulcrum/proxy/check"
)

// errSocks4Denied is a SOCKS4 proxy's refusal of a CONNECT: a failed
// connection, retried like a refused one; a check reports it as a
// socket error with the reference's words.
var errSocks4Denied = errors.New("SOCKS4 Proxy deny the request")

// socks4UserID is the user id the reference sends in its requests.
const socks4UserID = "HAProxy"

// socks4Connect asks the SOCKS4 proxy at the other end of conn to
// connect to target (an IPv4 address: SOCKS4 has no other), and reads
// its answer, all before deadline.
func socks4Connect(conn net.Conn, target netip.AddrPort, deadline time.Time) error {
	if !target.Addr().Unmap().Is4() {
		return fmt.Errorf("SOCKS4 cannot reach %s: not an IPv4 address", target)
	}
	if !deadline.IsZero() {
		conn.SetDeadline(deadline)
		defer conn.SetDeadline(time.Time{})
	}
	// VN 4, CD 1 (CONNECT), port, address, user id, NUL.
	req := make([]byte, 0, 9+len(socks4UserID))
	req = append(req, 4, 1)
	req = binary.BigEndian.AppendUint16(req, target.Port())
	ip := target.Addr().Unmap().As4()
	req = append(req, ip[:]...)
	req = append(req, socks4UserID...)
	req = append(req, 0)
	if _, err := conn.Write(req); err != nil {
		return err
	}
	// VN 0, CD 90 (granted) or 91-93 (rejected), then port and address.
	var reply [8]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errSocks4Denied
		}
		return err
	}
	if reply[1] != 90 {
		return errSocks4Denied
	}
	return nil
}

// dialVia connects to addr through the server's SOCKS4 proxy when it has
// one (`socks4`), with dial reaching the proxy; directly otherwise.
func dialVia(ctx context.Context, socks netip.AddrPort, addr netip.AddrPort, timeout time.Duration,
	dial func(ctx context.Context, addr string) (net.Conn, error)) (net.Conn, error) {
	if !socks.IsValid() {
		return dial(ctx, addr.String())
	}
	start := time.Now()
	conn, err := dial(ctx, socks.String())
	if err != nil {
		return nil, err
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = start.Add(timeout)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if err := socks4Connect(conn, addr, deadline); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// checkDial is the check.Target.Dial of s: through its `source`, and
// through its SOCKS4 proxy with `check-via-socks4`; nil when neither
// applies. A proxy's refusal is the check's socket error.
func checkDial(s *Server) func(ctx context.Context, d net.Dialer, addr string) (net.Conn, error) {
	source := checkDialer(s)
	if !s.CheckViaSocks4 || !s.Socks4.IsValid() {
		return source
	}
	return func(ctx context.Context, d net.Dialer, addr string) (net.Conn, error) {
		target, err := netip.ParseAddrPort(addr)
		if err != nil {
			return nil, err
		}
		conn, err := dialVia(ctx, s.Socks4, target, d.Timeout, func(ctx context.Context, addr string) (net.Conn, error) {
			if source != nil {
				return source(ctx, d, addr)
			}
			return d.DialContext(ctx, "tcp", addr)
		})
		if errors.Is(err, errSocks4Denied) {
			return nil, &check.SocketError{Info: err.Error()}
		}
		return conn, err
	}
}
