package haproxy

import "fmt"

// sslDefaultFlags are the flags ssl-default-bind-options and
// ssl-default-server-options accept; prefer-client-ciphers is bind-only.
var sslDefaultFlags = setOf("no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "force-sslv3",
	"force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13", "no-tls-tickets")

var sslVersions = setOf("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")

// sslDefaultOptions checks the words of ssl-default-{bind,server}-options.
func sslDefaultOptions(bind bool) shape {
	return func(l *loader, d line) bool {
		for i := 0; i < len(d.args); i++ {
			a := d.args[i]
			switch {
			case sslDefaultFlags[a] || bind && a == "prefer-client-ciphers":
			case a == "ssl-min-ver" || a == "ssl-max-ver":
				if i+1 >= len(d.args) {
					l.alert(d.pos, fmt.Sprintf("'%s' : missing the ssl/tls version on global statement '%s'.", a, d.kw))
					return false
				}
				i++
				if !sslVersions[d.args[i]] {
					l.alert(d.pos, fmt.Sprintf("'%s' : unknown ssl/tls version on global statement '%s'.", d.args[i], d.kw))
					return false
				}
			default:
				l.alert(d.pos, fmt.Sprintf("unknown option '%s' on global statement '%s'.", a, d.kw))
				return false
			}
		}
		return true
	}
}

func init() {
	globalShapes["ssl-default-bind-options"] = sslDefaultOptions(true)
	globalShapes["ssl-default-server-options"] = sslDefaultOptions(false)
}
