package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy/srvstate"
	"fulcrum/proxy"
	"fulcrum/proxy/check"
)

// loadServerStates applies the saved server states of the backends that
// ask for them (load-server-state-from-file) before the engine starts:
// the global file once for all `global` backends, each `local` file for
// its backend. Unreadable files and lines are reported as the reference
// does; messages of the states applied are configuration warnings.
func loadServerStates(ecfg *proxy.Config, globalFile string, engine *proxy.Engine, r *reporter, logs *logger) {
	logs.startup.Store(r)
	defer logs.startup.Store(nil)
	var global *srvstate.File
	globalRead := false
	for _, be := range ecfg.Backends {
		var f *srvstate.File
		switch src := be.ServerState; {
		case src.Global && globalFile != "":
			if !globalRead {
				// The model already warned of a missing global file.
				global, globalRead = readStateFile(globalFile, "", r), true
			}
			f = global
		case src.File != "":
			f = readStateFile(src.File, fmt.Sprintf("Proxy '%s': ", be.Name), r)
		}
		if f == nil {
			continue
		}
		for _, s := range be.Servers {
			line, ok := f.Lookup(be.Name, s.Name)
			if !ok {
				continue
			}
			st, err := line.Decode()
			if err != nil {
				r.print(warning(fmt.Sprintf("server-state application failed for server '%s/%s', %v", be.Name, s.Name, err)))
				continue
			}
			saved := proxy.SavedServerState{OpState: st.OpState, AdminFlags: st.AdminFlags, UWeight: st.UWeight,
				IWeight: st.IWeight, SinceChange: time.Duration(st.SinceChange) * time.Second, CheckState: st.CheckState,
				CheckStatus: st.CheckStatus, Port: st.Port, Addr: st.Addr}
			if err := engine.LoadServerState(be.Name, s.Name, saved); err != nil {
				r.print(warning(fmt.Sprintf("server-state application failed for server '%s/%s', %v", be.Name, s.Name, err)))
			}
		}
	}
}

// readStateFile reads and parses one state file, the global one (proxy
// "") or a backend's (proxy "Proxy 'NAME': "); nil after a warning.
func readStateFile(path, proxy string, r *reporter) *srvstate.File {
	what, who := "global server state file", "config: "
	if proxy != "" {
		what, who = "server state file", proxy
	}
	data, err := os.ReadFile(path)
	switch {
	case err != nil && proxy != "":
		r.print(warning(fmt.Sprintf("%sCan't open %s '%s': %s.", proxy, what, path, check.ErrnoText(err))))
		return nil
	case err != nil:
		// The model already warned of a missing global file.
		if !errors.Is(err, os.ErrNotExist) {
			r.print(warning(fmt.Sprintf("config: Can't open %s '%s': %s", what, path, check.ErrnoText(err))))
		}
		return nil
	}
	f, err := srvstate.Parse(string(data))
	var corrupt *srvstate.CorruptError
	switch {
	case errors.As(err, &corrupt):
		r.print(warning(fmt.Sprintf("%scorrupted %s '%s' at line %d.", who, what, path, corrupt.Line)))
		return nil
	case err != nil:
		r.print(warning(fmt.Sprintf("%sCan't get version of the %s '%s'.", who, what, path)))
		return nil
	}
	return f
}

func warning(msg string) confparse.Diagnostic {
	return confparse.Diagnostic{Severity: confparse.Warning, Message: msg}
}
