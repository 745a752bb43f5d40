package apisock

import (
	"fmt"
	"strings"
)

// showResolvers is `show resolvers [section]`: each section's
// nameservers with their counters, in the reference's layout. The
// counters Fulcrum does not keep (CNAME chains, truncated, too big and
// outdated answers) are 0.
func (s *session) showResolvers(args []string, _ string) string {
	want := arg(args, 2)
	var b strings.Builder
	found := false
	for _, sec := range s.srv.engine.Resolvers() {
		if want != "" && sec.Name != want {
			continue
		}
		found = true
		fmt.Fprintf(&b, "Resolvers section %s\n", sec.Name)
		for _, ns := range sec.Nameservers {
			k := ns.Counters
			fmt.Fprintf(&b, " nameserver %s:\n", ns.Name)
			for _, c := range []struct {
				label string
				n     uint64
			}{{"sent:", k.Sent.Load()}, {"snd_error:", k.SndError.Load()}, {"valid:", k.Valid.Load()},
				{"update:", k.Update.Load()}, {"cname:", 0}, {"cname_error:", 0}, {"any_err:", k.AnyErr.Load()},
				{"nx:", k.NX.Load()}, {"timeout:", k.Timeout.Load()}, {"refused:", k.Refused.Load()},
				{"other:", k.Other.Load()}, {"invalid:", k.Invalid.Load()}, {"too_big:", 0}, {"truncated:", 0},
				{"outdated:", 0}} {
				fmt.Fprintf(&b, "  %-12s %d\n", c.label, c.n)
			}
		}
	}
	if want != "" && !found {
		return "Can't find that resolvers section\n"
	}
	return b.String()
}
