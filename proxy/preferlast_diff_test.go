package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// namedServers are HTTP servers that answer each request with their name
// and the number of the connection it came on ("s2#1": s2's first
// connection), so that the client sees both which server and which
// server connection served it. "/close" is answered with Connection:
// close; "/hold" waits for the server's hold channel; authAnswers
// challenge.
type namedServers struct {
	addrs []string
	hold  []chan struct{}
}

// authAnswers are the authentication challenges namedServers answer
// some paths with: a 401 (407 for Proxy-Authenticate), or a 200 for
// "/h200".
var authAnswers = map[string]string{
	"/ntlm":  "WWW-Authenticate: NTLM\r\n",
	"/nego":  "WWW-Authenticate: Negotiate abc\r\n",
	"/basic": "WWW-Authenticate: Basic realm=x\r\n",
	"/p407":  "Proxy-Authenticate: NTLM\r\n",
	"/h200":  "WWW-Authenticate: NTLM\r\n",
}

func startNamedServers(t *testing.T, n int) *namedServers {
	ns := &namedServers{}
	for i := range n {
		name := fmt.Sprintf("s%d", i+1)
		hold := make(chan struct{}, 4)
		var conns atomic.Int32
		ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
			id := conns.Add(1)
			r := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(r)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				if req.URL.Path == "/hold" {
					select {
					case <-hold:
					case <-time.After(10 * time.Second):
					}
				}
				body := fmt.Sprintf("%s#%d", name, id)
				closing := req.URL.Path == "/close"
				status, extra := "200 OK", authAnswers[req.URL.Path]
				if closing {
					extra = "Connection: close\r\n"
				}
				if extra != "" && !closing && req.URL.Path != "/h200" {
					status = "401 Unauthorized"
					if strings.HasPrefix(extra, "Proxy") {
						status = "407 Proxy Authentication Required"
					}
				}
				fmt.Fprintf(c, "HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n%s", status, len(body), extra, body)
				if closing {
					return
				}
			}
		})
		ns.addrs = append(ns.addrs, ln.Addr().String())
		ns.hold = append(ns.hold, hold)
	}
	return ns
}

// preferLastConfig is a listen section "be" balancing with balance over
// the servers, with the extra lines; defaults are the prefix (empty:
// plain http ones); "{n}" in serverOpts is the server's number.
func preferLastConfig(defaults, balance, extra string, port int, ns *namedServers, serverOpts string) string {
	if defaults == "" {
		defaults = "defaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n\ttimeout queue 5s\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%slisten be\n\tbind 127.0.0.1:%d\n\tbalance %s\n", defaults, port, balance)
	for _, l := range strings.Split(extra, ";") {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
	}
	for i, a := range ns.addrs {
		opts := strings.ReplaceAll(serverOpts, "{n}", strconv.Itoa(i+1))
		fmt.Fprintf(&b, "\tserver s%d %s %s\n", i+1, a, opts)
	}
	return b.String()
}

// plTarget is one proxy under test: its address and its Runtime API.
type plTarget struct {
	addr  string
	admin func(cmd string) // a Runtime API command on the listen "be"
	// counts are a server's lbtot/connect/reuse counters.
	counts func(server string) string
	// settle waits until the proxy is done with the closed client
	// connections: ours hands a client's last server connection to the
	// shared pool when the client leaves, the reference after each
	// response.
	settle func()
}

func refTarget(t *testing.T, ref *difftest.Reference, port int) plTarget {
	return plTarget{
		addr: fmt.Sprintf("127.0.0.1:%d", port),
		admin: func(cmd string) {
			if out, err := ref.Command(cmd); err != nil || strings.TrimSpace(out) != "" {
				t.Fatalf("reference %q: %q %v", cmd, out, err)
			}
		},
		settle: func() {
			waitFor(t, "the reference's client sessions to end", func() bool {
				out, err := ref.Command("show sess")
				return err == nil && strings.Count(out, "proto=") <= 1 // the CLI's own
			})
		},
		counts: func(s string) string {
			return ref.StatField(s, statColumn(t, ref, "lbtot")) + "/" + ref.StatField(s, statColumn(t, ref, "connect")) +
				"/" + ref.StatField(s, statColumn(t, ref, "reuse"))
		},
	}
}

