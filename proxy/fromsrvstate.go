package proxy

import (
	"net/netip"
	"path/filepath"
	"strings"

	"fulcrum/haproxy"
)

// serverStateSource maps `load-server-state-from-file` (the last one of
// the backend or its defaults; none by default) and, for `local`, the
// file `server-state-file-name` names (the backend's name by default),
// under the global `server-state-base` when relative.
func (a *adapter) serverStateSource(px *haproxy.Proxy, lines []haproxy.Directive) ServerStateSource {
	mode, name := "none", ""
	for _, d := range lines {
		switch d.Keyword {
		case "load-server-state-from-file":
			mode = first(d.Args)
		case "server-state-file-name":
			name = first(d.Args)
		}
	}
	switch mode {
	case "global":
		return ServerStateSource{Global: true}
	case "local":
		if name == "" || name == "use-backend-name" {
			name = px.Name
		}
		return ServerStateSource{File: stateFilePath(a.hc, name)}
	}
	return ServerStateSource{}
}

// stateFilePath puts a relative state file under `server-state-base`.
func stateFilePath(hc *haproxy.Config, name string) string {
	base := hc.Global.Arg("server-state-base")
	if base == "" || strings.HasPrefix(name, "/") {
		return name
	}
	return filepath.Join(base, name)
}

// GlobalServerStateFile is the path of the global `server-state-file`
// ("" when none is set).
func GlobalServerStateFile(hc *haproxy.Config) string {
	name := hc.Global.Arg("server-state-file")
	if name == "" {
		return ""
	}
	return stateFilePath(hc, name)
}

// hostnameOf gives a server's host name (none for a literal address) and
// whether init-addr (default last,libc) takes the state file's address
// before any lookup.
func hostnameOf(host, initAddr string) (string, bool) {
	if _, err := netip.ParseAddr(host); err == nil || host == "" || host == "*" {
		return "", false
	}
	if initAddr == "" {
		return host, true
	}
	for _, m := range strings.Split(initAddr, ",") {
		switch m {
		case "last":
			return host, true
		case "libc", "none":
			return host, false
		}
		if _, err := netip.ParseAddr(m); err == nil {
			return host, false // a fixed address comes first
		}
	}
	return host, false
}
