package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// The Runtime API tests run the same configuration as ours and as the
// reference, send the same command lines to both (as `socat` does: the
// line, end of input, read until EOF) and compare the answers once the
// values that differ between runs (ages, pointers, dates) are masked.

const apiConfig = `global
    stats socket "${DIR}/admin.sock" mode 600 level admin
    stats socket "${DIR}/user.sock" level user
    stats socket "${DIR}/oper.sock" level operator
    stats timeout 30s
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    maxconn 1000
    default_backend be
backend b0
    server x "${S4}" id 7
backend be
    server s1 "${S1}"
    server s2 "${S2}" weight 3
    server s3 "${S3}" disabled
backend st
    id 20
    balance static-rr
    server a "${S1}"
`

// apiRun is one running binary with its sockets.
type apiRun struct {
	p     *proc
	dir   string
	front string
}

// startAPI runs bin on apiConfig with the given backends and waits for
// its admin socket.
func startAPI(t *testing.T, bin string, servers []*idServer) *apiRun {
	t.Helper()
	return startAPIConfig(t, bin, apiConfig, servers)
}

// startAPIConfig runs bin on a configuration using ${DIR}, ${FE_PORT}
// and ${S1}... for the servers.
func startAPIConfig(t *testing.T, bin, config string, servers []*idServer) *apiRun {
	t.Helper()
	// Not t.TempDir: HAProxy reads commas in a socket path as address
	// list separators, and subtest names may hold some.
	dir, err := os.MkdirTemp("", "fulcrum-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	env := []string{"DIR=" + dir, "FE_PORT=" + port}
	for i, s := range servers {
		env = append(env, "S"+strconv.Itoa(i+1)+"="+s.addr())
	}
	r := &apiRun{p: startBin(t, bin, env, "-db", "-f", cfg), dir: dir, front: "127.0.0.1:" + port}
	waitFor(t, "the admin socket", func() bool { return strings.HasPrefix(r.cmd(t, "admin", "show backend"), "# name") })
	return r
}

// cmd sends one request line to a socket and returns the whole answer.
func (r *apiRun) cmd(t *testing.T, sock, line string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", filepath.Join(r.dir, sock+".sock"), 2*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return ""
	}
	_ = c.(*net.UnixConn).CloseWrite()
	b, _ := io.ReadAll(c)
	return string(b)
}

func apiServers(t *testing.T) []*idServer {
	var out []*idServer
	for i := 1; i <= 4; i++ {
		out = append(out, startIDServer(t, "s"+strconv.Itoa(i)))
	}
	return out
}

var (
	apiPointer = regexp.MustCompile(`0x[0-9a-f]+`)
	apiDate    = regexp.MustCompile(`\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]`)
	// A `show servers state` line: the 10th field is an age in seconds.
	apiStateLine = regexp.MustCompile(`(?m)^(\d+ \S+ \d+ \S+ \S+ \d+ \d+ \d+ \d+ )\d+ `)
	// `show sess` lines: fields after the age are the reference's internals.
	apiSessTail = regexp.MustCompile(`(?m) age=\S+.*$`)
	// need_conn_est (CSV field 98, typed position 98) is an estimate the
	// statistics snapshot does not reproduce yet (see the lead's notes).
	apiNeedConnTyped = regexp.MustCompile(`(?m)^(S\.\d+\.\d+\.98\.need_conn_est\.1:MGP:u32:)\d+$`)
)

// maskCSVField blanks one field of every CSV data line.
func maskCSVField(s string, field int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if f := strings.Split(l, ","); len(f) > field+1 {
			f[field] = "X"
			lines[i] = strings.Join(f, ",")
		}
	}
	return strings.Join(lines, "\n")
}

// lineDiff lists the lines of got and want that differ, by position.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n  ours %q\n  ref  %q\n", i+1, gl, wl)
		}
	}
	return b.String()
}

// apiLastChgTyped is the lastchg age in `show stat typed`.
var apiLastChgTyped = regexp.MustCompile(`(\.lastchg\.[0-9]+:[A-Za-z]+:u32:)[0-9]+`)

