package haproxy

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// systemResolve asks the system (hosts file, then DNS) like getaddrinfo.
// Like the C library, it refuses names with characters a host name
// cannot hold before looking anything up.
func systemResolve(host string) bool {
	if !hostnameChars(host) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := &net.Resolver{PreferGo: true}
	addrs, err := r.LookupIPAddr(ctx, host)
	return err == nil && len(addrs) > 0
}

func hostnameChars(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// addrKind tells parseAddr which rules apply.
type addrKind int

const (
	addrBind   addrKind = iota // port (range) required, names resolved now
	addrServer                 // port optional or relative, names resolved later
	addrLog                    // port optional, names resolved now
)

var familyPrefixes = []string{"ipv4@", "ipv6@", "unix@", "abns@", "fd@", "sockpair@", "udp@", "udp4@", "udp6@",
	"tcp@", "tcp4@", "tcp6@", "uxst@", "uxdg@", "stream+", "dgram+"}

// parseAddr reads "[family@]host[:port]" or a path. It returns the
// address and the reference's error text, if any.
func (l *loader) parseAddr(orig string, kind addrKind) (Address, string) {
	var a Address
	// Addresses expand $NAME and ${NAME} themselves, quoted or not; the
	// messages show the address as written.
	s := envExpand(orig, l.opt.Build.Env)
	if s == "" && kind == addrServer {
		return a, fmt.Sprintf("'%s' resolves to an empty address (environment variable missing?)\n", orig)
	}
	rest := s
	if strings.HasPrefix(rest, "quic4@") || strings.HasPrefix(rest, "quic6@") {
		family := map[bool]int{true: 2, false: 10}[strings.HasPrefix(rest, "quic4@")]
		return a, fmt.Sprintf("unsupported stream protocol for datagram family %d address '%s'; QUIC is not compiled in if this is what you were looking for.", family, orig)
	}
	for _, p := range familyPrefixes {
		if strings.HasPrefix(rest, p) {
			a.Family = strings.TrimSuffix(strings.TrimSuffix(p, "@"), "+")
			rest = rest[len(p):]
			break
		}
	}
	switch a.Family {
	case "unix", "abns", "uxst", "uxdg":
		a.Path = rest
		return a, ""
	case "fd", "sockpair":
		a.Path = rest
		return a, ""
	}
	if strings.HasPrefix(rest, "/") && a.Family == "" {
		a.Family, a.Path = "unix", rest
		return a, ""
	}
	host, port, hasPort := splitHostPort(rest)
	a.Host = host
	switch kind {
	case addrBind:
		if !hasPort || port == "" || port[0] == '$' {
			return a, fmt.Sprintf("missing port specification in '%s'", orig)
		}
		if port[0] == '+' || port[0] == '-' {
			return a, fmt.Sprintf("port offset not permitted here in '%s'", orig)
		}
		if port[0] < '0' || port[0] > '9' {
			return a, fmt.Sprintf("invalid character '%c' in port number '%s' in '%s'", port[0], port, orig)
		}
		loText, hiText, isRange := strings.Cut(port, "-")
		lo := atoi(loText)
		if lo < 1 || lo > 65535 {
			return a, fmt.Sprintf("invalid port '%s'", loText)
		}
		hi := lo
		if isRange {
			hi = atoi(hiText)
			if hi < 1 || hi > 65535 {
				return a, fmt.Sprintf("invalid port '%s'", hiText)
			}
			if hi < lo {
				return a, fmt.Sprintf("invalid port range '%s'", port)
			}
		}
		a.Port, a.PortHi = lo, hi
	case addrServer, addrLog:
		if hasPort && port != "" {
			if port[0] == '+' || port[0] == '-' {
				a.Offset = port
			} else {
				for i := 0; i < len(port); i++ {
					if port[i] < '0' || port[i] > '9' {
						return a, fmt.Sprintf("invalid character '%c' in port number '%s' in '%s'\n", port[i], port, orig)
					}
				}
				n, _ := strconv.Atoi(port)
				if n > 65535 {
					return a, fmt.Sprintf("invalid port '%s'", port)
				}
				a.Port = n
			}
		}
	}
	if kind != addrServer && !isIPOrAny(host) && !l.opt.Resolve(host) {
		return a, fmt.Sprintf("invalid address: '%s' in '%s'", host, orig)
	}
	return a, ""
}

// splitHostPort cuts at the last colon, honouring [v6] brackets.
func splitHostPort(s string) (host, port string, hasPort bool) {
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "]"); end > 0 {
			host = s[1:end]
			rest := s[end+1:]
			if strings.HasPrefix(rest, ":") {
				return host, rest[1:], true
			}
			return host, "", false
		}
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// isIPOrAny is true for "", "*" and literal IPv4/IPv6 addresses.
func isIPOrAny(host string) bool {
	if host == "" || host == "*" || host == "::" {
		return true
	}
	return net.ParseIP(host) != nil || inetAton(host)
}

// inetAton accepts the numeric forms the C library resolves without a
// lookup: one to four parts, each decimal, octal (leading 0) or
// hexadecimal (0x), as in "10.1" or "192".
func inetAton(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		digits := "0123456789"
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			p, digits = p[2:], "0123456789abcdefABCDEF"
		case len(p) > 1 && p[0] == '0':
			digits = "01234567"
		}
		if p == "" || strings.Trim(p, digits) != "" {
			return false
		}
	}
	return true
}

