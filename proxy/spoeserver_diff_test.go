package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/internal/spoatest"
	"fulcrum/proxy/spop"
)

// TestSPOEServerEventsMatchReference: on-server-session and
// on-tcp-response messages (the file's [server] engine) reach the agent
// as from the reference, in tcp and http mode, with the filter in the
// backend or in the frontend; in http mode the variables the agent sets
// at those events show in the response rules' headers.
func TestSPOEServerEventsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	reply := func(msgs []spop.Message) []spop.Action {
		var acts []spop.Action
		for _, m := range msgs {
			v, _ := spop.Lookup(m.Args, "where")
			acts = append(acts, spoatest.SetVar(spop.ScopeTxn, strings.ReplaceAll(m.Name, "-", ""), v))
		}
		return acts
	}
	for _, tc := range []struct{ mode, where string }{
		{"tcp", "backend"}, {"tcp", "frontend"}, {"http", "backend"}, {"http", "frontend"},
	} {
		t.Run(tc.mode+" filter in the "+tc.where, func(t *testing.T) {
			compareSPOESides(t, bin, func(start func(port int, cfg string) string) spoeOutcome {
				agent := spoatest.Start(t)
				agent.Reply = reply
				var srv *difftest.Backends
				if tc.mode == "http" {
					srv = difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}})
				} else {
					srv = difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
				}
				filter := map[string]string{}
				filter[tc.where] = "filter spoe engine server config " + spoeFile(t)
				port := difftest.FreePort(t)
				addr := start(port, fmt.Sprintf(`defaults
	mode %s
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	%s
	default_backend be
backend be
	%s
	%s
	server s1 %s
backend agents
	mode tcp
	server a1 %s
`, tc.mode, port, filter["frontend"], filter["backend"], map[string]string{
					"http": "http-response set-header x-seen \"%[var(txn.srv.onserver)] %[var(txn.srv.onresponsedata)]\"",
				}[tc.mode], srv.Addr("s1"), agent.Addr()))
				var out spoeOutcome
				for i := range 2 {
					if tc.mode == "http" {
						out = playSPOE(t, addr, agent, []spoeRequest{{fmt.Sprint("request ", i), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}})
						continue
					}
					name, c, err := difftest.DialSend(addr, "127.0.0.1", "hello\n")
					if err != nil {
						name = "closed"
					} else {
						c.Close()
					}
					out.answers = append(out.answers, name)
					agent.WaitNotifies(t, 2*(i+1))
				}
				out.notifies = agent.Notifies()
				return out
			})
		})
	}
}

// TestSPOENoProcessingTimeout: without `timeout processing` and with no
// agent to reach, the reference leaves the stream waiting (the client
// reads nothing within its own deadline, timeout client does not end
// it) and warns about the missing timeouts; ours waits too, and its
// engine still stops.
func TestSPOENoProcessingTimeout(t *testing.T) {
	bin := reftest.HAProxy(t)
	path := spoeFileEdited(t, "timeout processing 300ms", "")
	compareSPOESides(t, bin, func(start func(port int, cfg string) string) spoeOutcome {
		agent := spoatest.Start(t)
		agent.Close()
		srv := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}})
		port := difftest.FreePort(t)
		cfg := strings.Replace(spoeHTTPConfig(port, path, srv.Addr("s1"), agent.Addr()), "timeout client 5s", "timeout client 500ms", 1)
		addr := start(port, cfg)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
		b, err := io.ReadAll(c)
		got := fmt.Sprintf("read %q", b)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			got += ", still waiting"
		}
		return spoeOutcome{answers: []string{got}}
	})
}