func maskAPI(s string) string {
	s = apiPointer.ReplaceAllString(s, "0xPTR")
	s = apiDate.ReplaceAllString(s, "[DATE]")
	s = apiStateLine.ReplaceAllString(s, "${1}AGE ")
	s = apiNeedConnTyped.ReplaceAllString(s, "${1}X")
	if strings.HasPrefix(s, "# pxname,") {
		s = maskCSVField(s, 98)
		s = maskCSVField(s, 23) // lastchg, an age in seconds: a second boundary between the two reads flips it
	}
	s = apiLastChgTyped.ReplaceAllString(s, "${1}AGE")
	return apiSessTail.ReplaceAllString(s, " age=AGE")
}

// apiScript is the command list of the differential test: socket, line.
var apiScript = [][2]string{
	{"admin", "show backend"},
	{"admin", "show stat"},
	{"admin", "show stat typed"},
	{"admin", "show stat be 4 -1"},
	{"admin", "show stat 4 -1 -1"},
	{"admin", "show stat nope 1 1"},
	{"admin", "show stat domain foo"},
	{"admin", "show servers state"},
	{"admin", "show servers state be"},
	{"admin", "show servers state nope"},
	{"admin", "get weight be/s2"},
	{"admin", "get weight be/zz"},
	{"admin", "get weight zz/s1"},
	{"admin", "get weight be"},
	{"admin", "set weight be/s2 50%"},
	{"admin", "get weight be/s2;get weight be/s1"},
	{"admin", "set weight be/s2 300"},
	{"admin", "set weight be/s2 abc"},
	{"admin", "set weight be/s2 5x"},
	{"admin", "set weight be/s2"},
	{"admin", "set weight st/a 50%"},
	{"admin", "set weight st/a 0%"},
	{"admin", "set server be/s1 state drain"},
	{"admin", "show servers state be"},
	{"admin", "show stat up"},
	{"admin", "show stat no-maint"},
	{"admin", "set server be/s1 state bogus"},
	{"admin", "set server be/s1 health bogus"},
	{"admin", "set server be/s1 agent up"},
	{"admin", "set server be/s1 bogus"},
	{"admin", "set server be/s1"},
	{"admin", "set server be"},
	{"admin", "enable health be/s1"},
	{"admin", "enable agent be/s1"},
	{"admin", "disable health be/s1;disable agent be/s1"},
	{"admin", "set server be/s1 state ready"},
	{"admin", "disable server be/s2;enable server be/s3"},
	{"admin", "show servers state be"},
	{"admin", "set server be/s1 health down"},
	{"admin", "show servers state be"},
	{"admin", "set server be/s1 health up"},
	{"admin", "set server be/s3 addr 127.0.0.2 port 9999"},
	{"admin", "set server be/s3 addr 127.0.0.2"},
	{"admin", "set server be/s3 addr"},
	{"admin", "show servers state be"},
	{"admin", "set maxconn server be/s1 10"},
	{"admin", "set maxconn server be/s1 x"},
	{"admin", "set maxconn server be/s1"},
	{"admin", "set maxconn frontend fe 100"},
	{"admin", "set maxconn frontend nope 1"},
	{"admin", "set maxconn frontend fe"},
	{"admin", "set maxconn frontend fe -1"},
	{"admin", "set maxconn global 500"},
	{"admin", "set maxconn global"},
	{"admin", "set rate-limit sessions global 1000"},
	{"admin", "set rate-limit sessions global"},
	{"admin", "set rate-limit foo global 1"},
	{"admin", "shutdown session 0x1234"},
	{"admin", "shutdown session xyz"},
	{"admin", "shutdown sessions server be/s1"},
	{"admin", "shutdown sessions server be/nope"},
	{"admin", "clear counters"},
	{"admin", "clear counters all"},
	{"admin", "add server be/s5 ${S4}"},
	{"admin", "add server be/s5 ${S4}"},
	{"admin", "add server st/x ${S4}"},
	{"admin", "add server nope/x ${S4}"},
	{"admin", "add server be"},
	{"admin", "show servers state be"},
	{"admin", "set server be/s5 state ready"},
	{"admin", "del server be/s5"},
	{"admin", "set server be/s5 state maint;del server be/s5"},
	{"admin", "del server be/s5"},
	{"admin", "del server nope/s5"},
	{"admin", "add server be/s6 ${S4} weight 7 check"},
	{"admin", "get weight be/s6"},
	{"admin", "show servers state be"},
	{"admin", "show cli level;operator;show cli level;user;show cli level;operator"},
	{"admin", "set timeout cli 5s;set timeout foo 1;set timeout cli"},
	{"admin", "show version"},
	{"admin", "show sess"},
	{"admin", "show errors"},
	{"admin", "show errors nope"},
	{"admin", "quit"},
	{"admin", "show backend;quit;show backend"},
	{"user", "show servers state be;show backend;get weight be/s1;show cli level"},
	{"user", "disable server be/s1"},
	{"user", "set server be/s1 state maint"},
	{"user", "set weight be/s1 2"},
	{"user", "clear counters"},
	{"user", "show sess"},
	{"user", "show errors"},
	{"user", "operator"},
	{"user", "add server be/s7 ${S4}"},
	{"user", "shutdown session 0x1"},
	{"oper", "clear counters;clear counters all"},
	{"oper", "show errors"},
	{"oper", "set maxconn global 10"},
	{"oper", "show cli level;user;show cli level;operator"},
	{"admin", "show servers state"},
}

