package proxy

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stats"
)

// fakeAgent answers every connection with the current reply, after
// reading what the check sends, and counts the connections it served
// with each reply.
type fakeAgent struct {
	mu     sync.Mutex
	reply  string
	gen    int
	served map[int]int
	got    string
	addr   string
}

func newFakeAgent(t *testing.T) *fakeAgent {
	a := &fakeAgent{served: map[int]int{}}
	ln := difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) {
		a.mu.Lock()
		reply, gen := a.reply, a.gen
		a.mu.Unlock()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 64)
		n, _ := c.Read(buf) // agent-send
		c.Write([]byte(reply))
		a.mu.Lock()
		a.served[gen]++
		a.got = string(buf[:n])
		a.mu.Unlock()
	})
	a.addr = ln.Addr().String()
	return a
}

func (a *fakeAgent) say(reply string) {
	a.mu.Lock()
	a.reply = reply
	a.gen++
	a.mu.Unlock()
}

// settle waits until n agent checks got the current reply.
func (a *fakeAgent) settle(t *testing.T, n int) {
	for range 500 {
		a.mu.Lock()
		done := a.served[a.gen] >= n
		a.mu.Unlock()
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the agent was not asked %d times", n)
}

// agentColumns picks be/s1's agent columns from `show stat` CSV
// (agent_duration, a time, left out; the "* " the reference puts before
// agent_status while an agent check is under way removed).
func agentColumns(t *testing.T, csvText string) string {
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvText, "# "))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("show stat: %v\n%s", err, csvText)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, r := range rows[1:] {
		if len(r) == len(rows[0]) && r[0] == "be" && r[1] == "s1" {
			var b strings.Builder
			for _, name := range []string{"agent_status", "agent_code", "agent_desc", "last_agt", "agent_rise", "agent_fall", "agent_health"} {
				fmt.Fprintf(&b, "%s=%s ", name, strings.TrimPrefix(r[col[name]], "* "))
			}
			return b.String()
		}
	}
	t.Fatalf("no be/s1 in show stat:\n%s", csvText)
	return ""
}

// TestAgentCheckMatchesReference plays agent replies to the reference
// and to our engine: after each, the server's state-change lines so far,
// its weight and the agent columns of its statistics must be the same.
func TestAgentCheckMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	replies := []string{
		"down\n", "up\n", "drain\n", "ready\n", "maint\n", "ready\n", "drain 20%\n", "maint\n", "down\n",
		"ready\n", "up\n", "50%\n", "stopped #going away\n", "up 75% # back\n",
		"fail\n", "foo\n", "up 50%x\n", "DOWN, 0%\n", "up bar\n", "100%\n", "up 1000%\n",
		"maxconn:10 up\n", "fail\n", "up maxconn:5x 7%\n", "fail\n", "maxconn: up\n", "up", "down\r\n", "#only a comment\n", "\tUp\n",
	}
	type snapshot struct {
		lines  []string
		weight string
	}
	play := func(start func(cfg string) (lines func() []string, weight func() string)) []snapshot {
		healthy := difftest.Serve(t, difftest.BackendHost+":0", func(net.Conn) {})
		agent := newFakeAgent(t)
		host, port, _ := net.SplitHostPort(agent.addr)
		cfg := "defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n\ttimeout check 500ms\n" +
			fmt.Sprintf("backend be\n\tserver s1 %s weight 40 check inter 100ms rise 1 fall 1 agent-check agent-addr %s agent-port %s agent-inter 100ms agent-send \"hello\\n\"\n",
				healthy.Addr(), host, port) +
			fmt.Sprintf("\tserver s2 %s check inter 100ms\n", healthy.Addr())
		agent.say("ready\n")
		lines, weight := start(cfg)
		agent.settle(t, 2)
		var snaps []snapshot
		for _, r := range replies {
			agent.say(r)
			agent.settle(t, 2) // the first is applied by the time the second is served
			snaps = append(snaps, snapshot{lines(), weight()})
		}
		agent.mu.Lock()
		defer agent.mu.Unlock()
		if agent.got != "hello\n" {
			t.Errorf("the agent got %q, want the agent-send string", agent.got)
		}
		return snaps
	}
	keep := func(msg string) bool { return strings.Contains(msg, "be/s1") || strings.Contains(msg, "'be'") }
	want := play(func(cfg string) (func() []string, func() string) {
		ref := difftest.StartReferenceConfig(t, bin, cfg)
		return func() []string {
				var l []string
				for _, line := range strings.Split(ref.Output(), "\n") {
					if _, msg, ok := strings.Cut(line, ") : "); ok && keep(msg) {
						l = append(l, normCheck(msg))
					}
				}
				return l
			}, func() string {
				out, err := ref.Command("show stat")
				if err != nil {
					t.Fatal(err)
				}
				return "weight=" + ref.StatField("s1", 18) + " " + agentColumns(t, out)
			}
	})
	got := play(func(text string) (func() []string, func() string) {
		c, diags := adapt(t, text)
		for _, d := range diags {
			t.Errorf("adapter: %v", d)
		}
		sink := &logSink{}
		e := startEngine(t, c, sink)
		return func() []string {
				sink.mu.Lock()
				defer sink.mu.Unlock()
				var l []string
				for _, x := range sink.lines {
					if _, msg, ok := strings.Cut(x, "] "); ok && keep(msg) {
						l = append(l, normCheck(msg))
					}
				}
				return l
			}, func() string {
				var buf bytes.Buffer
				if err := stats.WriteCSV(&buf, e.Snapshot(), stats.Options{}); err != nil {
					t.Fatal(err)
				}
				// The user weight, as the reference shows it, also during a
				// drain (our statistics show 0 then).
				b := e.rt.Load().backends["be"]
				b.mu.Lock()
				w := b.byName["s1"].uweight
				b.mu.Unlock()
				return "weight=" + strconv.Itoa(w) + " " + agentColumns(t, buf.String())
			}
	})
	for i, r := range replies {
		// A line the reference repeats at every agent check (a weight
		// set during a drain) counts once: the number of checks per
		// reply is not fixed.
		got[i].lines, want[i].lines = slices.Compact(got[i].lines), slices.Compact(want[i].lines)
		if !slices.EqualFunc(want[i].lines, got[i].lines, sameUpLine) || got[i].weight != want[i].weight {
			t.Errorf("after the agent said %q:\nref  (%s):\n%s\nours (%s):\n%s", r,
				want[i].weight, strings.Join(want[i].lines, "\n"), got[i].weight, strings.Join(got[i].lines, "\n"))
		}
	}
}

// agentUpRE and checkUpRE are the two reasons the reference may give for
// a server the agent brings back up: its own "up" report, or, when the
// health check's task runs between the agent's reading the reply and
// its notifying the server, the health check's.
var (
	agentUpRE = regexp.MustCompile(`^(Server \S+ is UP), reason: Layer7 check passed, code: 0, info: "via agent : [uU][pP][^"]*", (check duration: Nms\..*)$`)
	checkUpRE = regexp.MustCompile(`^(Server \S+ is UP), reason: Layer4 check passed, (check duration: Nms\..*)$`)
)

// sameUpLine compares a reference line with ours, taking the reference's
// health-check reason for an agent's "up" as a match.
func sameUpLine(ref, ours string) bool {
	if ref == ours {
		return true
	}
	r, o := checkUpRE.FindStringSubmatch(ref), agentUpRE.FindStringSubmatch(ours)
	return r != nil && o != nil && r[1] == o[1] && r[2] == o[2]
}
