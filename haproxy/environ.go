package haproxy

import (
	"fmt"
	"os"
	"strings"

	"fulcrum/confparse/haproxycfg"
)

func init() {
	for _, k := range []string{"setenv", "presetenv", "unsetenv", "resetenv"} {
		globalBuilt[k] = true
		globalShapes[k] = envArgs
	}
}

// envArgs rejects a variable name the C library would refuse.
func envArgs(l *loader, d line) bool {
	if d.kw == "resetenv" || d.kw == "unsetenv" {
		return true
	}
	if name := d.arg(0); name == "" || strings.Contains(name, "=") {
		l.alert(d.pos, fmt.Sprintf("'%s' failed on variable '%s' : Invalid argument.", d.kw, name))
		return false
	}
	return true
}

// envChanges are the environment changes of the global setenv,
// presetenv, unsetenv and resetenv lines. The reference applies each one
// as it reads it, so a later "${VAR}" (and `.if defined(VAR)`) sees it;
// here they are layered over the lookup the files were going to use, and
// the resulting environment is handed to the daemon (Config.Environ),
// which installs it for the env() fetch and the programs it starts.
type envChanges struct {
	base    haproxycfg.Env
	set     map[string]string
	unset   map[string]bool
	reset   bool // resetenv: only set survive
	changed bool
}

// withEnvChanges returns a copy of b whose lookups see the changes the
// files make, and a function giving the environment after them (nil when
// no line changed it).
func withEnvChanges(b *haproxycfg.Build) (*haproxycfg.Build, func() []string) {
	c := &envChanges{base: b.Env, set: map[string]string{}, unset: map[string]bool{}}
	nb := *b
	nb.Env = c.lookup
	nb.Line = c.line
	return &nb, c.environ
}

func (c *envChanges) lookup(name string) (string, bool) {
	if v, ok := c.set[name]; ok {
		return v, true
	}
	if c.reset || c.unset[name] || c.base == nil {
		return "", false
	}
	return c.base(name)
}

// line applies one line of the global section, as read.
func (c *envChanges) line(section, kw string, args []string) {
	if section != "global" {
		return
	}
	switch kw {
	case "setenv", "presetenv":
		if len(args) < 2 || args[0] == "" || strings.Contains(args[0], "=") {
			return
		}
		if _, exists := c.lookup(args[0]); kw == "presetenv" && exists {
			return
		}
		c.set[args[0]] = args[1]
		delete(c.unset, args[0])
	case "unsetenv":
		for _, name := range args {
			delete(c.set, name)
			c.unset[name] = true
		}
	case "resetenv":
		keep := map[string]string{}
		for _, name := range args {
			if v, ok := c.lookup(name); ok {
				keep[name] = v
			}
		}
		c.set, c.unset, c.reset = keep, map[string]bool{}, true
	default:
		return
	}
	c.changed = true
}

// environ is the process environment after the changes, as
// os.Environ() lists it.
func (c *envChanges) environ() []string {
	if !c.changed {
		return nil
	}
	var out []string
	if !c.reset {
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			if _, over := c.set[name]; !over && !c.unset[name] {
				out = append(out, kv)
			}
		}
	}
	for name, v := range c.set {
		out = append(out, name+"="+v)
	}
	return out
}
