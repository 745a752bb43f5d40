// Package spoatest is a small SPOE agent for tests: it listens on
// loopback, answers the HELLO handshake, records every NOTIFY it is sent
// (decoded: message names, argument names, types and values) and answers
// with the actions its Reply function gives.
package spoatest

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/proxy/spop"
)

// Agent is a running test agent.
type Agent struct {
	ln net.Listener
	// Reply gives the actions answering one NOTIFY's messages; nil
	// answers with none. Set it before traffic starts.
	Reply func(msgs []spop.Message) []spop.Action
	// Silent makes the agent never answer NOTIFY frames (a hung agent);
	// Drop, when set, leaves unanswered those it returns true for.
	Silent bool
	Drop   func(msgs []spop.Message) bool
	// Disconnect, when positive, answers each NOTIFY with an
	// AGENT-DISCONNECT of that status code, then closes; when negative,
	// closes without a word.
	Disconnect int

	mu       sync.Mutex
	notifies [][]spop.Message
	hellos   [][]spop.KV
	byes     [][]spop.KV
	conns    []net.Conn
	changed  chan struct{}
}

// Start runs an agent on a loopback port until the test ends.
func Start(t testing.TB) *Agent {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{ln: ln, changed: make(chan struct{}, 1)}
	go a.accept()
	t.Cleanup(a.Close)
	return a
}

// Addr is the agent's address.
func (a *Agent) Addr() string { return a.ln.Addr().String() }

// Close stops the agent and its connections.
func (a *Agent) Close() {
	a.ln.Close()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.conns {
		c.Close()
	}
}

func (a *Agent) accept() {
	for {
		c, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.mu.Lock()
		a.conns = append(a.conns, c)
		a.mu.Unlock()
		go a.serve(c)
	}
}

func (a *Agent) serve(c net.Conn) {
	defer c.Close()
	for {
		f, err := spop.ReadFrame(c, 1<<20)
		if err != nil {
			return
		}
		switch f.Type {
		case spop.HAProxyHello:
			kvs, err := spop.ReadKVs(f.Payload)
			if err != nil {
				return
			}
			a.record(func() { a.hellos = append(a.hellos, kvs) })
			size := int64(16380)
			if v, ok := spop.Lookup(kvs, "max-frame-size"); ok && v.Int < size {
				size = v.Int
			}
			var p []byte
			p = spop.AppendKV(p, spop.KV{Name: "version", Value: spop.Value{Type: spop.String, Bytes: []byte("2.0")}})
			p = spop.AppendKV(p, spop.KV{Name: "max-frame-size", Value: spop.Value{Type: spop.Uint32, Int: size}})
			p = spop.AppendKV(p, spop.KV{Name: "capabilities", Value: spop.Value{Type: spop.String, Bytes: nil}})
			c.Write(spop.AppendFrame(nil, &spop.Frame{Type: spop.AgentHello, Flags: spop.FlagFin, Payload: p}))
			if v, ok := spop.Lookup(kvs, "healthcheck"); ok && v.Int != 0 {
				return
			}
		case spop.Notify:
			msgs, err := spop.ReadMessages(f.Payload)
			if err != nil {
				return
			}
			a.record(func() { a.notifies = append(a.notifies, cloneMessages(msgs)) })
			if a.Silent || a.Drop != nil && a.Drop(msgs) {
				continue
			}
			if a.Disconnect < 0 {
				return
			}
			if a.Disconnect > 0 {
				var p []byte
				p = spop.AppendKV(p, spop.KV{Name: "status-code", Value: spop.Value{Type: spop.Uint32, Int: int64(a.Disconnect)}})
				p = spop.AppendKV(p, spop.KV{Name: "message", Value: Str("going away")})
				c.Write(spop.AppendFrame(nil, &spop.Frame{Type: spop.AgentDisconnect, Flags: spop.FlagFin, Payload: p}))
				// HAProxy may answer with its own DISCONNECT.
				c.SetReadDeadline(time.Now().Add(time.Second))
				if f, err := spop.ReadFrame(c, 1<<20); err == nil && f.Type == spop.HAProxyDisconnect {
					if kvs, err := spop.ReadKVs(f.Payload); err == nil {
						a.record(func() { a.byes = append(a.byes, kvs) })
					}
				}
				return
			}
			var p []byte
			if a.Reply != nil {
				for _, act := range a.Reply(msgs) {
					p = spop.AppendAction(p, &act)
				}
			}
			c.Write(spop.AppendFrame(nil, &spop.Frame{Type: spop.Ack, Flags: spop.FlagFin, StreamID: f.StreamID, FrameID: f.FrameID, Payload: p}))
		case spop.HAProxyDisconnect:
			if kvs, err := spop.ReadKVs(f.Payload); err == nil {
				a.record(func() { a.byes = append(a.byes, kvs) })
			}
			var p []byte
			p = spop.AppendKV(p, spop.KV{Name: "status-code", Value: spop.Value{Type: spop.Uint32}})
			p = spop.AppendKV(p, spop.KV{Name: "message", Value: spop.Value{Type: spop.String}})
			c.Write(spop.AppendFrame(nil, &spop.Frame{Type: spop.AgentDisconnect, Flags: spop.FlagFin, Payload: p}))
			return
		default:
			return
		}
	}
}

func cloneMessages(msgs []spop.Message) []spop.Message {
	out := make([]spop.Message, len(msgs))
	for i, m := range msgs {
		out[i] = spop.Message{Name: m.Name, Args: make([]spop.KV, len(m.Args))}
		for j, kv := range m.Args {
			kv.Value.Bytes = append([]byte(nil), kv.Value.Bytes...)
			out[i].Args[j] = kv
		}
	}
	return out
}

func (a *Agent) record(f func()) {
	a.mu.Lock()
	f()
	a.mu.Unlock()
	select {
	case a.changed <- struct{}{}:
	default:
	}
}

// Notifies returns the NOTIFY frames received so far, each as one line
// per message: "name arg=type:value ...".
func (a *Agent) Notifies() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, msgs := range a.notifies {
		var parts []string
		for _, m := range msgs {
			parts = append(parts, Format(m))
		}
		out = append(out, strings.Join(parts, " | "))
	}
	return out
}

// Hellos returns the HAPROXY-HELLO key/value lists received so far.
func (a *Agent) Hellos() [][]spop.KV {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]spop.KV(nil), a.hellos...)
}

// Disconnects returns the HAPROXY-DISCONNECT key/value lists received
// so far.
func (a *Agent) Disconnects() [][]spop.KV {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]spop.KV(nil), a.byes...)
}

// WaitNotifies waits (up to 10s) until n NOTIFY frames arrived and
// returns them.
func (a *Agent) WaitNotifies(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := a.Notifies(); len(got) >= n {
			return got
		}
		select {
		case <-a.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("the agent got %d NOTIFY frames, want %d: %q", len(a.Notifies()), n, a.Notifies())
		}
	}
}

// Format shows a message as "name arg=type:value ...".
func Format(m spop.Message) string {
	var b strings.Builder
	b.WriteString(m.Name)
	for _, kv := range m.Args {
		fmt.Fprintf(&b, " %s=%s", kv.Name, kv.Value)
	}
	return b.String()
}

// SetVar is a set-var action.
func SetVar(scope uint8, name string, v spop.Value) spop.Action {
	return spop.Action{Kind: spop.SetVar, Scope: scope, Name: name, Value: v}
}

// Str is a string value.
func Str(s string) spop.Value { return spop.Value{Type: spop.String, Bytes: []byte(s)} }
