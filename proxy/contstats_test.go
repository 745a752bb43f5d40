package proxy

import (
	"bytes"
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
			b := startTunnelWith(t, impl.run, to, func(lc *liveConn) { lc.cont = cont })
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
