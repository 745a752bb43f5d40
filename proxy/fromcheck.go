package proxy

import (
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
