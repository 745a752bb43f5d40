package check

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// This file is HAProxy's agent check (`agent-check`): a second check
// that connects to an agent next to the server, optionally sends
// `agent-send`, and reads one line of words that set the server's health
// (up, down, stopped, fail), its administrative state (ready, drain,
// maint), its weight (N%) or maxconn (maxconn:N), with an optional
// "# comment".

// AgentReply is one agent line, split as tcpcheck_agent_expect_reply
// does. When a category is named several times the last word wins.
type AgentReply struct {
	Health  string // "up", "down", "stopped", "fail" (as written), or ""
	Admin   string // "ready", "drain", "maint" (as written), or ""
	Weight  string // the last word starting with a digit and holding a '%'
	MaxConn string // the value after "maxconn:"
	// HasMaxConn: a "maxconn:" word came, MaxConn may still be empty.
	HasMaxConn bool
	Comment    string // after '#', leading blanks skipped
	Err        string // the first word not understood
}

// ParseAgentReply splits an agent's line (without its line end).
func ParseAgentReply(line string) AgentReply {
	var r AgentReply
	isSep := func(c byte) bool { return c == ' ' || c == '\t' || c == ',' }
	for i := 0; i < len(line); {
		c := line[i]
		if isSep(c) {
			i++
			continue
		}
		if c == '#' {
			r.Comment = strings.TrimLeft(line[i+1:], " \t")
			break
		}
		j := i + 1
		for j < len(line) && !isSep(line[j]) && line[j] != '\n' {
			j++
		}
		w := line[i:j]
		i = j + 1
		switch lw := strings.ToLower(w); {
		case lw == "up" || lw == "down" || lw == "stopped" || lw == "fail":
			r.Health = w
		case lw == "ready" || lw == "drain" || lw == "maint":
			r.Admin = w
		case w[0] >= '0' && w[0] <= '9' && strings.IndexByte(w, '%') >= 0:
			r.Weight = w
		case strings.HasPrefix(lw, "maxconn:"):
			r.MaxConn, r.HasMaxConn = w[len("maxconn:"):], true
		case r.Err == "":
			r.Err = w
		}
	}
	return r
}

// AgentWeight computes a server's new weight from an agent's weight
// word and its initial weight, as HAProxy 2.6's
// server_parse_weight_change_request; a non-empty message is the
// reference's complaint, worded (and ended) as it does. static tells the
// backend's algorithm cannot change weights on the fly.
func AgentWeight(word string, initial int, static bool) (int, string) {
	if word == "" {
		return 0, "Require <weight> or <weight%>.\n"
	}
	w, rest, ok := leadingInt(word)
	switch {
	case !ok:
		return 0, "Empty weight string empty or preceded by garbage"
	case rest == "%":
		if w < 0 {
			return 0, "Relative weight must be positive.\n"
		}
		w = min(initial*min(w, 25600)/100, 256)
	case w < 0 || w > 256:
		return 0, "Absolute weight can only be between 0 and 256 inclusive.\n"
	case rest != "":
		return 0, "Trailing garbage in weight string"
	}
	if w != 0 && w != initial && static {
		return 0, "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
	}
	return w, ""
}

// AgentMaxConn reads the value of an agent's "maxconn:N" word as
// server_parse_maxconn_change_request.
func AgentMaxConn(v string) (int, string) {
	if v == "" {
		return 0, "Require <maxconn>.\n"
	}
	n, rest, ok := leadingInt(v)
	switch {
	case !ok:
		return 0, "maxconn string empty or preceded by garbage"
	case rest != "":
		return 0, "Trailing garbage in maxconn string"
	}
	return n, ""
}

// leadingInt is strtol on a word: an optional sign and digits (values
// beyond the int range saturate), and what follows them.
func leadingInt(s string) (n int, rest string, ok bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n < 1<<40 {
			n = n*10 + int(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, s, false
	}
	if neg {
		n = -n
	}
	return n, s[i:], true
}

// AgentIncomplete is the info of an agent check whose agent hung up
// before ending its line: HAProxy keeps the previous status with it.
const AgentIncomplete = "Ignoring incomplete line from agent"

// AgentResult is what one agent check found.
type AgentResult struct {
	// Result is the check's outcome; Status is L7OK for "up", L7STS for
	// down/stopped/fail, a connection or read problem otherwise.
	Result
	// Reply is the agent's line; Replied is false when none came (a
	// connection problem, an incomplete line).
	Reply   AgentReply
	Replied bool
}

// Agent is the agent check of one server.
type Agent struct {
	c    *Checker
	send string
}

// NewAgent prepares the agent check of a server: t is the agent's
// address and timing, send the `agent-send` string.
func NewAgent(t Target, send string) *Agent {
	return &Agent{c: New(&Spec{}, t, nil), send: send}
}

// Run checks the agent every inter (the first time after first) until
// ctx ends, handing each result to handle.
func (a *Agent) Run(ctx context.Context, first time.Duration, handle func(AgentResult)) {
	every(ctx, first, func() time.Duration {
		if r := a.Once(ctx); ctx.Err() == nil {
			handle(r)
		}
		return Spread(a.c.target.Inter, a.c.target.Spread)
	})
}

// Once runs one agent check.
func (a *Agent) Once(ctx context.Context) AgentResult {
	var res AgentResult
	r := a.c.timed(func() Result {
		conn, fail := a.c.dial(ctx, 0)
		if fail != nil {
			return *fail
		}
		defer conn.Close()
		if a.send != "" {
			if _, err := conn.Write([]byte(a.send)); err != nil {
				return Result{Status: L7RSP, Info: fmt.Sprintf("%s at step 1 of tcp-check (send)", ErrnoText(err))}
			}
		}
		in := &input{rd: conn}
		for {
			if i := strings.IndexAny(string(in.data), "\r\n"); i >= 0 {
				res.Reply, res.Replied = ParseAgentReply(string(in.data[:i])), true
				return Result{Status: L7OK}
			}
			if in.eof {
				return Result{Status: L7RSP, Info: AgentIncomplete}
			}
			if r, ok := a.c.recv(in, &Expect{}, 1); !ok {
				return r
			}
		}
	})
	res.Result = r
	return res
}

// HealthText words an agent's health report as HAProxy's check info:
// "via agent : down (comment)"; warn is the first complaint about the
// reply's weight or maxconn words.
func (r AgentReply) HealthText(warn string) string {
	msg := r.Comment
	if msg == "" || strings.EqualFold(r.Health, "up") {
		switch {
		case r.Err != "":
			msg = r.Err
		case warn != "":
			msg = warn
		}
	}
	if msg == "" {
		return "via agent : " + r.Health
	}
	return "via agent : " + r.Health + " (" + msg + ")"
}

// HealthStatus is the check status a health word gives.
func (r AgentReply) HealthStatus() Status {
	if strings.EqualFold(r.Health, "up") {
		return L7OK
	}
	return L7STS
}
