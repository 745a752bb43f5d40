// Package difftest drives the reference haproxy and our engine through the
// same balancing scenario (the same servers, the same connections from the
// same source addresses, the same servers going down and up) and records
// which server answered each connection.
package difftest

import (
	"bufio"
	"fmt"
	"fulcrum/internal/reftest"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is one backend server of a scenario.
type Server struct {
	Name    string
	Weight  int // 0 = HAProxy's default (1)
	Backup  bool
	MaxConn int
}

// Step is one action: a connection (Src, Hold) or a state change (Down/Up).
type Step struct {
	Src  string // client source address, e.g. "127.0.0.7"; "" = 127.0.0.1
	Hold bool   // keep the connection open until the scenario ends
	Down string // take this server down
	Up   string // bring this server back
	// Weight changes a server's weight at run time: "name=N" (the
	// reference's `set weight be/name N`).
	Weight string
	// Release closes the held connection with this 1-based number (in
	// the order connections were held) and waits until the proxy has
	// accounted for it.
	Release int
	// Send is written right after connecting, before the greeting is
	// read (payload for content inspection).
	Send string
	// HTTP scenarios: the request target and one extra header line.
	URI    string
	Header string // "Name: value"
}

// Scenario is one differential case.
type Scenario struct {
	Name       string
	Balance    string // the `balance` line's arguments
	HashType   string // the `hash-type` line's arguments, "" for none
	AllBackups bool
	Servers    []Server
	Steps      []Step
	// HTTP runs the reference in mode http: backends answer HTTP and
	// connection steps send a request (URI, Header).
	HTTP bool
	// FrontendLines are extra configuration lines for the reference's
	// frontend (tcp-request rules...).
	FrontendLines string
}

// Conns makes n connection steps cycling over the given sources.
func Conns(n int, hold bool, srcs ...string) []Step {
	steps := make([]Step, n)
	for i := range steps {
		steps[i].Hold = hold
		if len(srcs) > 0 {
			steps[i].Src = srcs[i%len(srcs)]
		}
	}
	return steps
}

// Sources returns n distinct loopback source addresses 127.0.x.y.
func Sources(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("127.0.%d.%d", (i*37)/250, 2+(i*37)%250)
	}
	return out
}

// BackendHost is where test backends listen. Not 127.0.0.1: outgoing
// loopback connections take their ephemeral source ports on 127.0.0.1, and
// one could grab the port of a stopped backend before it restarts.
const BackendHost = "127.1.0.1"

// Backends are TCP servers on loopback that greet each connection with
// their name and a newline, then hold it until the client closes.
type Backends struct {
	t     testing.TB
	http  bool
	mu    sync.Mutex
	addrs map[string]string
	lns   map[string]net.Listener
	conns []net.Conn
}

// StartBackends listens for each server on an ephemeral loopback port.
func StartBackends(t testing.TB, servers []Server) *Backends {
	return startBackends(t, servers, false)
}

// StartHTTPBackends is StartBackends for HTTP: each request gets a
// response whose body is the server's name, then the connection closes.
func StartHTTPBackends(t testing.TB, servers []Server) *Backends {
	return startBackends(t, servers, true)
}

func startBackends(t testing.TB, servers []Server, http bool) *Backends {
	b := &Backends{t: t, http: http, addrs: map[string]string{}, lns: map[string]net.Listener{}}
	for _, s := range servers {
		b.listen(s.Name, BackendHost+":0")
	}
	t.Cleanup(b.Close)
	return b
}

// Serve listens on addr (retrying briefly: a restarted server's port may
// linger) and runs handle on each connection in its own goroutine, closing
// the connection afterwards. The listener closes when the test ends.
func Serve(t testing.TB, addr string, handle func(net.Conn)) net.Listener {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln
}

func (b *Backends) listen(name, addr string) {
	ln := Serve(b.t, addr, func(c net.Conn) {
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
		if b.http {
			serveHTTPName(c, name)
			return
		}
		if _, err := io.WriteString(c, name+"\n"); err != nil {
			return
		}
		io.Copy(io.Discard, c)
	})
	b.mu.Lock()
	b.addrs[name] = ln.Addr().String()
	b.lns[name] = ln
	b.mu.Unlock()
}

