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
	// sic: the reference prints a NUL as the bad character, which ends its message
	"slowstart":        "unexpected character '.",
	"addr":             "'addr' expects <ipv4|ipv6> as argument..",
	"agent-addr":       "'agent-addr' expects an address as argument..",
	"agent-inter":      "'agent-inter' expects a delay as argument..",
	"agent-port":       "'agent-port' expects a port number as argument..",
	"agent-send":       "'agent-send' expects a string as argument..",
	"alpn":             "'alpn' : missing the comma-delimited ALPN protocol suite.",
	"ca-file":          "'ca-file' : missing CAfile path.",
	"check-alpn":       "'check-alpn' : missing the comma-delimited ALPN protocol suite.",
	"check-proto":      "'check-proto' : missing value.",
	"check-sni":        "'check-sni' : missing SNI.",
	"ciphers":          "'ciphers' : missing cipher suite.",
	"ciphersuites":     "'ciphersuites' : missing cipher suite.",
	"cookie":           "'cookie' expects <value> as argument..",
	"crl-file":         "'crl-file' : missing CRLfile path.",
	"crt":              "'crt' : missing certificate file path.",
	"downinter":        "'downinter' expects a delay as argument..",
	"error-limit":      "'error-limit' expects an integer argument..",
	"fall":             "'fall' expects an integer argument..",
	"fastinter":        "'fastinter' expects a delay as argument..",
	"id":               "'id' : expects an integer argument.",
	"inter":            "'inter' expects a delay as argument..",
	"log-proto":        "'log-proto' expects one of 'legacy' or 'octet-count' but got ''.",
	"max-reuse":        "'max-reuse' expects <value> as argument..",
	"namespace":        "'namespace' : expects <name> as argument.",
	"npn":              "'npn' : missing the comma-delimited NPN protocol suite.",
	"observe":          "'observe' expects <mode> as argument..",
	"on-error":         "'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got ''.",
	"on-marked-down":   "'on-marked-down' expects 'shutdown-sessions' but got ''.",
	"on-marked-up":     "'on-marked-up' expects 'shutdown-backup-sessions' but got ''.",
	"pool-low-conn":    "'pool-low-conn' expects <value> as argument..",
	"pool-max-conn":    "'pool-max-conn' expects <value> as argument..",
	"pool-purge-delay": "'pool-purge-delay' expects <value> as argument..",
	"port":             "'port' expects a port number as argument..",
	"proto":            "'proto' : missing value.",
	"proxy-v2-options": "'' : proxy v2 option not implemented.",
	"redir":            "'redir' expects <prefix> as argument..",
	"resolve-net":      "'resolve-net' expects a list of networks..",
	"resolve-prefer":   "'resolve-prefer' expects either ipv4 or ipv6 as argument..",
	"rise":             "'rise' expects an integer argument..",
	"sni":              "'sni' : missing sni expression.",
	"socks4":           "'socks4' expects <addr>:<port> as argument..",
	"ssl-max-ver":      "'ssl-max-ver' : missing the ssl/tls version.",
	"ssl-min-ver":      "'ssl-min-ver' : missing the ssl/tls version.",
	"tcp-ut":           "'tcp-ut' : missing TCP User Timeout value.",
	"track":            "'track' expects [<proxy>/]<server> as argument..",
	"verify":           "'verify' : missing verify method.",
	"verifyhost":       "'verifyhost' : missing hostname to verify against.",
	"ws":               "'ws' has to be 'auto', 'h1' or 'h2'.",
}

// serverSource checks a server's "source ADDR[:PORT[-PORT]] [usesrc
// ADDR|client|clientip|hdr_ip(...)] [interface NAME]" (words, from the
// address on). The reference's messages differ in shape from those of
// the proxy's "source" keyword: a bad source address comes wrapped in
// newlines, and a refused usesrc or interface is followed by a second,
// unlocated alert naming the keyword.
func (l *loader) serverSource(d line, who string, words []string) bool {
	if msg := serverSourceAddr(words[0]); msg != "" {
		l.serverAlert(d.pos, who, msg)
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
			l.serverAlert(d.pos, who, msg)
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

// serverEmptyValueOK are the server options the reference takes without
// their value, as an empty one.
var serverEmptyValueOK = setOf("init-addr", "maxconn", "maxqueue", "minconn", "resolve-opts", "weight", "resolvers")

// serverAlert refuses a server option: "'server be/s1' : msg", or msg
// alone for default-server (who is empty), whose lines the reference
// does not name.
func (l *loader) serverAlert(pos confparse.Pos, who, msg string) {
	if who != "" {
		msg = who + " : " + msg
	}
	if l.srvUnlocated {
		l.emit(confparse.Alert, confparse.Pos{}, msg)
		l.fileFatal = true
		l.fatals++
		return
	}
	l.alertBare(pos, msg)
}

// notInDefaultServer are the server options a default-server line may
// not carry.
var notInDefaultServer = setOf("id", "no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13")

// refuseInDefaultServer reports such an option as the reference does: an
// alert that does not fail the file, after which the alerts of the same
// line are printed without their location (the reference has already
// used up the prefix it gives them).
func (l *loader) refuseInDefaultServer(d line, kw string) {
	l.emit(confparse.Alert, d.pos, fmt.Sprintf("[%s:%d] : '%s' option is not accepted in default-server sections", d.pos.File, d.pos.Line, kw))
	l.srvUnlocated = true
}
