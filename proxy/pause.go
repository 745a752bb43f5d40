package proxy

// Pause stops accepting (SIGTTOU): listening sockets are closed so that
// another process sharing the ports through SO_REUSEPORT receives every new
// connection, as HAProxy's paused listeners do. Inherited fd@ sockets
// cannot be reopened: they stay open and merely stop accepting.
// Connections in flight are not affected.
func (e *Engine) Pause() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.paused = true
	for k, l := range e.listeners {
		if l.bind.Load().Addr.Family == FamilyFD || l.inherited {
			l.pause()
			l.unlisten()
			continue
		}
		l.close()
		delete(e.listeners, k)
	}
}

// Resume reopens the listeners of the current configuration (SIGTTIN).
func (e *Engine) Resume() error {
	e.mu.Lock()
	e.paused = false
	for _, l := range e.listeners {
		l.relisten()
		l.resume()
	}
	e.mu.Unlock()
	return e.syncListeners(e.rt.Load())
}