// Addr is the address of the named backend.
func (b *Backends) Addr(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addrs[name]
}

// Stop closes the named backend's listener: connections are refused.
func (b *Backends) Stop(name string) {
	b.mu.Lock()
	ln := b.lns[name]
	delete(b.lns, name)
	b.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Start listens again on the named backend's address.
func (b *Backends) Start(name string) { b.listen(name, b.Addr(name)) }

// Close stops every backend and its connections.
func (b *Backends) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ln := range b.lns {
		ln.Close()
	}
	for _, c := range b.conns {
		c.Close()
	}
	b.lns = map[string]net.Listener{}
}

// Dial connects to addr from src and returns the greeting's server name.
func Dial(addr, src string) (string, net.Conn, error) { return DialSend(addr, src, "") }

// DialSend is Dial writing send first.
func DialSend(addr, src, send string) (string, net.Conn, error) {
	if src == "" {
		src = "127.0.0.1"
	}
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	if send != "" {
		if _, err := io.WriteString(c, send); err != nil {
			c.Close()
			return "", nil, err
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		return "", nil, fmt.Errorf("reading greeting from %s via %s: %v", src, addr, err)
	}
	c.SetReadDeadline(time.Time{})
	return strings.TrimSpace(line), c, nil
}

// serveHTTPName answers one HTTP request with the server's name.
func serveHTTPName(c net.Conn, name string) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(name), name)
}

// DialHTTP sends one request from src and returns the body (the name).
func DialHTTP(addr, src, uri, header string) (string, error) {
	if src == "" {
		src = "127.0.0.1"
	}
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	extra := ""
	if header != "" {
		extra = header + "\r\n"
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test.local\r\n%sConnection: close\r\n\r\n", uri, extra)
	resp, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	_, body, ok := strings.Cut(string(resp), "\r\n\r\n")
	if !ok {
		return "", fmt.Errorf("bad response %q", resp)
	}
	return body, nil
}

// Player is one side of a differential run: it can mark servers down and
// up and waits until the change has taken effect.
type Player interface {
	Addr() string
	SetUp(server string, up bool)
	SetWeight(server string, weight int)
	// Settle waits until server has exactly n connections.
	Settle(server string, n int)
}

// ParseWeight splits a Weight step.
func ParseWeight(s string) (string, int) {
	name, w, _ := strings.Cut(s, "=")
	n, _ := strconv.Atoi(w)
	return name, n
}

// Play runs the scenario's steps through p and returns the server name that
// answered each connection step.
func Play(t testing.TB, sc Scenario, p Player) []string {
	var picks []string
	var held []net.Conn
	var heldOn []string
	load := map[string]int{}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i, st := range sc.Steps {
		switch {
		case st.Down != "":
			p.SetUp(st.Down, false)
		case st.Up != "":
			p.SetUp(st.Up, true)
		case st.Weight != "":
			p.SetWeight(ParseWeight(st.Weight))
		case st.Release > 0:
			held[st.Release-1].Close()
			srv := heldOn[st.Release-1]
			load[srv]--
			p.Settle(srv, load[srv])
		case sc.HTTP:
			name, err := DialHTTP(p.Addr(), st.Src, st.URI, st.Header)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			picks = append(picks, name)
		default:
			name, c, err := DialSend(p.Addr(), st.Src, st.Send)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			picks = append(picks, name)
			if st.Hold {
				held = append(held, c)
				heldOn = append(heldOn, name)
				load[name]++
			} else {
				c.Close()
			}
		}
	}
	return picks
}

// FreePort returns a loopback port below the ephemeral range.
func FreePort(t testing.TB) int { return reftest.FreePort(t) }

// Reference runs the reference haproxy on a scenario.
type Reference struct {
	t        testing.TB
	be       *Backends
	addr     string
	sock     string
	cmd      *exec.Cmd
	finished chan struct{}
	out      *reftest.Output
}

// StartReference starts bin (the reference haproxy) in the foreground with
// one thread, one tcp frontend and the scenario's backend.
func StartReference(t testing.TB, bin string, sc Scenario, be *Backends) *Reference {
	// FreePort can race with other tests taking the port: retry then.
	for attempt := 1; ; attempt++ {
		r, err := startReference(t, bin, sc, be)
		if err == nil {
			return r
		}
		if attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			t.Fatal(err)
		}
	}
}

