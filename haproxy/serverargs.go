package haproxy

import (
	"fmt"
	"strings"

	"fulcrum/confparse"
)

// proxyV2Options are the values of a server's proxy-v2-options.
var proxyV2Options = setOf("ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key", "authority", "crc32c", "unique-id")

func init() {
	serverChecks["on-error"] = serverChoice("'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '%s'.",
		"fastinter", "fail-check", "sudden-death", "mark-down")
	serverChecks["on-marked-up"] = serverChoice("'on-marked-up' expects 'shutdown-backup-sessions' but got '%s'.", "shutdown-backup-sessions")
	serverChecks["proxy-v2-options"] = func(server, kw, val string) string {
		for _, o := range strings.Split(val, ",") {
			if !proxyV2Options[o] {
				return fmt.Sprintf("'%s' : proxy v2 option not implemented.", o)
			}
		}
		return ""
	}
	serverChecks["socks4"] = func(server, kw, val string) string {
		if i := strings.LastIndexByte(val, ':'); i >= 0 {
			if p := val[i+1:]; strings.Trim(p, "0123456789") == "" && atoi(p) > 65535 {
				return fmt.Sprintf("'socks4 %s' : invalid port '%s'.", val, p)
			}
		}
		return ""
	}
	serverChecks["pool-purge-delay"] = func(server, kw, val string) string {
		if _, msg := parseTime(val); msg != "" {
			return fmt.Sprintf("unexpected character '%c' in argument to <pool-purge-delay>..", badTimeChar(val))
		}
		return ""
	}
}

// templateRangeOK: "N" or "N-M" for server-template.
func templateRangeOK(v string) bool {
	lo, hi, isRange := strings.Cut(v, "-")
	return lo != "" && strings.Trim(lo, "0123456789") == "" && (!isRange || hi != "" && strings.Trim(hi, "0123456789") == "")
}

// serverMissing is the reference's message for a server option given
// without its value, where it is not the generic one.
var serverMissing = map[string]string{
	"source": "'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument..",
}

// serverSource checks a server's "source ADDR[:PORT[-PORT]] [usesrc
// ADDR|client|clientip|hdr_ip(...)] [interface NAME]" (words, from the
// address on). The reference's messages differ in shape from those of
// the proxy's "source" keyword: a bad source address comes wrapped in
// newlines, and a refused usesrc or interface is followed by a second,
// unlocated alert naming the keyword.
func (l *loader) serverSource(d line, who string, words []string) bool {
	if msg := serverSourceAddr(words[0]); msg != "" {
		l.alertBare(d.pos, fmt.Sprintf("%s : %s", who, msg))
		return false
	}
	for i := 1; i < len(words); i += 2 {
		kw, msg := words[i], ""
		switch {
		case kw == "usesrc" && i+1 >= len(words):
			msg = "'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument."
		case kw == "usesrc":
			msg = usesrcProblem(words[i+1])
		case i+1 >= len(words): // interface
			msg = "'server' : missing interface name."
		}
		if msg != "" {
			l.alertBare(d.pos, fmt.Sprintf("%s : %s", who, msg))
			l.emit(confparse.Alert, confparse.Pos{}, fmt.Sprintf("error encountered while processing '%s'.", kw))
			return false
		}
	}
	return true
}

// serverSourceAddr: a server's source address may carry a port range.
func serverSourceAddr(v string) string {
	addr, port := v, ""
	if i := strings.LastIndexByte(v, ':'); i >= 0 && !strings.HasSuffix(v, "]") {
		addr, port = v[:i], v[i+1:]
	}
	lo, hi, isRange := strings.Cut(port, "-")
	checked := v
	if isRange {
		checked = addr + ":" + lo
	}
	if msg := sourceAddrProblem(checked); msg != "" {
		if isRange {
			msg = strings.ReplaceAll(msg, "'"+checked+"'", "'"+v+"'")
		}
		return fmt.Sprintf("\n  'source %s' : %s\n  \n.", v, msg)
	}
	for _, p := range []string{lo, hi} {
		if p != "" && atoi(p) > 65535 {
			return fmt.Sprintf("'source %s' : invalid port '%s'.", v, p)
		}
	}
	return ""
}

// usesrcProblem checks a usesrc value (the server's and the proxy's
// "source" take the same).
func usesrcProblem(v string) string {
	if v == "client" || v == "clientip" || strings.HasPrefix(v, "hdr_ip(") {
		return ""
	}
	if msg := sourceAddrProblem(v); msg != "" {
		return fmt.Sprintf("'usesrc %s' : %s", v, addrMessage(msg))
	}
	if p := portOf(v); atoi(p) > 65535 {
		return fmt.Sprintf("'usesrc %s' : invalid port '%s'", v, p)
	}
	return ""
}

// resolverRef is a server naming a resolvers section, looked up once
// every section is read.
type resolverRef struct{ server, resolvers string }

// noteResolvers records the resolvers section a server (or one server
// of a template) names, if any.
func (l *loader) noteResolvers(px *Proxy, s *Server, name string) {
	r, ok := s.Options["resolvers"]
	if !ok {
		return
	}
	if l.resolverRefs == nil {
		l.resolverRefs = map[*Proxy][]resolverRef{}
	}
	l.resolverRefs[px] = append(l.resolverRefs[px], resolverRef{name, r})
}

// templateNames are the servers "server-template PREFIX NUM|LOW-HIGH"
// makes: PREFIX1..PREFIXNUM or PREFIXLOW..PREFIXHIGH.
func templateNames(prefix, rng string) []string {
	lo, hi := 1, atoi(rng)
	if a, b, ok := strings.Cut(rng, "-"); ok {
		lo, hi = atoi(a), atoi(b)
	}
	var names []string
	for n := lo; n <= hi && n-lo < 100000; n++ {
		names = append(names, fmt.Sprintf("%s%d", prefix, n))
	}
	return names
}
