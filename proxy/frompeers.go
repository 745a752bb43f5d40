package proxy

import (
	"os"
	"strings"

	"fulcrum/haproxy"
)

// The adapter's part for `peers` sections: each section's peers, the
// local peer's address, and warnings for what replication does not do.

// PeersSection is a `peers` section: its peers by name, and the local
// peer's `bind` address when the section gives one that way.
type PeersSection struct {
	Name string
	// Peers are the `peer`/`server` lines: name and address ("" for a
	// server line without one, the local peer in the `bind` form).
	Peers []PeerLine
	Bind  string
	// Local is the local peer's name: `localpeer`, else the host name
	// (the -L flag, Options.LocalPeer, overrides it).
	Local string
}

// PeerLine is one peer of a section.
type PeerLine struct{ Name, Addr string }

// peersSections maps the enabled peers sections.
func (a *adapter) peersSections() {
	local, _ := os.Hostname()
	if lp := a.hc.Global.Section; lp != nil {
		for _, d := range lp.Lines {
			if d.Keyword == "localpeer" && len(d.Args) > 0 {
				local = d.Args[0]
			}
		}
	}
	for _, sec := range a.hc.Others {
		if sec.Kind != "peers" || len(sec.Args) == 0 || hasLine(sec, "disabled") {
			continue
		}
		ps := PeersSection{Name: sec.Args[0], Local: local}
		for _, d := range sec.Lines {
			switch d.Keyword {
			case "peer", "server":
				if len(d.Args) == 0 {
					continue
				}
				pl := PeerLine{Name: d.Args[0]}
				if len(d.Args) > 1 {
					pl.Addr = d.Args[1]
				}
				for _, o := range d.Args[2:] {
					if o == "ssl" {
						a.warn(d.Pos, "peers '%s' : 'ssl' on peer '%s' is accepted but not acted on yet by Fulcrum: the session is in clear.", ps.Name, pl.Name)
					}
				}
				ps.Peers = append(ps.Peers, pl)
			case "bind":
				if len(d.Args) > 0 {
					ps.Bind = d.Args[0]
				}
				if len(d.Args) > 1 {
					a.warn(d.Pos, "peers '%s' : bind options '%s' are accepted but not acted on yet by Fulcrum.", ps.Name, strings.Join(d.Args[1:], " "))
				}
			}
		}
		a.cfg.Peers = append(a.cfg.Peers, ps)
	}
}

func hasLine(sec *haproxy.Section, kw string) bool {
	for _, d := range sec.Lines {
		if d.Keyword == kw {
			return true
		}
	}
	return false
}

// hasPeersSection tells whether an enabled peers section has that name.
func (a *adapter) hasPeersSection(name string) bool {
	for _, sec := range a.hc.Others {
		if sec.Kind == "peers" && len(sec.Args) > 0 && sec.Args[0] == name && !hasLine(sec, "disabled") {
			return true
		}
	}
	return false
}

// ActsOnPeers reports whether the adapter maps a peers-section keyword
// (so the model's "not acted on yet" notice for it is stale).
func ActsOnPeers(keyword string) bool {
	switch keyword {
	case "peer", "server", "bind", "table", "disabled", "enabled":
		return true
	}
	return false
}