// statColumn is the index of a `show stat` column in the reference's
// header.
func statColumn(t *testing.T, ref *difftest.Reference, name string) int {
	out, err := ref.Command("show stat")
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(strings.TrimPrefix(out, "# "), "\n")
	for i, f := range strings.Split(header, ",") {
		if f == name {
			return i
		}
	}
	t.Fatalf("no %s column in %q", name, header)
	return 0
}

// ourAdmin applies the Runtime API commands the cases use to our engine.
var ourAdminCmd = regexp.MustCompile(`^(disable server|enable server|set weight|set server) be/(\S+)(?: (.*))?$`)

func ourTarget(t *testing.T, e *Engine) plTarget {
	return plTarget{
		addr: feAddr(e, "be"),
		admin: func(cmd string) {
			m := ourAdminCmd.FindStringSubmatch(cmd)
			if m == nil {
				t.Fatalf("no mapping for %q", cmd)
			}
			var err error
			switch m[1] {
			case "disable server":
				err = e.SetServerAdmin("be", m[2], AdminMaint)
			case "enable server":
				err = e.SetServerAdmin("be", m[2], AdminReady)
			case "set weight":
				w, _ := strconv.Atoi(m[3])
				err = e.SetServerWeight("be", m[2], w)
			case "set server":
				st := map[string]AdminState{"state drain": AdminDrain, "state ready": AdminReady}[m[3]]
				err = e.SetServerAdmin("be", m[2], st)
			}
			if err != nil {
				t.Fatalf("%q: %v", cmd, err)
			}
		},
		settle: func() {
			waitFor(t, "our client sessions to end", func() bool { return len(e.Sessions()) == 0 })
		},
		counts: func(s string) string {
			_, srv, err := e.lookup("be", s)
			if err != nil {
				t.Fatal(err)
			}
			c := &srv.state.counters
			return fmt.Sprintf("%d/%d/%d", c.LBTotal.Load(), c.Connects.Load(), c.Reuses.Load())
		},
	}
}

// plClient is one kept-alive client connection.
type plClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialPL(t *testing.T, addr string) *plClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &plClient{t: t, c: c, r: bufio.NewReader(c)}
}

