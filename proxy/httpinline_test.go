package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// inlineLog records, per logged request, what the tests of serveInline
// look at: the path, its idle and request times, and the reads of the
// client socket that found nothing so far.
type inlineLog struct {
	mu   sync.Mutex
	recs []inlineRec
}

type inlineRec struct {
	req        string
	status     int
	idle, recv time.Duration
	emptyReads int
}

func (l *inlineLog) add(r *Record) {
	rec := inlineRec{req: string(r.HTTP.Request), status: r.HTTP.Status, idle: r.HTTP.TIdle, recv: r.HTTP.TReq}
	if r.sess != nil && r.sess.http != nil {
		if c, ok := r.sess.http.cli.(*rawTCP); ok {
			rec.emptyReads = c.emptyReads
		}
	}
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
}

// wait returns the records once n are logged (a line is written after
// its answer).
func (l *inlineLog) wait(t *testing.T, n int) []inlineRec {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d log lines", n), func() bool { return len(l.all()) >= n })
	return l.all()
}

func (l *inlineLog) all() []inlineRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]inlineRec(nil), l.recs...)
}

// startInlineEngine runs the http test configuration over b, logging into
// the returned inlineLog.
func startInlineEngine(t *testing.T, b *httpBackend) (*Engine, *inlineLog) {
	t.Helper()
	l := &inlineLog{}
	cfg := httpConfig(t, b.addr())
	return startEngineOpts(t, cfg, Options{AccessLog: l.add}), l
}

// TestHTTPInlineOneReadPerRequest: on a kept-alive connection whose client
// waits for each answer before the next request, the proxy reads the
// client once per request, never finding the socket empty between
// requests (the usual path would, once per request).
func TestHTTPInlineOneReadPerRequest(t *testing.T) {
	b := startHTTPBackend(t, "s1")
	e, l := startInlineEngine(t, b)
	c := dialFE(t, e)
	rd := bufio.NewReader(c)
	const n = 20
	for i := range n {
		if resp, body := httpRoundTrip(t, c, rd, fmt.Sprintf("GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n", i)); resp.StatusCode != 200 || body != "s1" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(time.Millisecond)
	}
	recs := l.wait(t, n)
	if len(recs) != n {
		t.Fatalf("%d requests logged, want %d", len(recs), n)
	}
	// The first request is read the usual way, and the first read of
	// the inline path cannot know the socket is empty: at most two.
	if got := recs[n-1].emptyReads; got > 2 {
		t.Fatalf("%d reads found the client socket empty over %d requests, want at most 2", got, n)
	}
}

