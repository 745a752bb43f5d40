package proxy

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// addrPart is the part of a connection's address an address action sets.
type addrPart struct {
	dst  bool // the destination (set-dst*), else the source (set-src*)
	port bool // the port only (set-*-port), else the address
}

// addrActions are the actions that rewrite the client connection's
// addresses, in tcp-request and http-request rules alike.
var addrActions = map[string]addrPart{
	"set-src": {}, "set-src-port": {port: true},
	"set-dst": {dst: true}, "set-dst-port": {dst: true, port: true},
}

// addrAction maps set-src, set-src-port, set-dst and set-dst-port EXPR.
// As in the reference, the src/dst fetches, stick tables, balance
// source, forwardfor and the log's %ci/%cp/%fi/%fp see the change, for
// the rest of the stream: in http mode, the request (the next one starts
// from the connection's addresses again). isAddr is false when words are another action; do is
// nil when the action was refused (with an ALERT).
func (a *adapter) addrAction(pos confparse.Pos, kw string, words []string) (do func(*Session), isAddr bool) {
	part, ok := addrActions[first(words)]
	if !ok {
		return nil, false
	}
	if len(words) < 2 {
		a.alert(pos, "'%s %s' expects a sample expression.", kw, words[0])
		return nil, true
	}
	x, err := sample.ParseExpr(words[1], a.sampleOptions(pos))
	if err != nil {
		a.alert(pos, "'%s %s': %v.", kw, words[0], notBuilt(err))
		return nil, true
	}
	return func(s *Session) {
		v, ok := x.String(s)
		if !ok {
			return // a sample that cannot be fetched changes nothing
		}
		ap := &s.Src
		if part.dst {
			ap, s.dstSet = &s.Dst, true
		}
		*ap = withAddrPart(*ap, v, part.port)
	}, true
}

// withAddrPart is ap with its address or its port replaced by the sample
// value v; ap unchanged when v is none. A new address keeps the port,
// even of another family, as in the reference.
func withAddrPart(ap netip.AddrPort, v string, port bool) netip.AddrPort {
	if port {
		p, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || p < 0 || p > 65535 {
			return ap
		}
		return netip.AddrPortFrom(ap.Addr(), uint16(p))
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil {
		return ap
	}
	return netip.AddrPortFrom(addr.Unmap(), ap.Port())
}

// silenceClient makes the client connection go away without the client
// being told, for silent-drop. The ACK of what the client sent leaves
// first (TCP_QUICKACK), or the client would retransmit it and be answered
// with a reset; then, in TCP repair mode, the kernel sends nothing when
// the socket closes. Where repair mode is refused (it needs
// CAP_NET_ADMIN), the reference's fallback, a TTL of 1 on the reset, keeps
// it from crossing a router. Lingering is off either way, so the close
// discards what is queued instead of sending it.
func silenceClient(c net.Conn) {
	withSocket(c, func(fd uintptr) {
		s := int(fd)
		unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
		if unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, 1) != nil &&
			unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_TTL, 1) != nil {
			unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, 1)
		}
		unix.SetsockoptLinger(s, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	})
}

// dropClient ends the request without answering and closes the client
// connection (http-request reject), or lets it vanish without a word
// (silent-drop). As in the reference, the request counts as denied and is
// logged with the proxy's termination in the request state, status and
// %TR -1.
// It returns the rules' "answered" status.
func (h *httpConn) dropClient(silent bool) int {
	if silent {
		silenceClient(h.cli)
	}
	denied := func(c *Counters) { c.Denied.Add(1) }
	h.countStream(denied)
	h.lc.countListener(denied)
	h.r.Term = [2]byte{termProxy, stateRequest}
	h.hrec.Status, h.hrec.TReq = -1, -1 // the reference logs no %TR either
	h.finishTimers()
	h.log()
	return -1
}

