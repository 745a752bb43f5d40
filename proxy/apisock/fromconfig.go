package apisock

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
)

// FromConfig reads the Runtime API settings of a loaded configuration:
// the global `stats socket` and `stats timeout` lines and which proxies
// have an explicit id. Options it does not act on are warnings with their position;
// unusable values are alerts.
func FromConfig(hc *haproxy.Config) (Config, []confparse.Diagnostic) {
	var cfg Config
	var diags []confparse.Diagnostic
	warn := func(pos confparse.Pos, sev confparse.Severity, format string, a ...any) {
		diags = append(diags, confparse.Diagnostic{Pos: pos, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	if hc.Global.Section != nil {
		for _, d := range hc.Global.Section.Lines {
			if d.Keyword != "stats" || len(d.Args) < 2 {
				continue
			}
			switch d.Args[0] {
			case "socket":
				sock, err := parseSocket(d.Args[1], d.Args[2:], func(msg string) { warn(d.Pos, confparse.Warning, "%s", msg) })
				if err != nil {
					warn(d.Pos, confparse.Alert, "'stats socket' : %v", err)
					continue
				}
				cfg.Sockets = append(cfg.Sockets, sock)
			case "timeout":
				t, ok := parseTime(d.Args[1])
				if !ok || t <= 0 {
					warn(d.Pos, confparse.Alert, "'stats timeout' : invalid timeout value '%s'", d.Args[1])
					continue
				}
				cfg.Timeout = t
			}
		}
	}
	cfg.ForcedIDs = forcedIDs(hc)
	return cfg, diags
}

// forcedIDs are the proxies with an `id` line.
func forcedIDs(hc *haproxy.Config) map[string]bool {
	forced := map[string]bool{}
	for _, px := range hc.Proxies {
		if px.Section == nil {
			continue
		}
		for _, d := range px.Section.Lines {
			if d.Keyword == "id" && len(d.Args) > 0 {
				if n, err := strconv.Atoi(d.Args[0]); err == nil && n > 0 {
					forced[px.Name] = true
				}
			}
		}
	}
	return forced
}

// parseSocket reads a `stats socket` address and its bind options.
func parseSocket(addr string, opts []string, warn func(string)) (Socket, error) {
	sock := Socket{Network: "unix", Addr: addr, FD: -1, UID: -1, GID: -1, Level: LevelOperator}
	switch {
	case strings.HasPrefix(addr, "unix@"):
		sock.Addr = addr[len("unix@"):]
	case strings.HasPrefix(addr, "abns@"):
		sock.Addr = "@" + addr[len("abns@"):]
	case strings.HasPrefix(addr, "fd@"):
		n, err := strconv.Atoi(addr[len("fd@"):])
		if err != nil || n < 0 {
			return sock, fmt.Errorf("invalid file descriptor '%s'", addr)
		}
		sock.Network, sock.Addr, sock.FD = "fd", "", n
	case strings.HasPrefix(addr, "ipv4@"):
		sock.Network, sock.Addr = "tcp4", anyHost(addr[len("ipv4@"):], "0.0.0.0")
	case strings.HasPrefix(addr, "ipv6@"):
		sock.Network, sock.Addr = "tcp6", anyHost(bracketHost(addr[len("ipv6@"):]), "[::]")
	case !strings.HasPrefix(addr, "/") && strings.Contains(addr, ":"):
		// Without a prefix, "*" and an empty host are IPv4's any
		// address, as for a bind line.
		sock.Network, sock.Addr = "tcp", anyHost(addr, "0.0.0.0")
		if strings.HasPrefix(sock.Addr, "0.0.0.0:") {
			sock.Network = "tcp4"
		}
	}
	for i := 0; i < len(opts); i++ {
		kw, val := opts[i], arg(opts, i+1)
		switch kw {
		case "mode":
			m, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				return sock, fmt.Errorf("'mode' : invalid mode '%s'", val)
			}
			sock.Mode = os.FileMode(m)
			i++
		case "uid", "gid":
			n, err := strconv.Atoi(val)
			if err != nil {
				return sock, fmt.Errorf("'%s' : invalid %s '%s'", kw, kw, val)
			}
			if kw == "uid" {
				sock.UID = n
			} else {
				sock.GID = n
			}
			i++
		case "user":
			u, err := user.Lookup(val)
			if err != nil {
				return sock, fmt.Errorf("'user' : unknown user name '%s'", val)
			}
			sock.UID, _ = strconv.Atoi(u.Uid)
			i++
		case "group":
			g, err := user.LookupGroup(val)
			if err != nil {
				return sock, fmt.Errorf("'group' : unknown group name '%s'", val)
			}
			sock.GID, _ = strconv.Atoi(g.Gid)
			i++
		case "level":
			l, ok := map[string]Level{"user": LevelUser, "operator": LevelOperator, "admin": LevelAdmin}[val]
			if !ok {
				return sock, fmt.Errorf("'level' only supports 'user', 'operator', and 'admin' (got '%s')", val)
			}
			sock.Level = l
			i++
		case "expose-fd":
			if val != "listeners" {
				return sock, fmt.Errorf("'expose-fd' only supports 'listeners' (got '%s')", val)
			}
			sock.ExposeFD = true
			i++
		case "process", "thread":
			i++
		default:
			warn(fmt.Sprintf("'stats socket %s' : option '%s' is accepted but not acted on yet by Fulcrum.", addr, kw))
			if bindValued[kw] {
				i++
			}
		}
	}
	return sock, nil
}

// anyHost replaces the host "*" (or none) of host:port by any, the
// family's any address; net.Listen would look "*" up as a name.
func anyHost(hp, any string) string {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return hp
	}
	switch hp[:i] {
	case "*", "", "[*]", "[]":
		return any + hp[i:]
	}
	return hp
}

// bracketHost turns "::1:9999" into "[::1]:9999" for net.Listen; a
// bracketed address is kept.
func bracketHost(hp string) string {
	if strings.HasPrefix(hp, "[") {
		return hp
	}
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return hp
	}
	return "[" + hp[:i] + "]" + hp[i:]
}

// bindValued are the other bind options that take a value.
var bindValued = map[string]bool{"name": true, "maxconn": true, "backlog": true, "id": true, "interface": true,
	"nice": true, "severity-output": true, "mss": true, "namespace": true, "tcp-ut": true, "accept-netscaler-cip": true}
