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
	os.Clearenv()
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		os.Setenv(name, value)
	}
}