// get sends one request and returns the body of its answer ("EOF" when
// the connection ended instead). A header line may follow the path
// after a "|".
func (p *plClient) get(path string) string {
	path, header, _ := strings.Cut(path, "|")
	if header != "" {
		header += "\r\n"
	}
	fmt.Fprintf(p.c, "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path, header)
	resp, err := http.ReadResponse(p.r, nil)
	if err != nil {
		return "EOF"
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

// plCase is one comparison: conns client connections, one after the
// other, each sending paths; after request i (1-based) of the first
// connection, the Runtime API commands of hooks[i] run.
type plCase struct {
	desc, balance, extra string
	defaults, serverOpts string
	servers              int
	paths                []string
	conns                int
	hooks                map[int][]string
}

func (c plCase) play(t *testing.T, tg plTarget) string {
	var out []string
	for k := range c.conns {
		cl := dialPL(t, tg.addr)
		var got []string
		for i, p := range c.paths {
			served := cl.get(p)
			if !strings.Contains(c.extra, "http-reuse never") {
				// Shared idle connections: which one a request takes
				// is the pool's business, not this test's.
				served, _, _ = strings.Cut(served, "#")
			}
			got = append(got, served)
			if k == 0 {
				for _, cmd := range c.hooks[i+1] {
					tg.admin(cmd)
				}
			}
		}
		cl.c.Close()
		tg.settle()
		out = append(out, strings.Join(got, " "))
	}
	var counts []string
	for i := range c.servers {
		counts = append(counts, tg.counts(fmt.Sprintf("s%d", i+1)))
	}
	return strings.Join(out, " | ") + " | lbtot/connect/reuse " + strings.Join(counts, " ")
}

func repeat(path string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = path
	}
	return out
}

// TestPreferLastServerMatchesReference: the servers, and with http-reuse
// never the server connections, a kept-alive client's requests reach are
// the reference's,
// with and without option prefer-last-server, for each http-reuse mode,
// when the last server is put out of rotation or closes between
// requests, with the non-hashing and the hashing algorithms, and with
// more servers than max-session-srv-conns keeps, and when a server asks
// for NTLM or Negotiate authentication (which pins the client to it,
// option or not); the lbtot, connect and reuse counters agree too (a
// preferred server is not counted as balanced).
func TestPreferLastServerMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	const pl, never = "option prefer-last-server", "http-reuse never"
	six := repeat("/a", 6)
	varied := []string{"/a0", "/a1?x=1", "/a2", "/b/a3?x=2", "/a4", "/c/d/a5?x=3"}
	maint := map[int][]string{2: {"disable server be/s1"}, 4: {"enable server be/s1"}}
	onDefaults := "defaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n\toption prefer-last-server\n"
	cases := []plCase{
		{desc: "safe, without", balance: "roundrobin", paths: six},
		{desc: "safe, prefer-last-server has no effect", balance: "roundrobin", extra: pl, paths: six},
		{desc: "never, without", balance: "roundrobin", extra: never, paths: six},
		{desc: "never, prefer-last-server", balance: "roundrobin", extra: pl + ";" + never, paths: six},
		{desc: "always, prefer-last-server", balance: "roundrobin", extra: pl + ";http-reuse always", paths: six},
		{desc: "http-server-close, prefer-last-server", balance: "roundrobin", extra: pl + ";" + never + ";option http-server-close", paths: six},
		{desc: "never, prefer-last-server, last server in maintenance", balance: "roundrobin", extra: pl + ";" + never, paths: six, hooks: maint},
		{desc: "never, without, last server in maintenance", balance: "roundrobin", extra: never, paths: six, hooks: maint},
		{desc: "never, prefer-last-server, last server weight 0", balance: "roundrobin", extra: pl + ";" + never, paths: six,
			hooks: map[int][]string{2: {"set weight be/s1 0"}, 4: {"set weight be/s1 1"}}},
		{desc: "never, prefer-last-server, last server drained", balance: "roundrobin", extra: pl + ";" + never, paths: six,
			hooks: map[int][]string{2: {"set server be/s1 state drain"}, 4: {"set server be/s1 state ready"}}},
		{desc: "never, prefer-last-server, server closes", balance: "roundrobin", extra: pl + ";" + never,
			paths: []string{"/a", "/close", "/a", "/a", "/close", "/a"}},
		{desc: "never, option from defaults", balance: "roundrobin", extra: never, defaults: onDefaults, paths: six},
		{desc: "never, option from defaults turned off", balance: "roundrobin", extra: never + ";no " + pl, defaults: onDefaults, paths: six},
		{desc: "static-rr", balance: "static-rr", extra: pl + ";" + never, paths: six},
		{desc: "leastconn", balance: "leastconn", extra: pl + ";" + never, paths: six},
		{desc: "first", balance: "first", extra: pl + ";" + never, paths: six},
		{desc: "source", balance: "source", extra: pl + ";" + never, paths: six},
		{desc: "uri", balance: "uri", extra: pl + ";" + never, paths: varied},
		{desc: "uri without", balance: "uri", extra: never, paths: varied},
		{desc: "uri whole path-only", balance: "uri path-only whole", extra: pl + ";" + never, paths: varied},
		{desc: "url_param", balance: "url_param x", extra: pl + ";" + never, paths: varied},
		{desc: "hdr", balance: "hdr(host)", extra: pl + ";" + never, paths: six},
		{desc: "seven servers, never", balance: "roundrobin", extra: never, servers: 7, conns: 1, paths: repeat("/a", 14)},
		{desc: "max-session-srv-conns 1", balance: "roundrobin", extra: pl + ";" + never + ";max-session-srv-conns 1", servers: 4, conns: 1,
			paths: repeat("/a", 4), hooks: map[int][]string{1: {"disable server be/s1"}, 3: {"enable server be/s1"}}},
		{desc: "max-session-srv-conns 0", balance: "roundrobin", extra: pl + ";" + never + ";max-session-srv-conns 0", servers: 2, conns: 1,
			paths: repeat("/a", 4)},
	}
	auth := func(path string) []string { return []string{"/a", path, "/a", "/a", "/a", "/a"} }
	cases = append(cases,
		plCase{desc: "NTLM pins", balance: "roundrobin", paths: auth("/ntlm")},
		plCase{desc: "Negotiate pins", balance: "roundrobin", paths: auth("/nego")},
		plCase{desc: "407 NTLM pins", balance: "roundrobin", paths: auth("/p407")},
		plCase{desc: "Basic does not pin", balance: "roundrobin", paths: auth("/basic")},
		plCase{desc: "NTLM in a 200 does not pin", balance: "roundrobin", paths: auth("/h200")},
		plCase{desc: "NTLM pins, never", balance: "roundrobin", extra: never, paths: auth("/ntlm")},
		plCase{desc: "NTLM pins, always", balance: "roundrobin", extra: "http-reuse always", paths: auth("/ntlm")},
		plCase{desc: "NTLM pins over max-keep-alive-queue", balance: "roundrobin", extra: "max-keep-alive-queue 0", paths: auth("/ntlm")},
		plCase{desc: "NTLM pinned server in maintenance", balance: "roundrobin", paths: auth("/ntlm"),
			hooks: map[int][]string{3: {"disable server be/s2"}, 5: {"enable server be/s2"}}},
		plCase{desc: "NTLM pinned connection closes", balance: "roundrobin", paths: []string{"/a", "/ntlm", "/a", "/close", "/a", "/a"}},
		plCase{desc: "NTLM with uri", balance: "uri", paths: []string{"/a0", "/ntlm", "/a2", "/b/a3", "/a4", "/c/a5"}},
	)
	cookie := []string{"/a", "/a", "/a|Cookie: SRV=s2", "/a", "/a|Cookie: SRV=s2", "/a"}
	cases = append(cases,
		plCase{desc: "a persistence cookie wins", balance: "roundrobin", extra: pl + ";" + never + ";cookie SRV",
			serverOpts: "cookie s{n}", paths: cookie},
		plCase{desc: "a persistence cookie, without", balance: "roundrobin", extra: never + ";cookie SRV",
			serverOpts: "cookie s{n}", paths: cookie},
	)
	for _, c := range cases {
		if c.servers == 0 {
			c.servers = 3
		}
		if c.conns == 0 {
			c.conns = 2
		}
		t.Run(c.desc, func(t *testing.T) {
			refNS := startNamedServers(t, c.servers)
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, preferLastConfig(c.defaults, c.balance, c.extra, port, refNS, c.serverOpts))
			want := c.play(t, refTarget(t, ref, port))
			ourNS := startNamedServers(t, c.servers)
			e, _ := startOurs(t, preferLastConfig(c.defaults, c.balance, c.extra, difftest.FreePort(t), ourNS, c.serverOpts), plainLine)
			if got := c.play(t, ourTarget(t, e)); got != want {
				t.Errorf("served by\n ours: %s\n ref:  %s", got, want)
			}
		})
	}
}

