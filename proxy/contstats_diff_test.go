package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// contStatsConfig turns option contstats on in the defaults, keeps it in
// listen cont and turns it off again in listen plain; both forward to one
// server.
const contStatsConfig = `defaults
	mode tcp
	timeout connect 1s
	timeout client 30s
	timeout server 30s
	option contstats
listen cont
	bind 127.0.0.1:%[1]d
	server s1 %[3]s
listen plain
	bind 127.0.0.1:%[2]d
	no option contstats
	server s1 %[3]s
`

// contRows are the rows whose byte counters the comparison reads.
var contRows = []string{"cont/FRONTEND", "cont/s1", "cont/BACKEND", "plain/FRONTEND", "plain/s1", "plain/BACKEND"}

// doublingServer answers every read with its bytes twice, so that bin
// and bout differ.
func doublingServer(t *testing.T) string {
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				c.Write(append(buf[:n:n], buf[:n]...))
			}
			if err != nil {
				return
			}
		}
	})
	return ln.Addr().String()
}

// contSide is one implementation running contStatsConfig, with a client
// connection through each listen.
type contSide struct {
	name  string
	stat  func() string
	conns map[string]net.Conn // by proxy name
}

// exchange sends n bytes on each connection and reads the doubled answer.
func (s *contSide) exchange(t *testing.T, n int) {
	t.Helper()
	for px, c := range s.conns {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(bytes.Repeat([]byte{'c'}, n)); err != nil {
			t.Fatalf("%s %s: %v", s.name, px, err)
		}
		if _, err := io.ReadFull(c, make([]byte, 2*n)); err != nil {
			t.Fatalf("%s %s: reading the answer: %v", s.name, px, err)
		}
	}
}

// bytesOf returns "bin/bout" of every contRows row.
func (s *contSide) bytesOf(t *testing.T) map[string]string {
	_, rows := parseCSV(t, s.stat())
	out := map[string]string{}
	for _, k := range contRows {
		out[k] = rows[k]["bin"] + "/" + rows[k]["bout"]
	}
	return out
}

// TestContStatsMatchesReference: with option contstats a tcp tunnel's
// bytes show in the frontend, backend and server rows while it is open
// (the reference counts at least every 5 seconds), without it only once
// it ended; and at the end each byte is counted once.
func TestContStatsMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := doublingServer(t)
	refCont, refPlain := difftest.FreePort(t), difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(contStatsConfig, refCont, refPlain, srv))
	e := startAdapted(t, fmt.Sprintf(contStatsConfig, difftest.FreePort(t), difftest.FreePort(t), srv))
	refStat := func() string {
		out, err := ref.Command("show stat")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	sides := []*contSide{
		{name: "reference", stat: refStat, conns: map[string]net.Conn{
			"cont": dialT(t, fmt.Sprintf("127.0.0.1:%d", refCont)), "plain": dialT(t, fmt.Sprintf("127.0.0.1:%d", refPlain))}},
		{name: "ours", stat: func() string { return ourCSV(t, e) }, conns: map[string]net.Conn{
			"cont": dialT(t, feAddr(e, "cont")), "plain": dialT(t, feAddr(e, "plain"))}},
	}
	const first, second = 1000, 300
	for _, s := range sides {
		s.exchange(t, first)
	}
	// Both sides are polled together: the reference may count at once
	// (part of it, even), ours counts on its 5-second tick.
	want := fmt.Sprintf("%d/%d", first, 2*first)
	seen := make([]map[string]string, len(sides))
	deadline := time.Now().Add(3 * contStatsEvery)
	for time.Now().Before(deadline) && (seen[0] == nil || seen[1] == nil) {
		for i, s := range sides {
			if seen[i] != nil {
				continue
			}
			if got := s.bytesOf(t); got["cont/FRONTEND"] == want {
				seen[i] = got
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, s := range sides {
		if seen[i] == nil {
			t.Fatalf("%s: cont/FRONTEND never counted the open tunnel's bytes", s.name)
		}
		for _, k := range contRows {
			w := want
			if strings.HasPrefix(k, "plain/") {
				w = "0/0" // not before the end without the option
			}
			if seen[i][k] != w {
				t.Errorf("%s during the transfer: %s bin/bout %s, want %s", s.name, k, seen[i][k], w)
			}
		}
	}
	for _, s := range sides {
		s.exchange(t, second)
		for _, c := range s.conns {
			c.Close()
		}
	}
	want = fmt.Sprintf("%d/%d", first+second, 2*(first+second))
	for _, s := range sides {
		for _, px := range []string{"cont", "plain"} {
			waitField(t, s.name, s.stat, px+"/FRONTEND", "scur", "0")
		}
		got := s.bytesOf(t)
		for _, k := range contRows {
			if got[k] != want {
				t.Errorf("%s at the end: %s bin/bout %s, want %s", s.name, k, got[k], want)
			}
		}
	}
}

// dialT connects to addr or fails the test.
func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
