package proxy

import (
	"strings"
	"testing"

	"fulcrum/proxy/internal/difftest"
)

// The log of a request carries the connection counts of that moment
// (%ac, %fc, actconn/feconn in httplog). A test that opens a connection
// after closing another must wait until the proxy has ended the first,
// or the counts (and the order of the log lines) depend on scheduling.

// waitRefFrontendIdle waits until the reference's frontend fe has no
// session left (scur 0 in `show stat`).
func waitRefFrontendIdle(t *testing.T, ref *difftest.Reference, fe string) {
	t.Helper()
	waitFor(t, "the reference's frontend "+fe+" to have no session", func() bool {
		out, err := ref.Command("show stat")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Split(line, ","); len(f) > 4 && f[0] == fe && f[1] == "FRONTEND" {
				return f[4] == "0"
			}
		}
		return false
	})
}

// waitFrontendIdle waits until our frontend fe has no session: its log
// lines are out and its counts are down.
func waitFrontendIdle(t *testing.T, e *Engine, fe string) {
	t.Helper()
	waitFor(t, "our frontend "+fe+" to have no session", func() bool { return e.FrontendCounters(fe).Cur.Load() == 0 })
}