// TestPreferLastFullServerMatchesReference: when the last server is
// full, a request stays on it and waits in its queue, unless
// max-keep-alive-queue is exceeded: then it is balanced (here, to the
// backend queue, served by the first server that frees), as the
// reference does.
func TestPreferLastFullServerMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, c := range []struct{ desc, extra string }{
		{"unbounded", "option prefer-last-server;http-reuse never"},
		{"max-keep-alive-queue 0", "option prefer-last-server;http-reuse never;max-keep-alive-queue 0"},
		{"max-keep-alive-queue 1", "option prefer-last-server;http-reuse never;max-keep-alive-queue 1"},
		{"without", "http-reuse never"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			play := func(addr string, ns *namedServers) string {
				a := dialPL(t, addr)
				first := a.get("/a") // s1
				held := make(chan string, 2)
				for range 2 { // s2, then s1 again: both full
					go func() { held <- dialPL(t, addr).get("/hold") }()
					time.Sleep(100 * time.Millisecond)
				}
				second := make(chan string)
				go func() { second <- a.get("/a") }()
				time.Sleep(200 * time.Millisecond) // queued
				ns.hold[1] <- struct{}{}           // s2 frees first
				time.Sleep(200 * time.Millisecond)
				ns.hold[0] <- struct{}{}
				got := []string{first, <-second}
				others := <-held + " " + <-held
				time.Sleep(100 * time.Millisecond) // their slots freed
				got = append(got, a.get("/a"))
				return strings.Join(got, " ") + " | " + others
			}
			refNS := startNamedServers(t, 2)
			port := difftest.FreePort(t)
			difftest.StartReferenceConfig(t, bin, preferLastConfig("", "roundrobin", c.extra, port, refNS, "maxconn 1"))
			want := play(fmt.Sprintf("127.0.0.1:%d", port), refNS)
			ourNS := startNamedServers(t, 2)
			e, _ := startOurs(t, preferLastConfig("", "roundrobin", c.extra, difftest.FreePort(t), ourNS, "maxconn 1"), plainLine)
			if got := play(feAddr(e, "be"), ourNS); got != want {
				t.Errorf("served by\n ours: %s\n ref:  %s", got, want)
			}
		})
	}
}