var logFacilities = setOf("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
	"ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")

var logLevels = setOf("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

// parseLog reads a "log" line: "global", or a target, optional "len",
// "format" and "sample" settings, a facility and optional levels.
func (l *loader) parseLog(d line) (Log, bool) {
	if d.mod == "no" {
		return Log{}, false
	}
	args := d.args
	if len(args) == 1 && args[0] == "global" {
		if l.kind == "global" {
			l.alert(d.pos, "log : 'global' is not supported for a global syslog server")
			return Log{}, false
		}
		return Log{Global: true}, true
	}
	if len(args) < 2 {
		if l.kind == "global" {
			l.alert(d.pos, "log : expects <address> and <facility>  as arguments")
		} else {
			l.alert(d.pos, "log : expects <address> and <facility> or global as arguments")
		}
		return Log{}, false
	}
	lg := Log{Target: args[0]}
	i := 1
	for i+1 < len(args) && (args[i] == "len" || args[i] == "format" || args[i] == "sample") {
		if args[i] == "format" && !logFormats[args[i+1]] {
			l.alert(d.pos, fmt.Sprintf("log : unknown log format '%s'", args[i+1]))
			return Log{}, false
		}
		i += 2
	}
	if i >= len(args) {
		l.alert(d.pos, "log : expects <address> and <facility> or global as arguments")
		return Log{}, false
	}
	if t := lg.Target; !(t == "stdout" || t == "stderr" || strings.HasPrefix(t, "ring@") || strings.HasPrefix(t, "/")) {
		if _, msg := l.parseAddr(t, addrLog); msg != "" {
			l.alert(d.pos, "log : "+msg+"\n")
			return Log{}, false
		}
	}
	lg.Facility = args[i]
	if !logFacilities[lg.Facility] {
		l.alert(d.pos, fmt.Sprintf("log : unknown log facility '%s'", lg.Facility))
		return Log{}, false
	}
	if i+1 < len(args) {
		lg.Level = args[i+1]
		if !logLevels[lg.Level] {
			l.alert(d.pos, fmt.Sprintf("log : unknown optional log level '%s'", lg.Level))
			return Log{}, false
		}
		if i+2 < len(args) && !logLevels[args[i+2]] {
			l.alert(d.pos, fmt.Sprintf("log : unknown optional minimum log level '%s'", args[i+2]))
			return Log{}, false
		}
	}
	return lg, true
}

// envExpand replaces $NAME and ${NAME} (unset: empty) the way the
// reference expands addresses: a name is letters, digits and '_', and a
// brace is closed only if '}' follows the name.
func envExpand(s string, env func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		brace := j < len(s) && s[j] == '{'
		if brace {
			j++
		}
		start := j
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if env != nil {
			v, _ := env(s[start:j])
			b.WriteString(v)
		}
		if brace && j < len(s) && s[j] == '}' {
			j++
		}
		i = j - 1
	}
	return b.String()
}
