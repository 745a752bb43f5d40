package haproxy

import (
	"fmt"
	"net"
	"strings"

	"fulcrum/confparse"
)

// builtinCheckOptions are the check options whose rules the reference
// writes itself: none starts with a connect that has a port (httpchk's
// own send rule comes before any http-check connect).
var builtinCheckOptions = setOf("httpchk", "mysql-check", "pgsql-check", "redis-check", "smtpchk", "ldap-check", "ssl-hello-chk", "spop-check")

// serverCheckPorts refuses, as the reference does once everything else
// is checked, a checked server that has no port to check: no service
// port, no "port", and no check rule that connects to one. The reference
// words it in two ways: "neither service port nor check port" when the
// proxy has no check rules at all, and "... nor tcp_check rule 'connect'
// with port information" when its first rule is not such a connect. A
// plain connect check has no rules of its own: the first proxy with
// servers gets the first wording, later ones share a default rule set the
// reference made for it by then, and get the second.
func (l *loader) serverCheckPorts(alert func(confparse.Pos, string)) {
	sharedRules := false
	for _, p := range l.cfg.Proxies {
		if len(p.Servers) == 0 {
			continue
		}
		option := p.checkOption()
		noRules := false
		switch {
		case option == "external-check":
			continue // checked with the proxy (check.go)
		case option == "":
			noRules = !sharedRules
			sharedRules = true
		case option == "tcp-check":
			first, any := p.firstCheckRule("tcp-check")
			if first != nil && first.Args[0] == "connect" && hasPortOption(first.Args[1:]) {
				continue
			}
			noRules = !any
		}
		for _, s := range p.Servers {
			if !s.checked() || s.Addr.Port != 0 || s.Addr.Path != "" || !s.checksInetAddr() {
				continue
			}
			msg := fmt.Sprintf("config: %s '%s': server '%s' has neither service port nor check port", proxyWord(p), p.Name, s.Name)
			if !noRules {
				msg += " nor tcp_check rule 'connect' with port information"
			}
			alert(confparse.Pos{}, msg+".")
		}
	}
}

// checked: the server is health-checked and names no check port.
func (s *Server) checked() bool {
	_, chk := s.Options["check"]
	_, noChk := s.Options["no-check"]
	_, port := s.Options["port"]
	return chk && !noChk && !port
}

// checksInetAddr: the address the check connects to is known to be an
// IPv4/IPv6 one when the reference makes this check: the "addr" option's
// if given (resolved while parsing), else the server's when written as an
// address (a name is resolved later, and "*" is no address).
func (s *Server) checksInetAddr() bool {
	if a, ok := s.Options["addr"]; ok {
		return !strings.HasPrefix(a, "/") && !strings.HasPrefix(a, "unix@")
	}
	return net.ParseIP(strings.Trim(s.Addr.Host, "[]")) != nil
}

// checkOption is the proxy's health check option, the last one set (its
// own lines after its defaults'), "" for a plain connect check.
func (p *Proxy) checkOption() string {
	option := ""
	for _, lines := range [][]Directive{p.inheritedLines, p.Section.Lines} {
		for _, d := range lines {
			if d.Keyword == "option" && len(d.Args) > 0 && (builtinCheckOptions[d.Args[0]] || d.Args[0] == "tcp-check" || d.Args[0] == "external-check") {
				option = d.Args[0]
			}
		}
	}
	return option
}

// firstCheckRule is the proxy's first rule of this kind (tcp-check), its
// comments skipped, its own or else its defaults'; any tells whether it
// has rules at all.
func (p *Proxy) firstCheckRule(kw string) (first *Directive, any bool) {
	for _, lines := range [][]Directive{p.Section.Lines, p.inheritedLines} {
		for i, d := range lines {
			if d.Keyword != kw || len(d.Args) == 0 || d.Args[0] == "disable-on-404" || d.Args[0] == "send-state" {
				continue
			}
			any = true
			if d.Args[0] != "comment" && first == nil {
				first = &lines[i]
			}
		}
		if any {
			return first, any
		}
	}
	return nil, false
}

// hasPortOption: a check rule's "port N" option.
func hasPortOption(args []string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "port" {
			return true
		}
	}
	return false
}
