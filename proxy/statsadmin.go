package proxy

import "errors"

// errUnknownAction is an admin form action the page does not know.
var errUnknownAction = errors.New("unknown action")

// statsAction applies one action of the stats page's admin form (the
// reference's `action` values) to a server.
func (e *Engine) statsAction(backend, server, action string) error {
	switch action {
	case "ready":
		return e.SetServerAdmin(backend, server, AdminReady)
	case "drain":
		return e.SetServerAdmin(backend, server, AdminDrain)
	case "maint":
		return e.SetServerAdmin(backend, server, AdminMaint)
	case "dhlth", "ehlth":
		return e.SetServerChecks(backend, server, action == "ehlth")
	case "hrunn":
		return e.SetServerHealth(backend, server, HealthUp)
	case "hnolb":
		return e.SetServerHealth(backend, server, HealthStopping)
	case "hdown":
		return e.SetServerHealth(backend, server, HealthDown)
	case "dagent", "eagent":
		return e.SetServerAgent(backend, server, action == "eagent")
	case "shutdown":
		return e.ShutdownServerSessions(backend, server)
	}
	return errUnknownAction
}
