package proxy

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/internal/spoatest"
	"fulcrum/proxy/spop"
)

// spoeFile is the SPOE configuration both sides read.
func spoeFile(t *testing.T) string {
	p, err := filepath.Abs("testdata/spoe/checks.cfg")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// spoeHTTPConfig is the http comparison's configuration: a frontend
// whose filter sends on-request (and admin-only) before the rules, a
// group from a rule, on-response from the backend's response stage, and
// client-visible headers made of the variables the agent sets.
func spoeHTTPConfig(port int, spoePath, server, agent string) string {
	return fmt.Sprintf(`defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	unique-id-format id-%%ci-%%fi
	option http-buffer-request
	filter spoe engine checks config %s
	http-request deny deny_status 403 if { var(txn.chk.verdict) -m str ban }
	http-request send-spoe-group checks grp if { path_beg /grp }
	http-request return status 200 content-type text/plain lf-string "grp=%%[var(req.chk.grp)]" if { path_beg /grp }
	http-response set-header x-verdict %%[var(txn.chk.verdict)]
	http-response set-header x-score %%[var(txn.chk.score)]
	http-response set-header x-big %%[var(txn.chk.big)]
	http-response set-header x-flag %%[var(txn.chk.flag)]
	http-response set-header x-addr %%[var(txn.chk.addr)]
	http-response set-header x-addr6 %%[var(txn.chk.addr6)]
	http-response set-header x-admin %%[var(txn.chk.admin)]
	http-response set-header x-status %%[var(res.chk.status)]
	http-response set-header x-err %%[var(txn.chk.err)]
	http-response set-header x-be %%[var(txn.chk.be)]
	http-response set-header x-ptime %%[var(txn.chk.ptime)]
	http-response set-header x-ttime %%[var(txn.chk.ttime)]
	default_backend be
backend be
	server s1 %s
backend agents
	mode tcp
	server a1 %s
`, port, spoePath, server, agent)
}

// checksReply is the agent's answer: each message gets actions made from
// its arguments, so a wrong argument shows in what the client reads.
func checksReply(msgs []spop.Message) []spop.Action {
	var acts []spop.Action
	for _, m := range msgs {
		arg := func(name string) spop.Value { v, _ := spop.Lookup(m.Args, name); return v }
		switch m.Name {
		case "on-request":
			verdict := "allow"
			if strings.Contains(string(arg("path").Bytes), "/bad") {
				verdict = "ban"
			}
			acts = append(acts,
				spoatest.SetVar(spop.ScopeTxn, "verdict", spoatest.Str(verdict)),
				spoatest.SetVar(spop.ScopeTxn, "score", spop.Value{Type: spop.Int32, Int: -7}),
				spoatest.SetVar(spop.ScopeTxn, "big", spop.Value{Type: spop.Uint64, Int: 1 << 40}),
				spoatest.SetVar(spop.ScopeTxn, "flag", arg("t")),
				spoatest.SetVar(spop.ScopeTxn, "addr", spop.Value{Type: spop.IPv4, IP: netip.MustParseAddr("10.1.2.3")}),
				spoatest.SetVar(spop.ScopeTxn, "addr6", spop.Value{Type: spop.IPv6, IP: netip.MustParseAddr("2001:db8::1")}))
		case "on-backend":
			acts = append(acts, spoatest.SetVar(spop.ScopeTxn, "be", arg("be")))
		case "admin-only":
			acts = append(acts, spoatest.SetVar(spop.ScopeTxn, "admin", arg("who")))
		case "grouped":
			acts = append(acts, spoatest.SetVar(spop.ScopeReq, "grp", arg("uri")))
		case "on-response":
			acts = append(acts, spop.Action{Kind: spop.UnsetVar, Scope: spop.ScopeTxn, Name: "score"},
				spoatest.SetVar(spop.ScopeRes, "status", arg("status")))
		}
	}
	return acts
}

// spoeRequest is one request of an http comparison.
type spoeRequest struct{ desc, raw string }

// spoeRequests are the http comparison's requests.
var spoeRequests = []spoeRequest{
	{"allowed", "GET /ok?q=1 HTTP/1.1\r\nHost: x\r\nX-A: hello\r\nConnection: close\r\n\r\n"},
	{"denied from the agent's verdict", "GET /bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
	{"conditional message", "POST /admin/Panel HTTP/1.1\r\nHost: x\r\nX-User: bob\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
	{"send-spoe-group", "GET /grp/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
	{"send-spoe-group with a body", "POST /grp/2 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=1&b=2"},
	{"agent does not answer", "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
	{"after the timeout", "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
}

// spoeOutcome is what one side gave: per request the status line and
// the x- headers (process times masked), and the NOTIFY frames.
type spoeOutcome struct {
	answers  []string
	notifies []string
}

var digits = regexp.MustCompile(`[0-9]+`)

func playSPOE(t *testing.T, addr string, agent *spoatest.Agent, reqs []spoeRequest) spoeOutcome {
	var out spoeOutcome
	for _, rq := range reqs {
		head, body, err := difftest.RawHTTP(addr, rq.raw)
		if err != nil {
			t.Fatalf("%s (to %s, agent notified %q): %v", rq.desc, addr, agent.Notifies(), err)
		}
		lines := strings.Split(head, "\r\n")
		keep := []string{lines[0]}
		for _, l := range lines[1:] {
			l = strings.ToLower(l)
			if strings.HasPrefix(l, "x-ptime:") || strings.HasPrefix(l, "x-ttime:") {
				l = digits.ReplaceAllString(l, "N") // a duration
			}
			if strings.HasPrefix(l, "x-") {
				keep = append(keep, l)
			}
		}
		slices.Sort(keep[1:])
		out.answers = append(out.answers, rq.desc+": "+strings.Join(keep, " | ")+" || "+body)
	}
	out.notifies = agent.Notifies()
	// The distinct HAPROXY-DISCONNECT frames: how many times the
	// reference reconnects before giving up is its own business.
	var byes []string
	for _, kvs := range agent.Disconnects() {
		byes = append(byes, fmt.Sprint(kvs))
	}
	slices.Sort(byes)
	if byes = slices.Compact(byes); len(byes) > 0 {
		out.answers = append(out.answers, "disconnects: "+strings.Join(byes, " "))
	}
	return out
}

// dropSlow makes the agent leave /slow's request unanswered.
func dropSlow(msgs []spop.Message) bool {
	for _, m := range msgs {
		if v, ok := spop.Lookup(m.Args, "path"); ok && string(v.Bytes) == "/slow" {
			return true
		}
	}
	return false
}

// TestSPOEMatchesReference: the same SPOE file and configuration, the
// same requests, an agent answering the same way: the agent receives
// the same messages (names, argument names, types and values) from the
// reference and from ours, and the clients read the same answers (a
// deny from the agent's verdict, headers made of the typed variables it
// set, the error and process-time variables when it does not answer
// within timeout processing).
func TestSPOEMatchesReference(t *testing.T) {
	compareSPOEHTTP(t, spoeFile(t), func(a *spoatest.Agent) { a.Reply, a.Drop = checksReply, dropSlow }, spoeRequests)
}

// compareSPOEHTTP plays reqs through the reference and through ours,
// each with its own agent set up by agentSetup, with the http
// configuration and the SPOE file at spoePath.
func compareSPOEHTTP(t *testing.T, spoePath string, agentSetup func(*spoatest.Agent), reqs []spoeRequest) {
	bin := reftest.HAProxy(t)
	run := func(start func(port int, cfg string) string) spoeOutcome {
		agent := spoatest.Start(t)
		agentSetup(agent)
		srv := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}})
		port := difftest.FreePort(t)
		addr := start(port, spoeHTTPConfig(port, spoePath, srv.Addr("s1"), agent.Addr()))
		return playSPOE(t, addr, agent, reqs)
	}
	compareSPOESides(t, bin, run)
}

// TestSPOEErrorsMatchReference: an agent that goes away (with an
// AGENT-DISCONNECT status or without a word), none listening, and option
// continue-on-error after a timeout: the error variable and the events
// still sent are the reference's, and every request is served.
func TestSPOEErrorsMatchReference(t *testing.T) {
	get := func(path string) spoeRequest {
		return spoeRequest{"GET " + path, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}
	}
	// variant is the SPOE file with one more agent line, and the
	// other replacements (from, to, from, to...).
	variant := func(line string, replace ...string) string {
		text, err := os.ReadFile(spoeFile(t))
		if err != nil {
			t.Fatal(err)
		}
		replace = append(replace, "option set-on-error err", "option set-on-error err\n  "+line)
		text = []byte(strings.NewReplacer(replace...).Replace(string(text)))
		path := filepath.Join(t.TempDir(), "spoe.cfg")
		if err := os.WriteFile(path, text, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	long := spoeRequest{"long header", "GET /ok HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 400) + "\r\nConnection: close\r\n\r\n"}
	for _, tc := range []struct {
		desc  string
		file  string
		setup func(*spoatest.Agent)
		reqs  []spoeRequest
	}{
		{"agent disconnects with a status", spoeFile(t), func(a *spoatest.Agent) { a.Disconnect = spop.StatusTooBig },
			[]spoeRequest{get("/ok"), get("/ok")}},
		{"agent closes without a word", spoeFile(t), func(a *spoatest.Agent) { a.Disconnect = -1 },
			[]spoeRequest{get("/ok"), get("/ok")}},
		{"no agent listening", spoeFile(t), func(a *spoatest.Agent) { a.Close() }, []spoeRequest{get("/ok")}},
		{"continue-on-error", variant("option continue-on-error"), func(a *spoatest.Agent) { a.Reply, a.Drop = checksReply, dropSlow },
			[]spoeRequest{get("/slow"), get("/ok")}},
		// Without the on-client-session message: after other frames on
		// the agent connection, the reference sometimes never ends the
		// stream.
		{"message over max-frame-size", variant("max-frame-size 256", "on-response http-session\n", "on-response\n"), func(a *spoatest.Agent) { a.Reply = checksReply },
			[]spoeRequest{long, get("/ok")}},
	} {
		t.Run(tc.desc, func(t *testing.T) { compareSPOEHTTP(t, tc.file, tc.setup, tc.reqs) })
	}
}

// compareSPOESides plays run with the reference (bin), then with ours:
// start runs a side on its configuration (listening on port, frontend
// fe) and gives the address to play against.
func compareSPOESides(t *testing.T, bin string, run func(start func(port int, cfg string) string) spoeOutcome) {
	t.Helper()
	ref := run(func(port int, cfg string) string {
		difftest.StartReferenceConfig(t, bin, cfg)
		t.Logf("the reference listens on 127.0.0.1:%d", port)
		return fmt.Sprintf("127.0.0.1:%d", port)
	})
	ours := run(func(_ int, cfg string) string {
		e, _ := startOurs(t, cfg, plainLine)
		return feAddr(e, "fe")
	})
	compareSPOE(t, ref, ours)
}

func compareSPOE(t *testing.T, ref, ours spoeOutcome) {
	t.Helper()
	if !slices.Equal(ref.answers, ours.answers) {
		t.Errorf("answers:\nref  %s\nours %s", strings.Join(ref.answers, "\n     "), strings.Join(ours.answers, "\n     "))
	}
	if !slices.Equal(ref.notifies, ours.notifies) {
		t.Errorf("NOTIFY frames:\nref  %s\nours %s", strings.Join(ref.notifies, "\n     "), strings.Join(ours.notifies, "\n     "))
	}
	if testing.Verbose() {
		t.Logf("reference:\n%s\n%s", strings.Join(ref.answers, "\n"), strings.Join(ref.notifies, "\n"))
	}

}

// TestSPOETCPMatchesReference: in tcp mode the on-client-session and
// on-frontend-tcp-request messages (the default variable prefix: the
// agent's id) reach the agent as from the reference, and a tcp-request
// content rule rejects the connection the agent's answer marks.
func TestSPOETCPMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	reply := func(msgs []spop.Message) []spop.Action {
		var acts []spop.Action
		for _, m := range msgs {
			if v, ok := spop.Lookup(m.Args, "ip"); ok && v.IP == netip.MustParseAddr("127.0.0.2") {
				acts = append(acts, spoatest.SetVar(spop.ScopeTxn, "verdict", spoatest.Str("ban")))
			}
			if m.Name == "on-content" {
				acts = append(acts, spoatest.SetVar(spop.ScopeSess, "seen", spoatest.Str("yes")))
			}
		}
		return acts
	}
	run := func(start func(port int, cfg string) string) spoeOutcome {
		agent := spoatest.Start(t)
		agent.Reply = reply
		srv := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
		port := difftest.FreePort(t)
		addr := start(port, fmt.Sprintf(`defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	filter spoe engine tcp config %s
	tcp-request content reject if { var(txn.tcpagent.verdict) -m str ban }
	tcp-request content reject unless { var(sess.tcpagent.seen) -m str yes }
	default_backend be
backend be
	server s1 %s
backend agents
	server a1 %s
`, port, spoeFile(t), srv.Addr("s1"), agent.Addr()))
		var out spoeOutcome
		for _, src := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.1"} {
			name, c, err := difftest.DialSend(addr, src, "hello\n")
			if err != nil {
				name = "closed"
			} else {
				c.Close()
			}
			out.answers = append(out.answers, src+": "+name)
		}
		out.notifies = agent.Notifies()
		return out
	}
	compareSPOESides(t, bin, run)
}

// TestSPOEConcurrentStreams: streams running at once each get the answer
// to their own message (pooled agent connections never cross answers),
// and the agent sees every message once.
func TestSPOEConcurrentStreams(t *testing.T) {
	agent := spoatest.Start(t)
	agent.Reply = checksReply
	srv := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}})
	e, _ := startOurs(t, spoeHTTPConfig(difftest.FreePort(t), spoeFile(t), srv.Addr("s1"), agent.Addr()), plainLine)
	const clients, each = 8, 5
	errs := make(chan error, clients*each)
	for c := range clients {
		go func() {
			for i := range each {
				path, want := fmt.Sprintf("/ok-%d-%d", c, i), "200"
				if (c+i)%2 == 1 {
					path, want = fmt.Sprintf("/bad-%d-%d", c, i), "403"
				}
				head, _, err := difftest.RawHTTP(feAddr(e, "fe"), "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				if err == nil && !strings.HasPrefix(head, "HTTP/1.1 "+want) {
					err = fmt.Errorf("%s: got %q, want %s", path, strings.SplitN(head, "\r\n", 2)[0], want)
				}
				errs <- err
			}
		}()
	}
	for range clients * each {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// http-session and on-request for each, on-backend and on-response
	// for those allowed.
	if n := len(agent.Notifies()); n != 2*clients*each+2*(clients*each/2) {
		t.Errorf("the agent got %d NOTIFY frames", n)
	}
}

// TestSPOEIdleDisconnect: an agent connection idle for `timeout idle` is
// closed with the HAPROXY-DISCONNECT frame the reference sends.
func TestSPOEIdleDisconnect(t *testing.T) {
	bin := reftest.HAProxy(t)
	path := spoeFileEdited(t, "timeout idle 10s", "timeout idle 200ms")
	compareSPOESides(t, bin, func(start func(port int, cfg string) string) spoeOutcome {
		agent := spoatest.Start(t)
		agent.Reply = checksReply
		srv := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}})
		port := difftest.FreePort(t)
		addr := start(port, spoeHTTPConfig(port, path, srv.Addr("s1"), agent.Addr()))
		out := playSPOE(t, addr, agent, spoeRequests[:1])
		var byes [][]spop.KV
		waitFor(t, "the idle agent connection's end", func() bool { byes = agent.Disconnects(); return len(byes) > 0 })
		out.answers = append(out.answers, fmt.Sprint(byes))
		return out
	})
}

// spoeFileEdited is a copy of the test's SPOE file with old replaced by
// new, in the test's temporary directory.
func spoeFileEdited(t *testing.T, old, new string) string {
	t.Helper()
	text, err := os.ReadFile(spoeFile(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spoe.cfg")
	if err := os.WriteFile(path, []byte(strings.Replace(string(text), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
