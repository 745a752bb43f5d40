package proxy

import (
	"fmt"

	"fulcrum/proxy/check"
)

// healthCheckLine is what `option log-health-checks` logs for result r of
// s's health check c, as the reference logs it: when the check's status
// changed (newStatus) or the result moved the health counter (from
// before to after, 0..rise+fall-1), with the health and state it left.
// "" when the reference logs nothing.
func healthCheckLine(s *server, c *check.Checker, r check.Result, newStatus bool, before, after int) string {
	if !newStatus && before == after {
		return ""
	}
	rise, fall := c.Thresholds()
	verdict := "failed"
	if r.Status.Passed() {
		verdict = "succeeded"
	}
	kind := ""
	if s.cfg.Backup {
		kind = "backup "
	}
	num, den, state := after, rise, "DOWN"
	if after >= rise {
		num, den, state = after-rise+1, fall, "UP"
		if s.lb.Weight == 0 {
			state = "DRAIN"
		}
	}
	return fmt.Sprintf("Health check for %sserver %s %s, %s, status: %d/%d %s.", kind, s.id(), verdict, r.Reason(), num, den, state)
}
