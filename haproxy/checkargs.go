package haproxy

import (
	"fmt"
	"strings"
)

// Arguments of http-check, tcp-check, external-check, compression and
// source, checked in the reference's order with its messages.

var (
	httpCheckVerbs = setOf("disable-on-404", "send-state", "comment", "connect", "send", "expect")
	tcpCheckVerbs  = setOf("comment", "connect", "send", "send-lf", "send-binary", "send-binary-lf", "expect")
	// checkConnectFlags and checkConnectValues are the options of a
	// check's "connect" step.
	checkConnectFlags  = setOf("send-proxy", "ssl", "via-socks4", "linger", "default")
	checkConnectValues = setOf("comment", "port", "addr", "sni", "alpn", "proto")
	httpSendValues     = setOf("comment", "meth", "uri", "uri-lf", "ver", "body", "body-lf")
	// expectMatchers are what an "expect" step compares; expectOptions
	// the settings that may follow.
	httpExpectMatchers = setOf("status", "rstatus", "string", "rstring", "string-lf", "hdr", "fhdr")
	tcpExpectMatchers  = setOf("binary", "rbinary", "string", "rstring", "string-lf", "binary-lf")
	expectOptions      = setOf("min-recv", "comment", "ok-status", "error-status", "tout-status", "on-success", "on-error", "status-code")
	compressionAlgos   = setOf("identity", "deflate", "raw-deflate", "gzip")
)

// checkRuleArgs checks "http-check ..." and "tcp-check ...".
func checkRuleArgs(l *loader, d line) bool {
	http := d.kw == "http-check"
	verb := d.arg(0)
	fail := func(format string, a ...any) bool {
		l.alert(d.pos, fmt.Sprintf(format, a...))
		return false
	}
	switch {
	case isVarActionWord(verb):
		if msg := varActionProblem(verb); msg != "" {
			return fail("'%s %s' : '%s' : %s.", d.kw, verb, varKeyword(verb), msg)
		}
		return true
	case http && !httpCheckVerbs[verb]:
		return fail("'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '%s'", verb)
	case !http && !tcpCheckVerbs[verb]:
		return fail("'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '%s'", verb)
	}
	what := d.kw + " " + verb
	args := d.args[1:]
	if (verb == "disable-on-404" || verb == "send-state") && len(args) > 0 {
		return fail("'http-check' cannot handle unexpected argument '%s'.", args[0])
	}
	switch verb {
	case "comment":
		if len(args) == 0 {
			return fail("'%s' : expects a string as argument.", what)
		}
	case "connect":
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case checkConnectFlags[a]:
			case checkConnectValues[a]:
				if i+1 >= len(args) {
					if a == "port" {
						return fail("'%s' : 'port' expects a port number or a sample expression as argument..", what)
					}
					return fail("'%s' : '%s' expects a string as argument..", what, a)
				}
				i++
				if a == "port" && strings.Trim(args[i], "0123456789") != "" {
					fetch := args[i]
					if j := strings.IndexAny(fetch, "(,"); j >= 0 {
						fetch = fetch[:j]
					}
					if !fetchNames[fetch] {
						return fail("'%s' : error detected while parsing port expression : unknown fetch method '%s'.", what, fetch)
					}
				}
			default:
				return fail("'%s' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '%s' as argument..", what, a)
			}
		}
	case "send":
		if !http {
			if len(args) == 0 {
				return fail("'%s' : 'string' expects a send as argument.", what)
			}
			return true
		}
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case httpSendValues[a]:
				if i+1 >= len(args) {
					return fail("'%s' : '%s' expects a string as argument..", what, a)
				}
				i++
			case a == "hdr":
				i += 2
			default:
				return fail("'%s' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '%s' as argument..", what, a)
			}
		}
	case "expect":
		return expectArgs(l, d, what, args, http)
	}
	return true
}

// expectArgs checks the words of an "expect" step.
func expectArgs(l *loader, d line, what string, args []string, http bool) bool {
	matchers := tcpExpectMatchers
	unknown := "'%s' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '%s' as argument.."
	if http {
		matchers = httpExpectMatchers
		unknown = "'%s' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '%s' as argument.."
	}
	matched := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "!":
		case !matched && matchers[strings.TrimPrefix(a, "!")]:
			matched = true
			m := strings.TrimPrefix(a, "!")
			if m == "hdr" || m == "fhdr" {
				return true // header matchers: name, method and value, not checked further
			}
			if i+1 >= len(args) {
				l.alert(d.pos, fmt.Sprintf("'%s' : '%s' expects a <pattern> as argument.", what, m))
				return false
			}
			i++
			if m == "status" {
				for _, c := range args[i] {
					if !strings.ContainsRune("0123456789,-", c) {
						l.alert(d.pos, fmt.Sprintf("'%s' : invalid character '%c' in the list of status codes.", what, c))
						return false
					}
				}
			}
		case expectOptions[a]:
			i++
		default:
			l.alert(d.pos, fmt.Sprintf(unknown, what, a))
			return false
		}
	}
	return true
}

