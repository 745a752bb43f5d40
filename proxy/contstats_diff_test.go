package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// contStatsConfig turns option contstats on in the defaults, keeps it in
// listen cont and turns it off again in listen plain; both forward to one
// server. The mode is the first argument.
const contStatsConfig = `defaults
	mode %[1]s
	timeout connect 1s
	timeout client 30s
	timeout server 30s
	option contstats
listen cont
	bind 127.0.0.1:%[2]d
	server s1 %[4]s
listen plain
	bind 127.0.0.1:%[3]d
	no option contstats
	server s1 %[4]s
`

// contRows are the rows whose byte counters the comparisons read.
var contRows = []string{"cont/FRONTEND", "cont/s1", "cont/BACKEND", "plain/FRONTEND", "plain/s1", "plain/BACKEND"}

// doublingServer answers every read with its bytes twice, so that bin
// and bout differ.
func doublingServer(t *testing.T) string {
	return difftest.Serve(t, "127.0.0.1:0", doubleAll).Addr().String()
}

func doubleAll(c net.Conn) {
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
}

// contSide is one implementation running contStatsConfig, with a client
// connection through each listen.
type contSide struct {
	name  string
	stat  func() string
	conns map[string]net.Conn // by proxy name
}

// startContSides runs contStatsConfig in mode with server srv on the
// reference and on our engine, and connects a client to each listen.
func startContSides(t *testing.T, mode, srv string) []*contSide {
	bin := reftest.HAProxy(t)
	refCont, refPlain := difftest.FreePort(t), difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(contStatsConfig, mode, refCont, refPlain, srv))
	e := startAdapted(t, fmt.Sprintf(contStatsConfig, mode, difftest.FreePort(t), difftest.FreePort(t), srv))
	return []*contSide{
		{name: "reference", stat: refShowStat(t, ref), conns: map[string]net.Conn{
			"cont": dialT(t, fmt.Sprintf("127.0.0.1:%d", refCont)), "plain": dialT(t, fmt.Sprintf("127.0.0.1:%d", refPlain))}},
		{name: "ours", stat: func() string { return ourCSV(t, e) }, conns: map[string]net.Conn{
			"cont": dialT(t, feAddr(e, "cont")), "plain": dialT(t, feAddr(e, "plain"))}},
	}
}

// refShowStat returns the reference's `show stat`, failing the test on
// error.
func refShowStat(t *testing.T, ref *difftest.Reference) func() string {
	return func() string {
		out, err := ref.Command("show stat")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
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

// request sends req on each connection and reads the answer until it
// ends with until.
func (s *contSide) request(t *testing.T, req, until string) {
	t.Helper()
	for px, c := range s.conns {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, req)
		got := ""
		for !strings.HasSuffix(got, until) {
			b := make([]byte, 1)
			if _, err := c.Read(b); err != nil {
				t.Fatalf("%s %s: %v after %q", s.name, px, err, got)
			}
			got += string(b)
		}
	}
}

// finish closes the connections once the rest is read, and waits for
// the sessions to end.
func (s *contSide) finish(t *testing.T) {
	t.Helper()
	for _, c := range s.conns {
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()
	}
	for _, px := range []string{"cont", "plain"} {
		waitField(t, s.name, s.stat, px+"/FRONTEND", "scur", "0")
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

// agreedBytes polls both sides until the reference counted something for
// cont and both show the same counters (or the deadline passes), then
// checks that they do and that plain counted nothing yet.
func agreedBytes(t *testing.T, sides []*contSide, when string, deadline time.Duration) {
	t.Helper()
	var got [2]map[string]string
	for end := time.Now().Add(deadline); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		got[0], got[1] = sides[0].bytesOf(t), sides[1].bytesOf(t)
		if got[0]["cont/s1"] != "0/0" && fmt.Sprint(got[0]) == fmt.Sprint(got[1]) {
			break
		}
	}
	if got[0]["cont/FRONTEND"] == "0/0" || got[0]["plain/FRONTEND"] != "0/0" {
		t.Errorf("reference %s: cont %s, plain %s: want counted, not counted", when,
			got[0]["cont/FRONTEND"], got[0]["plain/FRONTEND"])
	}
	compareBytes(t, when, got)
}

// compareBytes reports the rows whose counters differ between the sides.
func compareBytes(t *testing.T, when string, got [2]map[string]string) {
	t.Helper()
	for _, k := range contRows {
		if r, o := got[0][k], got[1][k]; r != o {
			t.Errorf("%s: %s bin/bout reference %s, ours %s", when, k, r, o)
		}
	}
}

// endBytes finishes both sides and compares their final counters.
func endBytes(t *testing.T, sides []*contSide) {
	t.Helper()
	for _, s := range sides {
		s.finish(t)
	}
	compareBytes(t, "at the end", [2]map[string]string{sides[0].bytesOf(t), sides[1].bytesOf(t)})
}

// TestContStatsMatchesReference: with option contstats a tcp tunnel's
// bytes show in the frontend, backend and server rows while it is open
// (the reference counts at least every 5 seconds), without it only once
// it ended; and at the end each byte is counted once.
func TestContStatsMatchesReference(t *testing.T) {
	sides := startContSides(t, "tcp", doublingServer(t))
	for _, s := range sides {
		s.exchange(t, 1000)
	}
	// Both sides are polled together: the reference may count at once
	// (part of it, even), ours counts on its 5-second tick.
	agreedBytes(t, sides, "during the transfer", 3*contStatsEvery)
	for _, s := range sides {
		s.exchange(t, 300)
	}
	endBytes(t, sides)
}

// pausedBodyServer answers every request with a 3000-byte body of which
// it sends the first 1000 bytes at once and the rest once release is
// closed.
func pausedBodyServer(t *testing.T, release chan struct{}) string {
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n")
		c.Write(bytes.Repeat([]byte{'a'}, 1000))
		<-release
		c.Write(bytes.Repeat([]byte{'b'}, 2000))
	})
	return ln.Addr().String()
}

// TestContStatsHTTPMatchesReference: in http mode the reference counts
// a response's bytes as each piece of its body passes with option
// contstats, and at the end of the request without; ours counts the
// same bytes at the same points (frontend, backend and server rows).
func TestContStatsHTTPMatchesReference(t *testing.T) {
	release := make(chan struct{})
	let := sync.OnceFunc(func() { close(release) })
	defer let()
	sides := startContSides(t, "http", pausedBodyServer(t, release))
	for _, s := range sides {
		s.request(t, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", strings.Repeat("a", 1000))
	}
	agreedBytes(t, sides, "during the body", 2*time.Second)
	let()
	endBytes(t, sides)
}

// upgradeServer answers a websocket upgrade with 101, then doubles what
// it reads as doublingServer does.
func upgradeServer(t *testing.T) string {
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
		doubleAll(c)
	})
	return ln.Addr().String()
}

// TestContStatsUpgradeMatchesReference: with option contstats the
// exchange that upgraded an http connection counts as the tunnel starts,
// as in the reference (with its Connection: Upgrade header in the
// counted size); and the tunnel's bytes are counted once.
func TestContStatsUpgradeMatchesReference(t *testing.T) {
	sides := startContSides(t, "http", upgradeServer(t))
	for _, s := range sides {
		s.request(t, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", "\r\n\r\n")
	}
	agreedBytes(t, sides, "after the upgrade", 2*time.Second)
	for _, s := range sides {
		s.exchange(t, 100)
	}
	endBytes(t, sides)
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
