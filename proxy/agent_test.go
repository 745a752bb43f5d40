package proxy

import (
	"testing"
)

// TestAgentServerState: `show servers state` agent columns as the
// reference prints them (srv_agent_state 22, 18 once disabled, agent
// address and port), and enable/disable agent.
func TestAgentServerState(t *testing.T) {
	c, diags := adapt(t, "defaults\n mode tcp\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n"+
		"backend be\n server s1 127.0.0.1:1 weight 40 agent-check agent-port 9999 agent-addr 127.0.0.3 agent-inter 1h\n"+
		" server s2 127.0.0.1:2\n")
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	sink := &logSink{}
	e := startEngine(t, c, sink)
	state := func() []ServerStatus {
		st, err := e.ServersState("be")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := state()
	if s1 := st[0]; s1.AgentState != 22 || s1.AgentAddr.String() != "127.0.0.3" || s1.AgentPort != 9999 {
		t.Errorf("s1: agent state %d addr %v port %d", s1.AgentState, s1.AgentAddr, s1.AgentPort)
	}
	if s2 := st[1]; s2.AgentState != 0 || s2.AgentAddr.IsValid() || s2.AgentPort != 0 {
		t.Errorf("s2: %+v", s2)
	}
	if err := e.SetServerAgent("be", "s1", false); err != nil {
		t.Fatal(err)
	}
	if got := state()[0].AgentState; got != 18 {
		t.Errorf("disabled agent state %d, want 18", got)
	}
	if err := e.SetServerAgent("be", "s2", true); err != ErrNoAgent {
		t.Errorf("enable agent without one: %v", err)
	}
	if err := e.SetAgentHealth("be", "s1", false); err != ErrAgentOff {
		t.Errorf("set agent down on a disabled agent: %v", err)
	}
	e.SetServerAgent("be", "s1", true)
	if err := e.SetAgentHealth("be", "s1", false); err != nil || e.UsableServers("be") != 1 {
		t.Errorf("set agent down: %v, %d usable", err, e.UsableServers("be"))
	}
	if err := e.SetAgentHealth("be", "s1", true); err != nil || e.UsableServers("be") != 2 {
		t.Errorf("set agent up: %v, %d usable", err, e.UsableServers("be"))
	}
	// The reference's lines for the same commands.
	sink.wait(t, "Server be/s1 is DOWN, changed from CLI. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")
	sink.wait(t, "Server be/s1 is UP, changed from CLI. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")
}
