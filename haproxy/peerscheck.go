package haproxy

import (
	"fmt"
	"os"
	"slices"

	"fulcrum/confparse"
)

// localPeerName is the local peer's name: -L, else `localpeer`, else the
// full host name.
func (l *loader) localPeerName() string {
	if l.opt.LocalPeer != "" {
		return l.opt.LocalPeer
	}
	if lp := l.globalArg("localpeer"); lp != "" {
		return lp
	}
	host, _ := os.Hostname()
	return host
}

// peersSSL makes the reference's TLS checks of the peers of the enabled
// sections that have the local peer: `ssl` without a CA file needs
// verification turned off, on the line or globally (an alert without
// position); and `ssl` on the local peer's own line is a server without
// an SSL listener (a warning, worded as the reference words it).
func (l *loader) peersSSL(alert func(confparse.Pos, string)) {
	local := l.localPeerName()
	for _, s := range l.cfg.Others {
		if s.Kind != "peers" || s.has("disabled") {
			continue
		}
		var localLine *Directive
		var alerts int
		for i, d := range s.Lines {
			if d.Keyword != "peer" && d.Keyword != "server" || len(d.Args) < 2 {
				continue
			}
			opts := d.Args[2:]
			if d.Args[0] == local {
				localLine = &s.Lines[i]
			}
			if !slices.Contains(opts, "ssl") || slices.Contains(opts, "ca-file") || l.globalArg("ssl-server-verify") == "none" {
				continue
			}
			if i := slices.Index(opts, "verify"); i >= 0 && i+1 < len(opts) && opts[i+1] == "none" {
				continue
			}
			alerts++
		}
		if localLine == nil {
			continue // removed as incomplete: not checked
		}
		for range alerts {
			alert(confparse.Pos{}, verifyHint)
		}
		if slices.Contains(localLine.Args[2:], "ssl") {
			l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("Peers section '%s': local peer have a non-SSL listener and a SSL server configured at line %s:%d.",
				local, localLine.Pos.File, localLine.Pos.Line))
		}
	}
}
