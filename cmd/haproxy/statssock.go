package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy"
	"fulcrum/proxy/apisock"
)

// statsSockets opens the Runtime API's `stats socket`s of cfg for engine;
// the sockets stay open across reloads (updateStatsSockets) and are
// removed on exit (Close). ok is false after an alert.
func statsSockets(cfg *haproxy.Config, ecfg *proxy.Config, engine *proxy.Engine, r *reporter) (*apisock.Server, bool) {
	api := apisock.New(engine, func(msg string) { r.line("NOTICE", msg) })
	if err := updateStatsSockets(api, cfg, ecfg, r); err != nil {
		bindFailed(r, err)
		api.Close()
		return nil, false
	}
	return api, true
}

// updateStatsSockets applies the sockets and settings of cfg.
func updateStatsSockets(api *apisock.Server, cfg *haproxy.Config, ecfg *proxy.Config, r *reporter) error {
	acfg, diags := apisock.FromConfig(cfg)
	for _, d := range diags {
		r.print(d)
	}
	if confparse.HasAlert(diags) {
		return errors.New("Fatal errors found in 'stats socket' lines.")
	}
	adoptInherited(&acfg)
	acfg.Version = version
	acfg.HardMaxConn = ecfg.MaxConn
	modes := map[string]string{}
	for _, px := range cfg.Proxies {
		modes[px.Name] = px.Mode
	}
	acfg.ParseServer = func(backend, name string, args []string) (*proxy.Server, error) {
		return parseDynamicServer(modes[backend], backend, name, args)
	}
	if err := api.Update(acfg); err != nil {
		return statsBindError(cfg, err)
	}
	return nil
}

// parseDynamicServer reads the arguments of `add server` with the
// configuration's own rules: a one-backend configuration is written to a
// temporary file, loaded and mapped like the real one.
func parseDynamicServer(mode, backend, name string, args []string) (*proxy.Server, error) {
	var b strings.Builder
	if mode == "" {
		mode = "tcp"
	}
	fmt.Fprintf(&b, "defaults\n\tmode %s\n\ttimeout connect 5s\n\ttimeout client 5s\n\ttimeout server 5s\n", mode)
	fmt.Fprintf(&b, "backend %s\n\tserver %s", quoteWord(backend), quoteWord(name))
	for _, a := range args {
		if strings.ContainsAny(a, "'\n") {
			return nil, fmt.Errorf("'server %s/%s' : invalid character in argument '%s'", backend, name, a)
		}
		b.WriteString(" " + quoteWord(a))
	}
	b.WriteString("\n")
	dir, err := os.MkdirTemp("", "fulcrum-addserver-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "server.cfg")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	hc, diags := haproxy.Load(path)
	ecfg, more := proxy.FromConfig(hc)
	for _, d := range append(diags, more...) {
		if d.Severity == confparse.Alert {
			msg := d.Message
			if i := strings.Index(msg, "] : "); strings.HasPrefix(msg, "parsing [") && i > 0 {
				msg = msg[i+4:]
			}
			return nil, errors.New(msg)
		}
	}
	for _, be := range ecfg.Backends {
		if be.Name == backend && len(be.Servers) == 1 {
			return be.Servers[0], nil
		}
	}
	return nil, fmt.Errorf("'server %s/%s' : cannot be added.", backend, name)
}

// quoteWord single-quotes a configuration word.
func quoteWord(s string) string { return "'" + s + "'" }
