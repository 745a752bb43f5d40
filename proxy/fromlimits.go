package proxy

import (
	"os"
	"strconv"

	"fulcrum/haproxy"
	"fulcrum/proxy/fdlimit"
)

// FDBudget is what the reference's descriptor budget depends on in a
// configuration: the global maxconn (cfg's, where -n may have replaced
// it), ulimit-n, fd-hard-limit, maxpipes, the splicing proxies, and the
// descriptors held besides connections (heldFDs). The caller adds the
// process's own (master-worker) and the thread count.
func FDBudget(hc *haproxy.Config, cfg *Config, localPeer string) fdlimit.Budget {
	arg := func(kw string) int {
		n, _ := strconv.Atoi(hc.Global.Arg(kw))
		return n
	}
	b := fdlimit.Budget{Held: heldFDs(hc, cfg, localPeer), MaxConn: cfg.MaxConn, UlimitN: arg("ulimit-n"),
		HardLimit: arg("fd-hard-limit"), MaxPipes: arg("maxpipes")}
	a := &adapter{hc: hc}
	for _, px := range hc.Proxies {
		lines := a.linesOf(px)
		if !hasOption(lines, "splice-auto") && !hasOption(lines, "splice-request") && !hasOption(lines, "splice-response") {
			continue
		}
		s := fdlimit.Splicer{Frontend: px.Kind != "backend", Backend: px.Kind != "frontend", MaxConn: px.MaxConn}
		for _, d := range lines {
			if d.Keyword == "fullconn" && len(d.Args) > 0 {
				s.FullConn, _ = strconv.Atoi(d.Args[0])
			}
		}
		b.Splice = append(b.Splice, s)
	}
	return b
}

// heldFDs counts the descriptors the reference sets aside for what a
// configuration holds besides its connections (fdlimit.Budget.Held): a
// listener per bind address (each port of a range, disabled proxies
// too), one per server with a health check and one per agent check, one
// per `port` or `agent-port` option written on a server, server-template
// or default-server line (each line counts once), the stats sockets'
// listeners and their connections (`stats maxconn`, 10 by default), and
// the local peer's listener with three per peer. localPeer is the local
// peer's name (-L; "" = the host name or `localpeer`).
func heldFDs(hc *haproxy.Config, cfg *Config, localPeer string) int {
	n := 0
	for _, px := range hc.Proxies {
		if px.Kind != "frontend" && px.Kind != "listen" {
			continue
		}
		for _, b := range px.Binds {
			addrs, err := ParseListenAddrs(b.Spec)
			if err != nil {
				n++
				continue
			}
			for _, a := range addrs {
				n += int(a.PortHigh) - int(a.PortLow) + 1
			}
		}
	}
	for _, be := range cfg.Backends {
		for _, s := range be.Servers {
			if s.Check {
				n++
			}
			if s.Agent != nil {
				n++
			}
		}
	}
	for _, px := range append(append([]*haproxy.Proxy(nil), hc.Defaults...), hc.Proxies...) {
		if px.Section != nil {
			n += portOptions(px.Section.Lines)
		}
	}
	n += statsHeld(hc)
	n += peersHeld(hc, localPeer)
	return n
}

// portOptions counts the `port` and `agent-port` options of server
// lines: the reference takes a descriptor each time it parses one.
func portOptions(lines []haproxy.Directive) int {
	n := 0
	for _, d := range lines {
		skip := map[string]int{"server": 2, "server-template": 3, "default-server": 0}
		from, ok := skip[d.Keyword]
		if !ok || len(d.Args) < from {
			continue
		}
		for i := from; i < len(d.Args); i++ {
			if d.Args[i] == "port" || d.Args[i] == "agent-port" {
				n++
				i++ // its value
			}
		}
	}
	return n
}

// statsHeld: one per stats socket, and the connections the stats
// sockets accept together.
func statsHeld(hc *haproxy.Config) int {
	if len(hc.Global.StatsSockets) == 0 {
		return 0
	}
	conns := 10
	if hc.Global.Section != nil {
		for _, d := range hc.Global.Section.Lines {
			if d.Keyword == "stats" && len(d.Args) > 1 && d.Args[0] == "maxconn" {
				if v, err := strconv.Atoi(d.Args[1]); err == nil {
					conns = v
				}
			}
		}
	}
	return len(hc.Global.StatsSockets) + conns
}

// peersHeld: a peers section where this process is a peer listens once
// and reserves three connections per peer.
func peersHeld(hc *haproxy.Config, local string) int {
	if local == "" {
		local = hc.Global.Arg("localpeer")
	}
	if local == "" {
		local, _ = os.Hostname()
	}
	n := 0
	for _, sec := range hc.Others {
		if sec.Kind != "peers" {
			continue
		}
		peers, isLocal := 0, false
		for _, d := range sec.Lines {
			switch d.Keyword {
			case "peer", "server":
				peers++
				isLocal = isLocal || d.Keyword == "peer" && len(d.Args) > 0 && d.Args[0] == local
			case "bind":
				isLocal = true
			}
		}
		if isLocal {
			n += 1 + 3*peers
		}
	}
	return n
}
