package proxy

import "errors"

// errUnknownAction is an admin form action the page does not know.
var errUnknownAction = errors.New("unknown action")

// statsAction applies one action of the stats page's admin form to a
// server.
func (e *Engine) statsAction(backend, server, action string) error {
	switch action {
	case "hrunn":
		return e.SetServerUp(backend, server, true)
	case "hdown":
		return e.SetServerUp(backend, server, false)
	}
	return errUnknownAction
}
