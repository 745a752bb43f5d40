package balance

// View is a read-only look at a server's balancing state, for the
// statistics. Call it under the lock that guards the Balancer.
type View struct {
	Up, Maint bool
	// Weight is the effective weight on the user's scale (what the
	// reference shows in the `weight` field); UserWeight the configured
	// or set one.
	Weight, UserWeight int
	// Throttle is the slow-start percentage while ramping, -1 otherwise.
	Throttle int
}

// View returns the current state of s.
func (b *Balancer) View(s *Server) View {
	v := View{Up: s.up, Maint: s.maint, UserWeight: s.Weight, Throttle: -1,
		Weight: (s.eweight*b.wmult + b.wdiv - 1) / b.wdiv}
	if s.ramping {
		v.Throttle = s.rampPct
	}
	return v
}
