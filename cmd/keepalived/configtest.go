package main

import (
	"fmt"
	"io"
	"os"

	"fulcrum/keepalived"
)

// configTest runs `keepalived -t`: the messages go to stderr (or to the
// file given with --config-test=FILE) and the exit code is the
// reference's: 0 clean, 4 cannot run, 5 configuration errors, 6 security,
// 2 when the reference's parser stops at once.
func configTest(o *options) int {
	res := keepalived.Check(o.configFile, keepalived.LoadOptions{ConfigID: o.configID})
	var out io.Writer = os.Stderr
	if o.testLogFile != "" {
		f, err := os.OpenFile(o.testLogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err == nil {
			defer f.Close()
			out = f
		}
	}
	for _, m := range res.Messages {
		fmt.Fprintln(out, m.String())
	}
	return res.Exit
}