// externalCheckArgs checks "external-check command|path VALUE".
func externalCheckArgs(l *loader, d line) bool {
	switch d.arg(0) {
	case "command", "path":
		if len(d.args) < 2 {
			l.alert(d.pos, fmt.Sprintf("missing argument after '%s'.", d.arg(0)))
			return false
		}
	default:
		l.alert(d.pos, fmt.Sprintf("'external-check' only supports 'command' and 'path'. but got '%s'.", d.arg(0)))
		return false
	}
	return true
}

// compressionArgs checks "compression algo|type|offload ...".
func compressionArgs(l *loader, d line) bool {
	switch d.arg(0) {
	case "algo":
		if len(d.args) < 2 {
			l.alert(d.pos, fmt.Sprintf("parsing [%s:%d] : 'compression' expects <algorithm>.", d.pos.File, d.pos.Line))
			return false
		}
		for _, a := range d.args[1:] {
			if !compressionAlgos[a] {
				l.alert(d.pos, fmt.Sprintf("'compression' : '%s' is not a supported algorithm.", a))
				return false
			}
		}
	case "type":
		if len(d.args) < 2 {
			l.alert(d.pos, "'compression' expects <type>.")
			return false
		}
	}
	return true
}

// sourceArgs checks "source ADDR[:PORT] [usesrc ADDR|client|clientip]
// [interface NAME]".
func sourceArgs(l *loader, d line) bool {
	if msg := sourceAddrProblem(d.arg(0)); msg != "" {
		l.alert(d.pos, fmt.Sprintf("'source %s' : %s", d.arg(0), addrMessage(msg)))
		return false
	}
	if p := portOf(d.arg(0)); atoi(p) > 65535 {
		l.alert(d.pos, fmt.Sprintf("'source %s' : invalid port '%s'", d.arg(0), p))
		return false
	}
	for i := 1; i < len(d.args); i++ {
		switch d.args[i] {
		case "usesrc":
			if i+1 >= len(d.args) {
				l.alert(d.pos, "'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument.")
				return false
			}
			i++
			v := d.args[i]
			if v != "client" && v != "clientip" && !strings.HasPrefix(v, "hdr_ip(") {
				if msg := usesrcProblem(v); msg != "" {
					l.alert(d.pos, msg)
					return false
				}
			}
		case "interface":
			if i+1 >= len(d.args) {
				l.alert(d.pos, "'source' : missing interface name.")
				return false
			}
			i++
		default:
			l.alert(d.pos, "'source' only supports optional keywords 'interface' and 'usesrc'.")
			return false
		}
	}
	return true
}

// addrMessage is a sourceAddrProblem message as the reference prints
// it: the address parser's own messages end with a newline, the port
// range refusal, made by its caller, does not.
func addrMessage(msg string) string {
	if strings.HasPrefix(msg, "port range") {
		return msg
	}
	return msg + "\n"
}

// portOf is the port of ADDR:PORT ("" without one; "[v6]:PORT" too).
func portOf(v string) string {
	if i := strings.LastIndexByte(v, ':'); i >= 0 && !strings.HasSuffix(v, "]") {
		return v[i+1:]
	}
	return ""
}

// sourceAddrProblem: an address with an optional port ("[v6]:port" for
// IPv6: a bare IPv6 address is cut at its last colon, as the reference
// does).
func sourceAddrProblem(v string) string {
	host, port := v, ""
	if strings.HasPrefix(v, "[") {
		if end := strings.IndexByte(v, ']'); end > 0 {
			host, port = v[1:end], strings.TrimPrefix(v[end+1:], ":")
		}
	} else if i := strings.LastIndexByte(v, ':'); i >= 0 {
		host, port = v[:i], v[i+1:]
	}
	switch {
	case strings.Contains(port, "-"):
		return fmt.Sprintf("port range not permitted here in '%s'", v)
	case strings.Trim(port, "0123456789-") != "":
		bad := strings.TrimLeft(port, "0123456789-")
		return fmt.Sprintf("invalid character '%c' in port number '%s' in '%s'", bad[0], port, v)
	case host == "" || host == "*" || validNet(host) && !strings.Contains(host, "/"):
		return ""
	}
	return fmt.Sprintf("invalid address: '%s' in '%s'", host, v)
}

// inspectDelay checks "tcp-request|tcp-response inspect-delay TIME"; a
// second one in the same section is ignored with a warning.
func (l *loader) inspectDelay(px *Proxy, d line) bool {
	v := d.arg(1)
	msg := fmt.Sprintf("'%s inspect-delay' expects a positive delay in milliseconds, in %s '%s'", d.kw, proxyWord(px), px.Name)
	if v == "" {
		l.alert(d.pos, msg)
		return false
	}
	if _, bad := parseTime(v); bad != "" {
		l.alert(d.pos, fmt.Sprintf("%s (unexpected character '%c')", msg, badTimeChar(v)))
		return false
	}
	seen := 0
	for _, x := range px.Section.Lines {
		if x.Keyword == d.kw && len(x.Args) > 0 && x.Args[0] == "inspect-delay" {
			seen++
		}
	}
	if seen > 1 {
		l.warn(d.pos, fmt.Sprintf("ignoring %s inspect-delay (was already defined) in %s '%s'", d.kw, proxyWord(px), px.Name))
		return false
	}
	return true
}
