package haproxy

import (
	"fmt"
	"net"
	"strings"
)

// serverOptionCheck validates one server option's value; it returns the
// reference's message (after "'server be/s' : ") or "".
type serverOptionCheck func(server, kw, val string) string

// serverTime checks a time option; the reference names the wrong option
// ('agent-inter') for the check intervals, and we print what it prints.
func serverTime(named string) serverOptionCheck {
	return func(server, kw, val string) string {
		if _, msg := parseTime(val); msg != "" && val != "" {
			bad := val[0]
			for i := 0; i < len(val); i++ {
				if val[i] < '0' || val[i] > '9' {
					bad = val[i]
					if _, ok := timeUnits[val[i:]]; ok {
						bad = val[len(val)-1]
					}
					break
				}
			}
			return fmt.Sprintf("unexpected character '%c' in '%s' argument of server %s..", bad, named, server)
		}
		return ""
	}
}

func serverPositive(msg string) serverOptionCheck {
	return func(server, kw, val string) string {
		if atoi(val) <= 0 {
			return fmt.Sprintf(msg, kw)
		}
		return ""
	}
}

func serverChoice(msg string, values ...string) serverOptionCheck {
	return func(server, kw, val string) string {
		for _, v := range values {
			if val == v {
				return ""
			}
		}
		return fmt.Sprintf(msg, val)
	}
}

