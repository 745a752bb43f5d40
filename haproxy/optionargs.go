package haproxy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Options that take no word after their name. The reference checks this
// before anything else, then whether the proxy has the capability the
// option needs.
var (
	// tableOptions are the options of the reference's two option tables:
	// in a proxy without their capability they are ignored with a warning.
	tableOptions = setOf(strings.Fields(`abortonclose allbackups checkcache clitcpka contstats dontlognull
		http-buffer-request http-ignore-probes idle-close-on-response prefer-last-server logasap nolinger
		persist srvtcpka transparent splice-request splice-response splice-auto accept-invalid-http-request
		accept-invalid-http-response dontlog-normal log-separate-errors log-health-checks socket-stats
		tcp-smart-accept tcp-smart-connect independent-streams http-use-proxy-header http-pretend-keepalive
		http-no-delay h1-case-adjust-bogus-client h1-case-adjust-bogus-server disable-h2-upgrade`)...)
	// flagOptions are the other options without arguments.
	flagOptions = setOf("httpclose", "http-server-close", "http-keep-alive", "tcpka", "tcplog", "ssl-hello-chk",
		"tcp-check", "external-check", "redis-check", "spop-check", "ldap-check")
	// optionNeedsFE and optionNeedsBE are the options a proxy without a
	// frontend (backend) side ignores with a warning.
	optionNeedsFE = setOf("accept-invalid-http-request", "clitcpka", "contstats", "disable-h2-upgrade", "dontlog-normal",
		"dontlognull", "h1-case-adjust-bogus-client", "http-ignore-probes", "http-use-proxy-header",
		"idle-close-on-response", "log-separate-errors", "logasap", "socket-stats", "tcp-smart-accept")
	optionNeedsBE = setOf("abortonclose", "accept-invalid-http-response", "allbackups", "checkcache",
		"h1-case-adjust-bogus-server", "http-pretend-keepalive", "log-health-checks", "persist", "prefer-last-server",
		"srvtcpka", "tcp-smart-connect", "transparent",
		"httpchk", "ldap-check", "mysql-check", "pgsql-check", "redis-check", "redispatch", "smtpchk", "spop-check",
		"ssl-hello-chk", "tcp-check")
)

// optionArgs checks the words after an option's name and the proxy's
// capability as the reference does; false when the line goes no further.
func (l *loader) optionArgs(px *Proxy, d line) bool {
	name := d.arg(0)
	if (tableOptions[name] || flagOptions[name]) && len(d.args) > 1 {
		l.alert(d.pos, fmt.Sprintf("'option %s' cannot handle unexpected argument '%s'.", name, d.args[1]))
		return false
	}
	if px.Kind != "defaults" {
		side := ""
		switch {
		case optionNeedsFE[name] && !px.hasFE():
			side = "frontend"
		case optionNeedsBE[name] && !px.hasBE():
			side = "backend"
		}
		if side != "" {
			l.warn(d.pos, fmt.Sprintf("'%s' ignored because %s '%s' has no %s capability.", name, px.Kind, px.Name, side))
			if tableOptions[name] {
				return false
			}
		}
	}
	switch name {
	case "forwardfor", "originalto":
		return l.forwardedOptionArgs(d)
	case "mysql-check":
		if len(d.args) > 1 && d.args[1] != "user" {
			l.alert(d.pos, fmt.Sprintf("'option mysql-check' only supports optional values: 'user' (got '%s').", d.args[1]))
			return false
		}
	case "pgsql-check":
		if len(d.args) > 3 {
			l.alert(d.pos, fmt.Sprintf("'option pgsql-check' cannot handle unexpected argument '%s'.", d.args[3]))
			return false
		}
	case "httplog":
		if len(d.args) > 1 && d.args[1] != "clf" {
			l.alert(d.pos, "keyword 'httplog' only supports option 'clf'.")
			return false
		}
	}
	return true
}

// forwardedOptionArgs checks "option forwardfor|originalto [except NET]
// [header NAME] [if-none]" (if-none for forwardfor only).
func (l *loader) forwardedOptionArgs(d line) bool {
	name := d.arg(0)
	for i := 1; i < len(d.args); i++ {
		switch a := d.args[i]; {
		case a == "except":
			if i+1 >= len(d.args) || !validNet(d.args[i+1]) {
				l.alert(d.pos, fmt.Sprintf("'option %s except' expects <address>[/mask] as argument.", name))
				return false
			}
			i++
		case a == "header":
			if i+1 >= len(d.args) {
				l.alert(d.pos, fmt.Sprintf("'option %s header' expects <header_name> as argument.", name))
				return false
			}
			i++
		case a == "if-none" && name == "forwardfor":
		default:
			if name == "forwardfor" {
				l.alert(d.pos, "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.")
			} else {
				l.alert(d.pos, "'option originalto' only supports optional values: 'except' and 'header'.")
			}
			return false
		}
	}
	return true
}

// validNet: an address with an optional /bits or /dotted-mask.
func validNet(s string) bool {
	addr, mask, hasMask := strings.Cut(s, "/")
	if net.ParseIP(addr) == nil {
		return false
	}
	if !hasMask {
		return true
	}
	if n, err := strconv.Atoi(mask); err == nil {
		if net.ParseIP(addr).To4() != nil {
			return n >= 0 && n <= 32
		}
		return n >= 0 && n <= 128
	}
	return net.ParseIP(mask) != nil
}
