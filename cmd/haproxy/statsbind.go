package main

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"fulcrum/haproxy"
	"fulcrum/proxy"
)

// statsBindError words a stats socket that could not be bound as the
// reference does: the `stats socket` line, the system's words and the
// address ("Binding [f:l] for frontend GLOBAL: cannot bind socket
// (Address already in use) for [127.0.0.1:9999]", "cannot bind UNIX
// socket (No such file or directory) [/path]").
func statsBindError(cfg *haproxy.Config, err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Addr == nil {
		return fmt.Errorf("Starting frontend GLOBAL: cannot bind socket: %v", err)
	}
	addr := op.Addr.String()
	where := "Starting frontend GLOBAL"
	if d, ok := statsSocketLine(cfg, op.Addr); ok {
		where = fmt.Sprintf("Binding [%s:%d] for frontend GLOBAL", d.Pos.File, d.Pos.Line)
	}
	if strings.HasPrefix(op.Net, "unix") {
		return fmt.Errorf("%s: cannot bind UNIX socket (%s) [%s]", where, proxy.Strerror(op.Err), addr)
	}
	return fmt.Errorf("%s: cannot bind socket (%s) for [%s]", where, proxy.Strerror(op.Err), addr)
}

// statsSocketLine finds the `stats socket` line of an address.
func statsSocketLine(cfg *haproxy.Config, a net.Addr) (haproxy.Directive, bool) {
	if cfg.Global.Section == nil {
		return haproxy.Directive{}, false
	}
	for _, d := range cfg.Global.Section.Lines {
		if d.Keyword != "stats" || len(d.Args) < 2 || d.Args[0] != "socket" {
			continue
		}
		spec := d.Args[1]
		if i := strings.Index(spec, "@"); i >= 0 {
			spec = spec[i+1:]
		}
		if spec == a.String() || strings.HasPrefix(a.Network(), "tcp") && sameHostPort(spec, a.String()) {
			return d, true
		}
	}
	return haproxy.Directive{}, false
}

// sameHostPort compares two host:port words as addresses ("*:80" and
// "0.0.0.0:80" are one).
func sameHostPort(a, b string) bool {
	ah, ap, err1 := net.SplitHostPort(a)
	bh, bp, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || ap != bp {
		return false
	}
	norm := func(h string) string {
		if h == "*" || h == "" {
			return "0.0.0.0"
		}
		return h
	}
	return norm(ah) == norm(bh)
}