// TestHTTPInlineRequestShapes: pipelined requests, a head split across
// segments, bodies whole or still arriving, and chunked bodies all
// get their answers in order on one kept-alive connection, and the server
// receives every body whole.
func TestHTTPInlineRequestShapes(t *testing.T) {
	b := startHTTPBackend(t, "s1")
	e, l := startInlineEngine(t, b)
	c := dialFE(t, e)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	expect := func(what, wantBody string) {
		t.Helper()
		resp, body := httpRoundTrip(t, c, rd, "")
		if resp.StatusCode != 200 || body != wantBody {
			t.Fatalf("%s: %d %q, want 200 %q", what, resp.StatusCode, body, wantBody)
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(c, s); err != nil {
			t.Fatal(err)
		}
	}
	get := func(p string) string { return "GET " + p + " HTTP/1.1\r\nHost: x\r\n\r\n" }

	send(get("/first"))
	expect("first", "s1")
	send(get("/p1") + get("/p2") + get("/p3"))
	for _, p := range []string{"p1", "p2", "p3"} {
		expect("pipelined "+p, "s1")
	}
	send("GET /split HTTP/1.1\r\nHo")
	time.Sleep(50 * time.Millisecond)
	send("st: x\r\n\r\n")
	expect("split head", "s1")
	send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	expect("whole body", "hello")
	send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello")
	time.Sleep(50 * time.Millisecond)
	send(" world")
	expect("late body", "hello world")
	send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	expect("chunked body", "3\r\nabc\r\n0\r\n\r\n") // echoed as the server got it
	send(get("/last"))
	expect("last", "s1")

	_, bodies := b.received()
	if got, want := strings.Join(bodies, ","), ",,,,,hello,hello world,3\r\nabc\r\n0\r\n\r\n,"; got != want {
		t.Errorf("server got bodies %q, want %q", got, want)
	}
	if n := len(l.wait(t, 9)); n != 9 {
		t.Errorf("%d requests logged, want 9", n)
	}
}

// TestHTTPInlineTimers: a request served inside the read call is logged
// with the idle time the client took before sending it (%Ti) and the
// time its head took to arrive (%TR), as on the usual path.
func TestHTTPInlineTimers(t *testing.T) {
	b := startHTTPBackend(t, "s1")
	e, l := startInlineEngine(t, b)
	c := dialFE(t, e)
	rd := bufio.NewReader(c)
	const pause = 150 * time.Millisecond
	for i := range 3 {
		httpRoundTrip(t, c, rd, fmt.Sprintf("GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n", i))
		time.Sleep(pause)
	}
	io.WriteString(c, "GET /split HTTP/1.1\r\n")
	time.Sleep(pause)
	httpRoundTrip(t, c, rd, "Host: x\r\n\r\n")
	recs := l.wait(t, 4)
	if len(recs) != 4 {
		t.Fatalf("%d requests logged", len(recs))
	}
	for i, r := range recs[1:3] {
		if r.idle < pause || r.recv >= pause {
			t.Errorf("request %d: Ti %v TR %v, want Ti >= %v and TR below it", i+1, r.idle, r.recv, pause)
		}
	}
	if r := recs[3]; r.idle < pause || r.recv < pause {
		t.Errorf("split request: Ti %v TR %v, want both >= %v", r.idle, r.recv, pause)
	}
}

// TestHTTPInlineShutdownSession: shutting down a session whose kept-alive
// request waits on a silent server (an exchange running inside the
// client's read call) ends it at once: the call returns, the client sees
// the connection close, and the session goes away.
func TestHTTPInlineShutdownSession(t *testing.T) {
	b := startHTTPBackend(t, "s1")
	e, _ := startInlineEngine(t, b)
	c := dialFE(t, e)
	rd := bufio.NewReader(c)
	httpRoundTrip(t, c, rd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(10 * time.Millisecond)
	io.WriteString(c, "GET /stall HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "the stalled request at the server", func() bool {
		heads, _ := b.received()
		return len(heads) == 2
	})
	var sess []SessionInfo
	waitFor(t, "the session", func() bool { sess = e.Sessions(); return len(sess) == 1 })
	done := make(chan error, 1)
	go func() { done <- e.ShutdownSession(sess[0].ID) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown session did not return")
	}
	expectEOF(t, c, "after shutdown session")
	// Not retried on a new server connection: the session ends now, not
	// after timeout server.
	waitFor(t, "the session to end", func() bool { return len(e.Sessions()) == 0 })
	if heads, _ := b.received(); len(heads) != 2 {
		t.Errorf("the server got %d requests, want 2", len(heads))
	}
}

// TestHTTPInlineKeepAliveTimeout: a kept-alive connection left idle is
// closed after timeout http-keep-alive, counted from the end of the last
// answer, without a log line.
func TestHTTPInlineKeepAliveTimeout(t *testing.T) {
	b := startHTTPBackend(t, "s1")
	l := &inlineLog{}
	cfg := httpConfig(t, b.addr())
	cfg.Frontends[0].HTTP.TimeoutKeepAlive = 300 * time.Millisecond
	e := startEngineOpts(t, cfg, Options{AccessLog: l.add})
	c := dialFE(t, e)
	rd := bufio.NewReader(c)
	for range 3 {
		httpRoundTrip(t, c, rd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	answered := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	if idle := time.Since(answered); idle < 300*time.Millisecond {
		t.Errorf("closed after %v, before timeout http-keep-alive", idle)
	}
	if n := len(l.all()); n != 3 {
		t.Errorf("%d lines logged, want 3", n)
	}
}

// TestRawTCPReadInsideReadCall: a read made while a read call on the same
// connection is in progress (an exchange served inline that needs more
// client bytes after all) waits for them instead of deadlocking, and
// honours the read deadline.
func TestRawTCPReadInsideReadCall(t *testing.T) {
	c, peer := rawTCPPair(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		io.WriteString(peer, "late")
	}()
	var got string
	var deadlineErr error
	c.inline = true
	err := c.rc.Read(func(uintptr) bool {
		b := make([]byte, 16)
		n, err := c.Read(b)
		if err != nil {
			t.Errorf("read: %v", err)
		}
		got = string(b[:n])
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, deadlineErr = c.Read(b)
		return true
	})
	c.inline = false
	if err != nil || got != "late" {
		t.Fatalf("read %q, %v", got, err)
	}
	if !errors.Is(deadlineErr, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", deadlineErr)
	}
}
