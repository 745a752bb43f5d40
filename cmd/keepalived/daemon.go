package main

import (
	"fmt"
	"os"

	"fulcrum/keepalived"
)

// runDaemon is where the daemon modes will start. Until the VRRP engine
// exists it loads the configuration, prints what it would not act on, and
// says plainly that the daemon is not built.
func runDaemon(o *options) int {
	_, diags := keepalived.Load(o.configFile, keepalived.LoadOptions{ConfigID: o.configID})
	for _, d := range diags {
		fmt.Fprintln(os.Stderr, d.String())
	}
	fmt.Fprintln(os.Stderr, "keepalived (Fulcrum): the daemon is not built yet; only -t/--config-test works today")
	return 1
}
