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
	// Not t.TempDir: HAProxy reads commas in a socket path as address
	// list separators, and subtest names may hold some.
	dir, err := os.MkdirTemp("", "fulcrum-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(apiConfig), 0o644); err != nil {
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
)

func maskAPI(s string) string {
	s = apiPointer.ReplaceAllString(s, "0xPTR")
	s = apiDate.ReplaceAllString(s, "[DATE]")
	s = apiStateLine.ReplaceAllString(s, "${1}AGE ")
	return apiSessTail.ReplaceAllString(s, " age=AGE")
}

// apiScript is the command list of the differential test: socket, line.
var apiScript = [][2]string{
	{"admin", "show backend"},
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
	for i, step := range apiScript {
		line := expand(step[1])
		got := maskAPI(ours.cmd(t, step[0], line))
		want := maskAPI(ref.cmd(t, step[0], line))
		if got != want {
			t.Errorf("step %d, %s socket, %q:\nours:\n%q\nreference:\n%q", i, step[0], line, got, want)
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
		for _, line := range []string{"prompt", "show backend", "get weight be/s2", "set server be/s1 state drain;get weight be/s1", "prompt"} {
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
		// Prompt off: the next command is answered, then the socket closes.
		io.WriteString(c, "show backend\n")
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
