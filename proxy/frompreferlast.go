package proxy

import (
	"strconv"

	"fulcrum/haproxy"
)

func init() {
	actedOptions["prefer-last-server"] = true
	actedKeywords["max-keep-alive-queue"] = true
	actedKeywords["max-session-srv-conns"] = true
}

// preferLast maps `option prefer-last-server` and `max-keep-alive-queue`
// (the last line of the proxy or its defaults wins).
func preferLast(px *haproxy.Proxy, lines []haproxy.Directive) PreferLast {
	p := PreferLast{On: px.Options["prefer-last-server"], MaxQueue: -1}
	for _, d := range lines {
		if d.Keyword == "max-keep-alive-queue" {
			p.MaxQueue, _ = strconv.Atoi(first(d.Args))
		}
	}
	return p
}

// sessionSrvConns is `max-session-srv-conns`, HAProxy's 5 by default.
func sessionSrvConns(lines []haproxy.Directive) int {
	n := defaultSessionSrvConns
	for _, d := range lines {
		if d.Keyword == "max-session-srv-conns" {
			n, _ = strconv.Atoi(first(d.Args))
		}
	}
	return n
}