// doAction maps the rule actions that act and go on: the stick-counter
// actions, the address actions, the ACL and map file actions,
// set-timeout, set-priority-class/-offset, do-resolve, disable-l7-retry, set-tos,
// set-mark, set-log-level with a severity, and set-var-fmt (http rules map set-var
// and unset-var themselves). isDo is false when words
// are another action; do is nil when the action was refused.
func (a *adapter) doAction(pos confparse.Pos, proxyName string, words []string, kw string) (do func(*Session), isDo bool) {
	if do, ok := a.stickAction(pos, proxyName, words, kw); ok {
		return do, true
	}
	if do, ok := a.addrAction(pos, kw, words); ok {
		return do, true
	}
	if do, ok := a.patternAction(pos, kw, words); ok {
		return do, true
	}
	if do, ok := a.setTimeoutAction(pos, kw, words); ok {
		return do, true
	}
	if do, ok := a.priorityAction(pos, kw, words); ok {
		return do, true
	}
	if do, ok := a.doResolveAction(pos, kw, words); ok {
		return do, true
	}
	if do, ok := a.spoeGroupAction(pos, proxyName, words, kw); ok { // fromspoe.go
		return do, true
	}
	if first(words) == "disable-l7-retry" && kw == "http-request" {
		return func(s *Session) {
			if s.http != nil {
				s.http.noL7Retry = true
			}
		}, true
	}
	if act := first(words); (act == "set-tos" || act == "set-mark") && len(words) > 1 {
		v, err := strconv.ParseInt(words[1], 0, 64) // the model checked it as strtol does
		if err != nil {
			a.alert(pos, "'%s %s': invalid value '%s'.", kw, act, words[1])
			return nil, true
		}
		return func(s *Session) { markClient(s.client, act == "set-mark", int(v)) }, true
	}
	if strings.HasPrefix(first(words), "set-var-fmt(") {
		return a.varAction(pos, words)
	}
	if first(words) == "set-log-level" && len(words) > 1 {
		if level, ok := syslogLevels[words[1]]; ok {
			return func(s *Session) { s.setLogLevel(level) }, true
		}
		if words[1] == "silent" && !strings.HasPrefix(kw, "http-") { // http rules: HTTPSilent
			return func(s *Session) { s.logLevel = logSilent }, true
		}
	}
	return nil, false
}

// syslogLevels are the syslog severities by name.
var syslogLevels = map[string]uint8{"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7}

// logSilent is Session.logLevel for `set-log-level silent`.
const logSilent = 0xff

// setLogLevel is set-log-level LEVEL: the stream is logged at that
// severity whatever its outcome, as the reference does. The last rule
// that runs wins: a level after `silent` logs the request again.
func (s *Session) setLogLevel(level uint8) {
	s.logLevel = level + 1
	if s.http != nil {
		s.http.r.Log = s.http.fe.cfg.Log // undoes an earlier http silent
	}
}

// endRejected ends a rejected connection in order, as the reference does:
// it reads and drops what the client has sent so far, without waiting
// (the reference reads what is there before its content rules run), then
// sends its FIN. Closing over unread bytes would reset the connection;
// the FIN first means that bytes landing between the drain and the close
// still reach a client that has already seen the orderly end.
func endRejected(c net.Conn) {
	var scratch [4096]byte
	withSocket(c, func(fd uintptr) {
		defer unix.Shutdown(int(fd), unix.SHUT_WR)
		// Bounded: a client streaming faster than this reads gets the
		// reset it would get from the reference too.
		for range 16 {
			if n, e := rawIOFlags(unix.SYS_RECVFROM, fd, scratch[:], unix.MSG_DONTWAIT); e != 0 || n < len(scratch) {
				return
			}
		}
	})
}

// markClient sets the client connection's packets' TOS (IPv4) or traffic
// class (IPv6), or their netfilter mark (mark): set-tos and set-mark.
func markClient(c net.Conn, mark bool, v int) {
	v6 := false
	if c != nil {
		if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
			v6 = a.IP.To4() == nil
		}
	}
	withSocket(c, func(fd uintptr) {
		switch {
		case mark:
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, v)
		case v6:
			unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_TCLASS, v)
		default:
			unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TOS, v)
		}
	})
}

// withSocket runs fn on the descriptor of a client connection (under a
// TLS one, its TCP connection's); nothing when it has none.
func withSocket(c net.Conn, fn func(fd uintptr)) {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	if rc, err := sc.SyscallConn(); err == nil {
		rc.Control(fn)
	}
}
