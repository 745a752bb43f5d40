package main

import "fulcrum/haproxy"

// runDaemon starts the proxy. The engine is not part of this build yet;
// the pending notices say which keywords it will not act on.
func runDaemon(f flags) int {
	cfg, diags, r := loadAndReport(f)
	if haproxy.Verdict(cfg, diags) == haproxy.Invalid {
		return 1
	}
	for _, d := range cfg.Pending {
		r.print(d)
	}
	r.alert("the proxy engine is not built yet; only -c (check mode) works in this version.")
	return 1
}
