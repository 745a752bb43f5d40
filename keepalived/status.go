package keepalived

import (
	"net/netip"

	kc "fulcrum/confparse/keepalivedconf"
)

// statusHTTPListen is Fulcrum's `status_http_listen ADDR:PORT` in
// global_defs: where to serve /metrics and /status.json (off when
// absent). The reference does not know the keyword. A bad address is
// reported in the reference's words for its own address keywords and
// leaves the endpoint off.
func statusHTTPListen(p *parser, w []string) {
	v := p.arg(w, 1)
	ap, err := netip.ParseAddrPort(v)
	switch {
	case err != nil:
		p.report(kc.ClassGeneral, "Can't parse status_http_listen ["+v+"]. Skipping")
	case ap.Port() == 0:
		p.report(kc.ClassGeneral, "status_http_listen ["+v+"] has no port. Skipping")
	default:
		p.load.cfg.Global.StatusHTTPListen = ap.String()
	}
}
