package main

import (
	"fulcrum/vip/status"
)

// statusEndpoint is the HTTP status endpoint of global_defs
// status_http_listen (a Fulcrum extension), off when the keyword is absent.
type statusEndpoint struct {
	addr string
	srv  *status.Server
}

// applyStatus starts, moves or stops the status endpoint to serve on
// addr ("" = off). It reads the engine's live state only from its own
// HTTP goroutines, so a slow client cannot hold VRRP up.
func (d *daemon) applyStatus(addr string) {
	if addr == d.status.addr {
		return
	}
	if d.status.srv != nil {
		d.status.srv.Close()
		d.status.srv = nil
	}
	d.status.addr = addr
	if addr == "" {
		return
	}
	srv, err := status.Listen(addr, status.Source{Instances: d.engine.Snapshots, Scripts: d.watcher.Scripts})
	if err != nil {
		d.lg.logf("Unable to start the status endpoint on %s: %v", addr, err)
		d.status.addr = ""
		return
	}
	d.status.srv = srv
	d.lg.logf("Status endpoint listening on http://%s (/metrics, /status.json)", addr)
}