func startReference(t testing.TB, bin string, sc Scenario, be *Backends) (*Reference, error) {
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var cfg strings.Builder
	mode := "tcp"
	if sc.HTTP {
		mode = "http"
	}
	fmt.Fprintf(&cfg, "defaults\n\tmode %s\n\ttimeout connect 2s\n\ttimeout client 30s\n\ttimeout server 30s\n", mode)
	fmt.Fprintf(&cfg, "frontend fe\n\tbind %s\n\tdefault_backend be\n%s", addr, sc.FrontendLines)
	fmt.Fprintf(&cfg, "backend be\n\tbalance %s\n", sc.Balance)
	if sc.HashType != "" {
		fmt.Fprintf(&cfg, "\thash-type %s\n", sc.HashType)
	}
	if sc.AllBackups {
		cfg.WriteString("\toption allbackups\n")
	}
	for _, s := range sc.Servers {
		fmt.Fprintf(&cfg, "\tserver %s %s check inter 100ms fall 1 rise 1", s.Name, be.Addr(s.Name))
		if s.Weight > 0 {
			fmt.Fprintf(&cfg, " weight %d", s.Weight)
		}
		if s.MaxConn > 0 {
			fmt.Fprintf(&cfg, " maxconn %d", s.MaxConn)
		}
		if s.Backup {
			cfg.WriteString(" backup")
		}
		cfg.WriteString("\n")
	}
	r, err := startReferenceConfig(t, bin, cfg.String())
	if err != nil {
		return nil, err
	}
	r.be, r.addr = be, addr
	return r, nil
}

