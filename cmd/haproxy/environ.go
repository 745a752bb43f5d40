package main

import (
	"os"
	"strings"
)

// applyEnviron installs the environment the configuration's global
// setenv, presetenv, unsetenv and resetenv lines leave (nil: unchanged),
// as the reference's process has it after parsing: the env() fetch and
// the programs the daemon starts see it.
func applyEnviron(environ []string) {
	if environ == nil {
		return
	}
	// Fulcrum's own markers (a -D child's, a worker's) are not the
	// configuration's to remove.
	var own []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "FULCRUM_HAPROXY_") {
			own = append(own, kv)
		}
	}
	os.Clearenv()
	for _, kv := range append(environ, own...) {
		name, value, _ := strings.Cut(kv, "=")
		os.Setenv(name, value)
	}
}