// serverChecks are the server options whose values the reference checks
// while parsing.
var serverChecks = map[string]serverOptionCheck{
	"inter":          serverTime("agent-inter"),
	"fastinter":      serverTime("agent-inter"),
	"downinter":      serverTime("agent-inter"),
	"agent-inter":    serverTime("agent-inter"),
	"slowstart":      serverTime("slowstart"),
	"rise":           serverPositive("'%s' has to be > 0.."),
	"fall":           serverPositive("'%s' has to be > 0.."),
	"error-limit":    serverPositive("error-limit has to be > 0..%.0s"),
	"id":             serverPositive("'id' : custom id has to be > 0.%.0s"),
	"resolve-prefer": serverChoice("'resolve-prefer' expects either ipv4 or ipv6 as argument..%.0s", "ipv4", "ipv6"),
	"on-marked-down": serverChoice("'on-marked-down' expects 'shutdown-sessions' but got '%s'.", "shutdown-sessions"),
	"observe":        serverChoice("'observe' expects one of 'none', 'layer4', 'layer7' but got '%s'.", "none", "layer4", "layer7"),
	"verify":         serverChoice("'verify' : unknown verify method '%s', only 'none' and 'required' are supported.", "none", "required"),
	"ssl-min-ver":    serverChoice("'%s' : unknown ssl/tls version.", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
	"ssl-max-ver":    serverChoice("'%s' : unknown ssl/tls version.", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
	"proto":          serverChoice("'proto' :  unknown MUX protocol '%s'.", "h2", "h1", "fcgi", "none"),
	"check-proto":    serverChoice("'check-proto' :  unknown MUX protocol '%s'.", "h2", "h1", "fcgi", "none"),
	"weight": func(server, kw, val string) string {
		if n := atoi(val); n < 0 || n > 256 {
			return fmt.Sprintf("weight of server %s is not within 0 and 256 (%d)..", server, n)
		}
		return ""
	},
	"init-addr": func(server, kw, val string) string {
		for _, m := range strings.Split(val, ",") {
			if m != "libc" && m != "last" && m != "none" && net.ParseIP(m) == nil {
				return fmt.Sprintf("'init-addr' : unknown init-addr method '%s', supported methods are 'libc', 'last', 'none'..", m)
			}
		}
		return ""
	},
}

// ServerParams are the typed settings of a server the engines use.
type ServerParams struct {
	Check     bool     `json:"check,omitempty"`
	Backup    bool     `json:"backup,omitempty"`
	Disabled  bool     `json:"disabled,omitempty"`
	SSL       bool     `json:"ssl,omitempty"`
	Weight    int      `json:"weight"`
	MaxConn   int      `json:"maxconn,omitempty"`
	InterMS   int64    `json:"inter_ms"`
	Rise      int      `json:"rise"`
	Fall      int      `json:"fall"`
	CheckPort int      `json:"check_port,omitempty"`
	InitAddr  []string `json:"init_addr,omitempty"`
}

// Params reads the server's options into typed settings, with the
// reference's defaults (weight 1, inter 2s, rise 2, fall 3).
func (s *Server) Params() ServerParams {
	p := ServerParams{Weight: 1, InterMS: 2000, Rise: 2, Fall: 3}
	has := func(k string) bool { _, ok := s.Options[k]; return ok }
	p.Check = has("check") && !has("no-check")
	p.Backup = has("backup") && !has("no-backup")
	p.Disabled = has("disabled")
	p.SSL = has("ssl") && !has("no-ssl")
	if v, ok := s.Options["weight"]; ok {
		p.Weight = atoi(v)
	}
	if v, ok := s.Options["inter"]; ok {
		if ms, msg := parseTime(v); msg == "" {
			p.InterMS = ms
		}
	}
	if v, ok := s.Options["rise"]; ok {
		p.Rise = atoi(v)
	}
	if v, ok := s.Options["fall"]; ok {
		p.Fall = atoi(v)
	}
	p.MaxConn = atoi(s.Options["maxconn"])
	p.CheckPort = atoi(s.Options["port"])
	if v := s.Options["init-addr"]; v != "" {
		p.InitAddr = strings.Split(v, ",")
	}
	return p
}

// bindChecks are the bind options whose values the reference checks while
// parsing; each returns its message (after "'bind ADDR' in section 'S' : ").
var bindChecks = map[string]func(val string) string{
	"mode": func(v string) string {
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '7' {
				return fmt.Sprintf("'mode' : missing or invalid mode '%s' (octal integer expected)", v)
			}
		}
		return ""
	},
	"ssl-min-ver": sslVersion,
	"ssl-max-ver": sslVersion,
	"verify": func(v string) string {
		if v != "none" && v != "optional" && v != "required" {
			return fmt.Sprintf("'verify' : unknown verify method '%s', only 'none', 'optional', and 'required' are supported", v)
		}
		return ""
	},
	"process": func(v string) string {
		if !singleProcess(v) {
			return fmt.Sprintf("'process' : '%s' is not a valid number/range. It supports numbers from 1 to 1.", v)
		}
		return ""
	},
	"mss": func(v string) string {
		if n := atoi(v); n == 0 || n > 65535 || n < -65535 {
			return "'mss' : expects an MSS with and absolute value between 1 and 65535"
		}
		return ""
	},
	"tcp-ut": func(v string) string {
		if ms, msg := parseTime(v); msg != "" || ms <= 0 {
			return "'tcp-ut' : expects a positive delay in milliseconds"
		}
		return ""
	},
	"level": func(v string) string {
		if v != "user" && v != "operator" && v != "admin" {
			return fmt.Sprintf("'level' only supports 'user', 'operator', and 'admin' (got '%s')", v)
		}
		return ""
	},
	"severity-output": func(v string) string {
		if v != "none" && v != "number" && v != "string" {
			return fmt.Sprintf("'severity-output' only supports 'none', 'number', and 'string' (got '%s')", v)
		}
		return ""
	},
	"proto": func(v string) string {
		if v != "h2" && v != "h1" && v != "fcgi" && v != "none" {
			return fmt.Sprintf("'proto' :  unknown MUX protocol '%s'", v)
		}
		return ""
	},
	"id": func(v string) string {
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return fmt.Sprintf("'id' : expects an integer argument, found '%s'", v)
			}
		}
		return ""
	},
}

func sslVersion(v string) string {
	switch v {
	case "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3":
		return ""
	}
	return fmt.Sprintf("'%s' : unknown ssl/tls version", v)
}

// bindMissing is the reference's message for a bind option given without
// its value.
var bindMissing = map[string]string{
	"name":      "'name' : missing name",
	"alpn":      "'alpn' : missing the comma-delimited ALPN protocol suite",
	"interface": "'interface' : missing interface name",
	"crt":       "'crt' : missing certificate location",
}
