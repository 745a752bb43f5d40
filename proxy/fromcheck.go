package proxy

import (
	"net/netip"
	"strconv"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/check"
)

// protocolCheck maps option mysql-check, pgsql-check, smtpchk and
// ldap-check (arguments already validated by the model).
func (a *adapter) protocolCheck(d haproxy.Directive) check.Spec {
	args := d.Args[1:]
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch d.Args[0] {
	case "smtpchk":
		if (arg(0) == "HELO" || arg(0) == "EHLO") && arg(1) != "" {
			return check.SMTP(arg(0) + " " + arg(1))
		}
		return check.SMTP("")
	case "pgsql-check":
		return check.PgSQL(arg(1))
	case "mysql-check":
		spec, err := check.MySQL(arg(1), arg(2))
		if err != nil {
			a.alert(d.Pos, "'option mysql-check' : %v", err)
		}
		return spec
	}
	return check.LDAP()
}

// agentCheck maps agent-check and its agent-* options; nil when off.
func (a *adapter) agentCheck(px *haproxy.Proxy, name string, opts map[string]string, pos confparse.Pos) *AgentCheck {
	_, on := opts["agent-check"]
	if _, off := opts["no-agent-check"]; !on || off {
		return nil
	}
	ac := &AgentCheck{Send: opts["agent-send"]}
	if v, ok := opts["agent-port"]; ok {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			a.alert(pos, "'server %s/%s' : invalid agent-port '%s'.", px.Name, name, v)
			return nil
		}
		ac.Port = uint16(p)
	}
	if ac.Port == 0 {
		// The model refused this configuration already.
		return nil
	}
	if v, ok := opts["agent-addr"]; ok {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			a.alert(pos, "'server %s/%s' : 'agent-addr %s' must be a literal IP address in Fulcrum.", px.Name, name, v)
			return nil
		}
		ac.Addr = ip
	}
	if v, ok := opts["agent-inter"]; ok {
		ac.Inter, _ = parseTime(v)
	}
	return ac
}
