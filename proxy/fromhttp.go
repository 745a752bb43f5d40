package proxy

import (
	"net/netip"

	"fulcrum/haproxy"
	"fulcrum/proxy/http1"
)

// httpConnMode reads the persistent-connection option of a proxy: the
// last of http-keep-alive, http-server-close and httpclose that the
// proxy or its defaults turn on wins, as each resets the others in
// HAProxy.
func httpConnMode(lines []haproxy.Directive) ConnMode {
	mode := KeepAlive
	for _, d := range lines {
		on, args, ok := optionLine(d)
		if !ok || !on {
			continue
		}
		switch args[0] {
		case "http-keep-alive":
			mode = KeepAlive
		case "http-server-close":
			mode = ServerClose
		case "httpclose", "forceclose":
			mode = HTTPClose
		}
	}
	return mode
}

// optionLine reads an `option NAME ARGS...` or `no option NAME` line:
// on is false for the negated form; ok is false for other lines.
func optionLine(d haproxy.Directive) (on bool, args []string, ok bool) {
	switch {
	case d.Keyword == "option" && len(d.Args) > 0:
		return true, d.Args, true
	case d.Keyword == "no" && len(d.Args) > 1 && d.Args[0] == "option":
		return false, d.Args[1:], true
	}
	return false, nil, false
}

// forwardFor reads `option forwardfor [except NET] [header NAME]
// [if-none]`, or with name "originalto" `option originalto [except NET]
// [header NAME]`; the last one written wins, and `no option NAME`
// removes it.
func (a *adapter) forwardFor(lines []haproxy.Directive, name string) *ForwardFor {
	var ff *ForwardFor
	for _, d := range lines {
		on, args, ok := optionLine(d)
		if !ok || args[0] != name {
			continue
		}
		if !on {
			ff = nil
			continue
		}
		ff = &ForwardFor{}
		for i := 1; i < len(args); i++ {
			switch args[i] {
			case "if-none":
				ff.IfNone = true
			case "header":
				if i+1 < len(args) {
					i++
					ff.Header = args[i]
				}
			case "except":
				if i+1 < len(args) {
					i++
					ff.Except = parseNet(args[i])
				}
			}
		}
	}
	return ff
}

// parseNet reads an address or network as `except` takes it.
func parseNet(s string) netip.Prefix {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked()
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(ip, ip.BitLen())
	}
	return netip.Prefix{}
}

// hasOption reports whether the last `option NAME` / `no option NAME`
// among lines turns NAME on.
func hasOption(lines []haproxy.Directive, name string) bool {
	on := false
	for _, d := range lines {
		if o, args, ok := optionLine(d); ok && args[0] == name {
			on = o
		}
	}
	return on
}

// httpFrontend fills fe's http-mode settings from the proxy.
func (a *adapter) httpFrontend(fe *Frontend, px *haproxy.Proxy, lines []haproxy.Directive, acls map[string][]acl) {
	fe.Mode = ModeHTTP
	fe.HTTP.Conn = httpConnMode(lines)
	fe.HTTP.TimeoutRequest = msDur(px.Timeouts["http-request"])
	fe.HTTP.TimeoutKeepAlive = msDur(px.Timeouts["http-keep-alive"])
	fe.HTTP.Parse = http1.Options{Limits: a.bufferLimits(), AcceptInvalid: hasOption(lines, "accept-invalid-http-request")}
	fe.HTTP.ForwardFor = a.forwardFor(lines, "forwardfor")
	fe.HTTP.OriginalTo = a.forwardFor(lines, "originalto")
	fe.HTTP.PretendKeepAlive = hasOption(lines, "http-pretend-keepalive")
	fe.HTTP.IgnoreProbes = hasOption(lines, "http-ignore-probes")
	fe.HTTP.Monitor = a.monitorOf(lines, acls)
	fe.HTTP.Comp = a.compression(px, lines) // fromcompression.go
	fe.HTTP.RequestRules = bufferRequest(lines, a.httpRules(px, "http-request", lines, acls))
	a.httpActions(&fe.HTTP.Actions, px, lines, acls)
}

// httpBackend fills be's http-mode settings from the proxy.
func (a *adapter) httpBackend(be *Backend, px *haproxy.Proxy, lines []haproxy.Directive, acls map[string][]acl) {
	be.Mode = ModeHTTP
	be.HTTP.Conn = httpConnMode(lines)
	be.HTTP.Parse = http1.Options{Limits: a.bufferLimits(), AcceptInvalid: hasOption(lines, "accept-invalid-http-response")}
	be.HTTP.Comp = a.compression(px, lines) // fromcompression.go
	for _, d := range lines {
		if d.Keyword == "http-reuse" {
			be.HTTP.Reuse = map[string]Reuse{"safe": ReuseSafe, "aggressive": ReuseAggressive,
				"always": ReuseAlways, "never": ReuseNever}[first(d.Args)]
		}
	}
	if px.Kind == "backend" {
		// A listen section's rules run once, as its frontend's.
		be.HTTP.ForwardFor = a.forwardFor(lines, "forwardfor")
		be.HTTP.OriginalTo = a.forwardFor(lines, "originalto")
		be.HTTP.PretendKeepAlive = hasOption(lines, "http-pretend-keepalive")
		be.HTTP.RequestRules = bufferRequest(lines, a.httpRules(px, "http-request", lines, acls))
	}
	a.backendActions(be, px, lines, acls)
}

// splitCond separates a rule's action words from its if/unless condition.
func splitCond(args []string) (action, cond []string) {
	for i, w := range args {
		if w == "if" || w == "unless" {
			return args[:i], args[i:]
		}
	}
	return args, nil
}