func TestStatsSocketMatchesReference(t *testing.T) {
	servers := apiServers(t)
	ours := startAPI(t, reftest.Ours(t, "haproxy"), servers)
	ref := startAPI(t, reftest.HAProxy(t), servers)
	expand := func(s string) string {
		return strings.ReplaceAll(s, "${S4}", servers[3].addr())
	}
	// `show info` values are the process's own (pid, uptime, memory):
	// the field names and their order must match.
	names := func(out string) string {
		var b strings.Builder
		for _, l := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(l, ":")
			b.WriteString(name + "\n")
		}
		return b.String()
	}
	for _, sock := range []string{"admin", "user"} {
		if got, want := names(ours.cmd(t, sock, "show info")), names(ref.cmd(t, sock, "show info")); got != want {
			t.Errorf("show info fields on the %s socket:\n%s", sock, lineDiff(got, want))
		}
	}
	for i, step := range apiScript {
		line := expand(step[1])
		got := maskAPI(ours.cmd(t, step[0], line))
		want := maskAPI(ref.cmd(t, step[0], line))
		if got != want {
			t.Errorf("step %d, %s socket, %q:\n%s", i, step[0], line, lineDiff(got, want))
		}
	}
}

// TestStatsSocketPrompt: interactive mode keeps the session open with
// the "> " prompt until quit, on ours as on the reference.
func TestStatsSocketPrompt(t *testing.T) {
	servers := apiServers(t)
	var answers []string
	binaries(t, func(t *testing.T, bin string) {
		r := startAPI(t, bin, servers)
		c, err := net.Dial("unix", filepath.Join(r.dir, "admin.sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		var all strings.Builder
		// One request at a time, reading each answer up to its prompt,
		// as an operator typing would.
		buf := make([]byte, 4096)
		for _, line := range []string{"prompt", "show backend", "get weight be/s2", "set server be/s1 state drain;get weight be/s1"} {
			io.WriteString(c, line+"\n")
			var got string
			for !strings.HasSuffix(got, "\n> ") && !(line == "prompt" && strings.HasSuffix(got, "\n") && strings.Count(all.String(), "> ") > 0) {
				n, err := c.Read(buf)
				got += string(buf[:n])
				if err != nil {
					break
				}
			}
			all.WriteString(got)
		}
		// Prompt off with a command already sent after it: that one is
		// answered, then the socket closes.
		io.WriteString(c, "prompt\nshow backend\n")
		rest, _ := io.ReadAll(c)
		all.Write(rest)
		answers = append(answers, all.String())
	})
	if len(answers) == 2 && answers[0] != answers[1] {
		t.Errorf("prompt sessions differ\nours:\n%q\nreference:\n%q", answers[0], answers[1])
	}
	if len(answers) > 0 && !strings.HasPrefix(answers[0], "\n> # name\nb0\nbe\nst\n\n> 3 (initial 3)\n\n> ") {
		t.Errorf("prompt session: %q", answers[0])
	}
}

// TestStatsSocketStatesInTraffic: drain and maint take a server out of
// the rotation and ready brings it back, seen from the answers.
func TestStatsSocketStatesInTraffic(t *testing.T) {
	servers := apiServers(t)
	binaries(t, func(t *testing.T, bin string) {
		r := startAPI(t, bin, servers)
		who := func(n int) map[string]int {
			got := map[string]int{}
			for range n {
				name, err := ask(r.front)
				if err != nil {
					t.Fatal(err)
				}
				got[name]++
			}
			return got
		}
		// be has s1 (weight 1), s2 (weight 3), s3 in maintenance.
		for _, tc := range []struct {
			desc string
			cmd  string
			want map[string]int
		}{
			{"configured", "", map[string]int{"s1": 2, "s2": 6}},
			{"drain s2", "set server be/s2 state drain", map[string]int{"s1": 8}},
			{"s3 ready", "set server be/s3 state ready", map[string]int{"s1": 4, "s3": 4}},
			{"maint s1", "set server be/s1 state maint", map[string]int{"s3": 8}},
			{"s2 ready again", "set server be/s2 state ready;set server be/s3 state maint", map[string]int{"s2": 8}},
			{"weights", "set server be/s1 state ready;set weight be/s1 3", map[string]int{"s1": 4, "s2": 4}},
		} {
			if tc.cmd != "" {
				if out := r.cmd(t, "admin", tc.cmd); strings.Trim(out, "\n") != "" {
					t.Fatalf("%s: %q", tc.cmd, out)
				}
			}
			got := who(8)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: answers %v, want %v", tc.desc, got, tc.want)
			}
		}
	})
}

const apiMapConfig = `global
    stats socket "${DIR}/admin.sock" level admin
    stats socket "${DIR}/user.sock" level user
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    acl blocked src -f "${DIR}/blocked.acl"
    tcp-request connection reject if blocked
    use_backend %[src,map_ip("${DIR}/route.map",b1)]
backend b1
    server s1 "${S1}"
backend b2
    server s2 "${S2}"
`

// startMapAPI runs bin on apiMapConfig with its pattern files.
func startMapAPI(t *testing.T, bin string, servers []*idServer) *apiRun {
	t.Helper()
	dir, err := os.MkdirTemp("", "fulcrum-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	files := map[string]string{
		"haproxy.cfg": apiMapConfig,
		"blocked.acl": "10.0.0.0/8\n# comment\n192.168.1.1\n",
		"route.map":   "10.1.0.0/16 b2\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	env := []string{"DIR=" + dir, "FE_PORT=" + port, "S1=" + servers[0].addr(), "S2=" + servers[1].addr()}
	r := &apiRun{p: startBin(t, bin, env, "-db", "-f", filepath.Join(dir, "haproxy.cfg")), dir: dir, front: "127.0.0.1:" + port}
	waitFor(t, "the admin socket", func() bool { return strings.HasPrefix(r.cmd(t, "admin", "show map"), "# id") })
	return r
}

// TestStatsSocketMapsAndACLs: the map and ACL commands answer as the
// reference's, and what they change applies to the next connections.
func TestStatsSocketMapsAndACLs(t *testing.T) {
	servers := apiServers(t)
	script := [][2]string{
		{"admin", "show map"},
		{"admin", "show acl"},
		{"admin", "show map DIR/route.map"},
		{"admin", "show acl DIR/blocked.acl"},
		{"admin", "show acl #1"},
		{"admin", "show map DIR/blocked.acl"},
		{"admin", "show map #9"},
		{"admin", "add map DIR/route.map 127.0.0.1 b2"},
		{"admin", "add map DIR/route.map 127.0.0.1"},
		{"admin", "add map DIR/route.map bogus b2"},
		{"admin", "add acl DIR/blocked.acl 10.9.9.9"},
		{"admin", "add acl DIR/blocked.acl bogus"},
		{"admin", "add acl DIR/blocked.acl"},
		{"admin", "show map DIR/route.map;show acl DIR/blocked.acl"},
		{"admin", "set map DIR/route.map 10.1.0.0/16 b1"},
		{"admin", "set map DIR/route.map 10.2.0.0/16 b1"},
		{"admin", "set map DIR/route.map 10.1.0.0/16"},
		{"admin", "del acl DIR/blocked.acl 10.9.9.9"},
		{"admin", "del acl DIR/blocked.acl 10.9.9.9"},
		{"admin", "del map DIR/route.map"},
		{"admin", "show map DIR/route.map;show acl DIR/blocked.acl"},
		{"user", "show map DIR/route.map"},
		{"admin", "clear acl DIR/blocked.acl;clear map"},
		{"admin", "show acl DIR/blocked.acl"},
	}
	var outs [][]string
	binaries(t, func(t *testing.T, bin string) {
		r := startMapAPI(t, bin, servers)
		run := func(sock, line string) string {
			out := r.cmd(t, sock, strings.ReplaceAll(line, "DIR", r.dir))
			return maskAPI(strings.ReplaceAll(out, r.dir, "DIR"))
		}
		if got, _ := ask(r.front); got != "s1" {
			t.Fatalf("before any change: %q", got)
		}
		var got []string
		for _, step := range script[:8] {
			got = append(got, run(step[0], step[1]))
		}
		// 127.0.0.1 now maps to b2.
		if got, _ := ask(r.front); got != "s2" {
			t.Errorf("after add map: %q, want s2", got)
		}
		for _, step := range script[8:] {
			got = append(got, run(step[0], step[1]))
		}
		// Blocking the client's own address rejects it.
		if out := run("admin", "add acl DIR/blocked.acl 127.0.0.1"); out != "\n" {
			t.Fatalf("add acl: %q", out)
		}
		if got, _ := ask(r.front); got != "" {
			t.Errorf("after add acl: %q, want a rejected connection", got)
		}
		run("admin", "del acl DIR/blocked.acl 127.0.0.1")
		if got, _ := ask(r.front); got != "s2" {
			t.Errorf("after del acl: %q, want s2", got)
		}
		run("admin", "clear map DIR/route.map")
		if got, _ := ask(r.front); got != "s1" {
			t.Errorf("after clear map: %q, want s1 (the default)", got)
		}
		outs = append(outs, got)
	})
	if len(outs) == 2 {
		for i := range outs[0] {
			if outs[0][i] != outs[1][i] {
				t.Errorf("%q:\nours:\n%q\nreference:\n%q", script[i][1], outs[0][i], outs[1][i])
			}
		}
	}
}

const apiCheckConfig = `global
    stats socket "${DIR}/admin.sock" level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    default_backend ck
backend ck
    server up1 "${S1}" check inter 2s fastinter 100ms
    server down1 "${S4}" check inter 2s fastinter 100ms downinter 2s rise 1 fall 1
    server ag "${S2}" agent-check agent-port ${AGENT_PORT} agent-inter 60s agent-addr 127.0.0.1
    server ckport "${S3}" check inter 2s fastinter 100ms port ${S3_PORT} addr 127.0.0.1
`

// TestStatsSocketChecksMatchReference: servers with health and agent
// checks, once the checks settled (every server checked at least once;
// fastinter until then, then an inter long enough that no check is in
// progress while compared), report the same check status, result,
// health and states in `show servers state`, and the agent commands
// answer the same.
func TestStatsSocketChecksMatchReference(t *testing.T) {
	servers := apiServers(t)
	// down1 points at a port nobody listens on.
	servers[3].stop()
	agentPort := freePort(t)
	_, s3port, _ := net.SplitHostPort(servers[2].addr())
	config := strings.NewReplacer("${AGENT_PORT}", agentPort, "${S3_PORT}", s3port).Replace(apiCheckConfig)
	script := []string{
		"show servers state ck",
		"disable agent ck/ag;show servers state ck",
		"set server ck/ag agent up",
		"enable agent ck/ag;set server ck/ag agent down;set server ck/ag agent foo",
		"show servers state ck",
		"set server ck/ag agent up;set server ck/up1 agent up",
		"disable health ck/up1;show servers state ck",
		"enable health ck/up1;enable health ck/ag",
	}
	var outs [][]string
	binaries(t, func(t *testing.T, bin string) {
		r := startAPIConfig(t, bin, config, servers)
		waitFor(t, "the checks to settle", func() bool {
			st := r.cmd(t, "admin", "show servers state ck")
			return strings.Contains(st, " up1 127.0.0.1 2 0 1 1 ") && strings.Contains(st, " down1 127.0.0.1 0 0 ") &&
				regexp.MustCompile(` up1 (\S+ ){8}4 `).MatchString(st) &&
				// ckport's first check is spread up to 'inter' after
				// start: compared before it ran or after it, by timing.
				regexp.MustCompile(` ckport (\S+ ){8}4 `).MatchString(st)
		})
		var got []string
		for _, line := range script {
			got = append(got, maskAPI(r.cmd(t, "admin", line)))
		}
		outs = append(outs, got)
	})
	if len(outs) == 2 {
		for i := range outs[0] {
			if outs[0][i] != outs[1][i] {
				t.Errorf("%q:\n%s", script[i], lineDiff(outs[0][i], outs[1][i]))
			}
		}
	}
}

const apiTableConfig = `global
    stats socket "${DIR}/admin.sock" level admin
    stats socket "${DIR}/user.sock" level user
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    stick-table type ip size 100 expire 10m store conn_cnt,conn_cur,gpc0
    tcp-request connection track-sc0 src
    default_backend be
backend be
    stick-table type string len 8 size 10 store gpc0
    server s1 "${S1}"
# Declared last and named last: "show table" lists it first, as the
# reference lists tables last declared first, not by name.
backend zz
    stick-table type integer size 10
`

var apiExp = regexp.MustCompile(` exp=\d+`)

// TestStatsSocketTablesMatchReference: `show table` and `clear table`
// answer as the reference after the same connections.
func TestStatsSocketTablesMatchReference(t *testing.T) {
	servers := apiServers(t)
	script := [][2]string{
		{"admin", "show table"},
		{"admin", "show table nope"},
		{"admin", "show table fe"},
		{"admin", "show table fe key 127.0.0.1"},
		{"admin", "show table fe key 10.9.9.9"},
		{"admin", "show table fe key"},
		{"admin", "show table fe data.conn_cnt gt 1"},
		{"admin", "show table fe data.conn_cnt gt 100"},
		{"admin", "show table fe data.bogus gt 1"},
		{"admin", "show table fe data.conn_cnt zz 1"},
		{"admin", "show table fe foo"},
		{"admin", "show table be"},
		{"user", "show table fe"},
		{"user", "show table fe key 127.0.0.1"},
		{"user", "clear table fe key 127.0.0.1"},
		{"user", "show table fe data.conn_cnt gt 1"},
		{"user", "clear table fe data.conn_cnt gt 1;show table fe data.conn_cnt gt 1"},
		{"admin", "show table fe data.conn_cnt gt 1"},
		{"admin", "clear table"},
		{"admin", "clear table nope"},
		{"admin", "clear table fe foo"},
		{"admin", "clear table fe data.conn_cnt gt 100"},
		{"admin", "show table fe"},
		{"admin", "clear table fe key 127.0.0.1;show table fe"},
	}
	var outs [][]string
	binaries(t, func(t *testing.T, bin string) {
		r := startAPIConfig(t, bin, apiTableConfig, servers)
		for range 3 {
			if got, err := ask(r.front); got != "s1" {
				t.Fatalf("through the proxy: %q %v", got, err)
			}
		}
		waitFor(t, "the connections to end", func() bool {
			return strings.Contains(r.cmd(t, "admin", "show table fe"), "conn_cnt=3 conn_cur=0\n")
		})
		var got []string
		for _, step := range script {
			got = append(got, apiExp.ReplaceAllString(maskAPI(r.cmd(t, step[0], step[1])), " exp=X"))
		}
		outs = append(outs, got)
	})
	if len(outs) == 2 {
		for i := range outs[0] {
			if outs[0][i] != outs[1][i] {
				t.Errorf("%s socket, %q:\n%s", script[i][0], script[i][1], lineDiff(outs[0][i], outs[1][i]))
			}
		}
	}
}

// TestStatsSocketAcrossReload: the sockets stay open over a reload (a
// session in prompt mode survives it), the admin state set through them
// carries over, and the unix socket files are removed at exit.
func TestStatsSocketAcrossReload(t *testing.T) {
	servers := apiServers(t)
	r := startAPI(t, reftest.Ours(t, "haproxy"), servers)
	c, err := net.Dial("unix", filepath.Join(r.dir, "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "prompt\n")
	readPrompt := func() string {
		var got string
		buf := make([]byte, 4096)
		for !strings.HasSuffix(got, "\n> ") {
			n, err := c.Read(buf)
			got += string(buf[:n])
			if err != nil {
				t.Fatalf("prompt session: %v after %q", err, got)
			}
		}
		return got
	}
	readPrompt()
	if out := r.cmd(t, "admin", "set server be/s2 state drain"); out != "\n" {
		t.Fatalf("set server: %q", out)
	}
	r.p.reload(t)
	waitFor(t, "the reload", func() bool { return strings.Contains(r.p.out.String(), "Loading success.") })
	io.WriteString(c, "show servers state be\n")
	if got := readPrompt(); !strings.Contains(got, " s2 127.0.0.1 2 8 3 3 ") {
		t.Errorf("after the reload, from the session opened before: %q", got)
	}
	c.Close()
	r.p.signal(t, syscall.SIGUSR1)
	r.p.waitExit(t)
	for _, name := range []string{"admin.sock", "user.sock", "oper.sock"} {
		if _, err := os.Stat(filepath.Join(r.dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", name, err)
		}
	}
}

const apiErrorsConfig = `global
    stats socket "${DIR}/admin.sock" level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    default_backend be
backend be
    server s1 "${S1}"
`

// TestStatsSocketErrorsMatchReference: requests the HTTP parser refuses
// are captured and `show errors` shows the last one per frontend as the
// reference does (its HTTP/1 parser's internal flag lines apart).
func TestStatsSocketErrorsMatchReference(t *testing.T) {
	servers := apiServers(t)
	bad := []string{"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n", "BAD\x01REQ\\\t\x1b\r\n\r\n"}
	script := []string{"show errors", "show errors fe", "show errors 2", "show errors be", "show errors nope",
		"show errors fe response", "show errors -1 request"}
	h1Flags := regexp.MustCompile(`(?m)^  H1 .*\n`)
	var outs [][]string
	binaries(t, func(t *testing.T, bin string) {
		r := startAPIConfig(t, bin, apiErrorsConfig, servers)
		for _, req := range bad {
			c, err := net.Dial("tcp", r.front)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, req)
			io.ReadAll(c)
			c.Close()
		}
		waitFor(t, "the captures", func() bool { return strings.Contains(r.cmd(t, "admin", "show errors"), "event #1,") })
		var got []string
		for _, line := range script {
			out := h1Flags.ReplaceAllString(r.cmd(t, "admin", line), "")
			out = regexp.MustCompile(`src 127\.0\.0\.1:\d+`).ReplaceAllString(maskAPI(out), "src 127.0.0.1:PORT")
			got = append(got, out)
		}
		outs = append(outs, got)
	})
	if len(outs) == 2 {
		for i := range outs[0] {
			if outs[0][i] != outs[1][i] {
				t.Errorf("%q:\n%s", script[i], lineDiff(outs[0][i], outs[1][i]))
			}
		}
	}
}
