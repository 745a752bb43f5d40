package proxy

import (
	"fmt"
	"os"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// sampleOptions are the sample package's parse options for a line at
// pos: files are read here, at load time, and registered for the
// Runtime API (`show map`, `add acl`, ...).
func (a *adapter) sampleOptions(pos confparse.Pos) *sample.Options {
	if a.cfg.Patterns == nil {
		a.cfg.Patterns = &sample.Refs{}
	}
	return &sample.Options{ReadFile: os.ReadFile, Refs: a.cfg.Patterns,
		Where: fmt.Sprintf("file '%s' line %d", pos.File, pos.Line),
		Userlist: func(name string) (sample.Userlist, bool) {
			l, ok := a.userlistsOf()[name]
			return l, ok
		}}
}

// Patterns returns the pattern and map files of the running
// configuration.
func (e *Engine) Patterns() *sample.Refs { return e.rt.Load().cfg.Patterns }
