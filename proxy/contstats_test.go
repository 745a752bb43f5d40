package proxy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// With option contstats both tunnel implementations count the bytes in
// the counters while they flow, and the stream's final count adds only
// what was not counted yet.
func TestContStatsCountsAlongTunnels(t *testing.T) {
	for _, impl := range tunnelImpls {
		t.Run(impl.name, func(t *testing.T) {
			var c Counters
			cont := &contStats{counters: []*Counters{&c}, every: 5 * time.Millisecond}
			to := tunnelTimeouts{client: 10 * time.Second, server: 10 * time.Second}
			b := startTunnelWith(t, impl, to, func(lc *liveConn) { lc.cont = cont })
			var in, out int64
			for i := range 3 {
				req := bytes.Repeat([]byte{'q'}, 100+i)
				b.client.Write(req)
				readFull(t, b.server, len(req))
				resp := bytes.Repeat([]byte{'r'}, 1000+i)
				b.server.Write(resp)
				readFull(t, b.client, len(resp))
				in, out = in+int64(len(req)), out+int64(len(resp))
				// Counted while the tunnel is still open.
				waitFor(t, "the bytes so far in the counters", func() bool {
					return c.BytesIn.Load() == in && c.BytesOut.Load() == out
				})
			}
			b.client.Close()
			b.server.Close()
			r := b.wait(t)
			addBytes(cont.counters, r.in, r.out, cont)
			if c.BytesIn.Load() != in || c.BytesOut.Load() != out {
				t.Fatalf("after the end: bin %d bout %d, want %d %d (counted once)", c.BytesIn.Load(), c.BytesOut.Load(), in, out)
			}
		})
	}
}

// Without the option nothing is counted before the end.
func TestContStatsOffCountsAtEnd(t *testing.T) {
	if newContStats(&Frontend{}) != nil {
		t.Fatal("a frontend without option contstats got a along-the-way counter")
	}
	var c Counters
	addBytes([]*Counters{&c}, 7, 9, nil)
	if c.BytesIn.Load() != 7 || c.BytesOut.Load() != 9 {
		t.Fatalf("bin %d bout %d, want 7 9", c.BytesIn.Load(), c.BytesOut.Load())
	}
}

// Options contstats and socket-stats, and a bind's id, are acted on: no
// warning says otherwise, and the adapted frontend carries them, turned
// off again by `no option` after the defaults.
func TestContAndSocketStatsAdapted(t *testing.T) {
	cfg, diags := adapt(t, `defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
    option contstats
    option socket-stats
frontend on
    bind 127.0.0.1:27411 id 4
    default_backend be
frontend off
    bind 127.0.0.1:27412
    no option contstats
    no option socket-stats
    default_backend be
backend be
    server s1 127.0.0.1:27413
`)
	for _, d := range diags {
		if strings.Contains(d.Message, "not acted on") {
			t.Errorf("warning: %s", d.Message)
		}
	}
	got := map[string]string{}
	for _, f := range cfg.Frontends {
		got[f.Name] = fmt.Sprint(f.ContStats, f.SocketStats, f.Binds[0].ID)
	}
	if got["on"] != "true true 4" || got["off"] != "false false 0" {
		t.Errorf("contstats, socket-stats, bind id: on %q, off %q", got["on"], got["off"])
	}
}