// StartReferenceConfig runs the reference with -db on a configuration body
// (a global section with one thread and an admin socket is prepended); it
// is killed by PID when the test ends.
func StartReferenceConfig(t testing.TB, bin, body string, flags ...string) *Reference {
	r, err := startReferenceConfig(t, bin, body, flags...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func startReferenceConfig(t testing.TB, bin, body string, flags ...string) (*Reference, error) {
	// Not t.TempDir: test names may hold commas, which HAProxy reads as
	// address list separators in the socket path.
	dir, err := os.MkdirTemp("", "fulcrum-ref-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &Reference{t: t, sock: filepath.Join(dir, "admin.sock"), out: &reftest.Output{}}
	// noreuseport: a port chosen by FreePort that another test process
	// took meanwhile must fail to bind, not be shared silently.
	// Master-worker reloads (-W) need SO_REUSEPORT to rebind.
	noreuse := "\tnoreuseport\n"
	if slices.Contains(flags, "-W") {
		noreuse = ""
	}
	cfg := fmt.Sprintf("global\n\tnbthread 1\n%s\tstats socket %s level admin\n", noreuse, r.sock) + body
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	r.cmd = exec.Command(bin, append(append([]string{"-db"}, flags...), "-f", path)...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	r.finished = make(chan struct{})
	go func() { r.cmd.Wait(); close(r.finished) }()
	t.Cleanup(func() {
		r.cmd.Process.Kill() // by PID: the process we started
		<-r.finished
		if t.Failed() {
			t.Logf("reference config:\n%s\nreference output:\n%s", cfg, r.out.String())
		}
	})
	// Ready once the admin socket answers: the listeners are bound by then.
	for range 200 {
		if _, err := r.command("show info"); err == nil {
			return r, nil
		}
		select {
		case <-r.finished:
			return nil, fmt.Errorf("reference exited early:\n%s", r.out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("reference did not come up:\n%s", r.out.String())
}

// Signal sends sig to the reference process (by its PID) and waits for it
// to exit when wait is set.
func (r *Reference) Signal(sig os.Signal, wait bool) {
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
	if wait {
		select {
		case <-r.finished:
		case <-time.After(10 * time.Second):
			r.t.Fatal("reference did not exit")
		}
	}
}

// Output is everything the reference printed so far.
func (r *Reference) Output() string { return r.out.String() }

// WaitLog waits for a line of output containing substr and returns the
// message after the "[LEVEL]  (PID) : " prefix.
func (r *Reference) WaitLog(substr string) string {
	for range 400 {
		for _, line := range strings.Split(r.out.String(), "\n") {
			if strings.Contains(line, substr) {
				if _, msg, ok := strings.Cut(line, ") : "); ok {
					return msg
				}
				return line
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("reference never logged %q:\n%s", substr, r.out.String())
	return ""
}

// Addr is the reference frontend's address.
func (r *Reference) Addr() string { return r.addr }

// Command sends one Runtime API command to the reference's admin socket
// and returns its answer.
func (r *Reference) Command(cmd string) (string, error) { return r.command(cmd) }

func (r *Reference) command(cmd string) (string, error) {
	c, err := net.Dial("unix", r.sock)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// ServerStatus returns the reference's status column for be/name.
func (r *Reference) ServerStatus(name string) string { return r.statField(name, 17) }

// StatField returns one `show stat` column of be/name (0-based: 17 is
// status, 18 weight).
func (r *Reference) StatField(name string, col int) string { return r.statField(name, col) }

// statField returns one `show stat` column of be/name.
func (r *Reference) statField(name string, col int) string {
	out, err := r.command("show stat")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, ",")
		if len(f) > col && f[0] == "be" && f[1] == name {
			return f[col]
		}
	}
	return ""
}

// Settle waits until the reference shows n current sessions on server.
func (r *Reference) Settle(name string, n int) {
	want := strconv.Itoa(n)
	for range 400 {
		if r.statField(name, 4) == want { // scur
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("reference: be/%s never settled at %d sessions", name, n)
}

// SetWeight changes a server's weight through the admin socket.
func (r *Reference) SetWeight(name string, w int) {
	out, err := r.command(fmt.Sprintf("set weight be/%s %d", name, w))
	if err != nil || strings.TrimSpace(out) != "" {
		r.t.Fatalf("set weight be/%s %d: %q %v", name, w, out, err)
	}
}

// SetUp stops or restarts the backend and waits for the reference's
// health check to notice.
func (r *Reference) SetUp(name string, up bool) {
	want := "DOWN"
	if up {
		r.be.Start(name)
		want = "UP"
	} else {
		r.be.Stop(name)
	}
	for range 400 {
		if strings.HasPrefix(r.ServerStatus(name), want) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("reference never saw %s %s (status %q)", name, want, r.ServerStatus(name))
}

// RunReference plays sc on the reference and returns its picks. The
// reference's own health checks (100ms) may flap a server on a loaded
// machine; a run whose log shows state changes the scenario did not ask
// for is discarded and played again, a bounded number of times.
func RunReference(t *testing.T, bin string, sc Scenario) []string {
	wantDown, wantUp := 0, 0
	for _, st := range sc.Steps {
		if st.Down != "" {
			wantDown++
		}
		if st.Up != "" {
			wantUp++
		}
	}
	start := StartBackends
	if sc.HTTP {
		start = StartHTTPBackends
	}
	for attempt := 1; ; attempt++ {
		var picks []string
		var out string
		ok := t.Run(fmt.Sprintf("reference-%d", attempt), func(t *testing.T) {
			be := start(t, sc.Servers)
			ref := StartReference(t, bin, sc, be)
			picks = Play(t, sc, ref)
			out = ref.Output()
		})
		if !ok {
			t.FailNow()
		}
		down, up := strings.Count(out, " is DOWN"), strings.Count(out, " is UP")
		if down == wantDown && up == wantUp {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("reference log of the compared run:\n%s", out)
				}
			})
			return picks
		}
		if attempt == 3 {
			t.Fatalf("the reference kept changing server states on its own:\n%s", out)
		}
		t.Logf("discarding reference run %d: %d DOWN / %d UP transitions, the scenario made %d / %d:\n%s", attempt, down, up, wantDown, wantUp, out)
	}
}

// RawHTTP sends raw (a whole request, usually with Connection: close) on
// a new connection to addr and returns the response's head and body,
// read until the server closes.
func RawHTTP(addr, raw string) (head, body string, err error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return "", "", err
	}
	resp, err := io.ReadAll(c)
	head, body, _ = strings.Cut(string(resp), "\r\n\r\n")
	return head, body, err
}
