package spoe

import (
	"os"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/confparse/haproxycfg"
)

// base is the SPOE file the tests break one way each (the -c
// comparisons of cmd/haproxy read it too).
var base = func() string {
	b, err := os.ReadFile("testdata/agent.cfg")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func parse(t *testing.T, text, engine string) (*Engine, []confparse.Diagnostic) {
	t.Helper()
	f := haproxycfg.Read("s.cfg", []byte(text), nil)
	known := func(n string) bool { return n == "src" || n == "path" }
	return Parse(f, engine, confparse.Pos{File: "h.cfg", Line: 8}, Checks{FetchKnown: known})
}

func TestParse(t *testing.T) {
	e, diags := parse(t, base, "e1")
	if len(diags) != 0 || e == nil {
		t.Fatalf("diags %v", diags)
	}
	a := e.Agent
	if a.ID != "a1" || a.Backend != "agents" || a.VarPrefix != "e1" || a.OnError != "err" ||
		a.Hello != time.Second || a.Idle != 10*time.Second || a.Processing != 500*time.Millisecond {
		t.Errorf("agent %+v", a)
	}
	if len(e.Messages) != 1 || e.Messages[0].Event != "on-frontend-http-request" || len(e.Messages[0].Args) != 2 ||
		e.Messages[0].Args[1] != (Arg{Name: "path", Expr: "path"}) || strings.Join(e.Messages[0].Cond, " ") != "if { path -m beg /x }" {
		t.Errorf("messages %+v", e.Messages[0])
	}
	g := e.Group("g1")
	if g == nil || len(g.Messages) != 1 || g.Messages[0].Args[0] != (Arg{Expr: "path,lower"}) {
		t.Errorf("group %+v", g)
	}
}

// The messages are the reference's (haproxy -c of the same file).
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ desc, from, to, want string }{
		{"no agent in scope", "[e1]", "[e2]", "parsing [h.cfg:8] : 'filter' : 'No SPOE agent found in file s.cfg'"},
		{"bad timeout", "timeout hello 1s", "timeout hello 1x", "parsing [s.cfg:10] : unexpected character 'x' in 'timeout hello'."},
		{"timeout kind", "timeout hello 1s", "timeout bogus 1s", "parsing [s.cfg:10] : 'timeout' supports 'hello', 'idle' or 'processing' (got bogus)."},
		{"no timeout value", "timeout hello 1s", "timeout hello", "parsing [s.cfg:10] : 'timeout hello' expects an integer value (in milliseconds)."},
		{"undefined message", "messages m1", "messages m9", "parsing [h.cfg:8] : 'filter' : 'SPOE agent 'a1' try to use undefined SPOE message 'm9' at s.cfg:5'"},
		{"undefined group", "groups g1", "groups g9", "parsing [h.cfg:8] : 'filter' : 'SPOE agent 'a1' try to use undefined SPOE group 'g9' at s.cfg:5'"},
		{"no backend", "use-backend agents", "", "parsing [h.cfg:8] : 'filter' : 'No backend declared for SPOE agent 'a1' declared at s.cfg:5'"},
		{"unknown event", "on-frontend-http-request", "on-foo", "parsing [s.cfg:16] : unknown event 'on-foo'."},
		{"unknown fetch", "ip=src", "ip=srcx", "parsing [s.cfg:15] : 'args': unknown fetch method 'srcx'."},
		{"no such acl", "{ path -m beg /x }", "foo", "parsing [s.cfg:16] : error detected while parsing an 'event on-frontend-http-request' condition : no such ACL : 'foo'."},
		{"unknown option", "option var-prefix e1", "option bogus", "parsing [s.cfg:8]: option 'bogus' is not supported."},
		{"prefix chars", "option var-prefix e1", "option var-prefix e/1", "parsing [s.cfg:8]: 'option var-prefix' only supports [a-zA-Z0-9_.] chars."},
		{"frame size", "use-backend agents", "use-backend agents\n  max-frame-size 100", "parsing [s.cfg:14] : 'max-frame-size' expects a positive integer argument in the range [256, 16380]."},
		{"duplicate message", "spoe-message m2", "spoe-message m1", "parsing [s.cfg:17]: spoe-message section 'm1' has the same name as another one declared at s.cfg:14."},
		{"second agent", "spoe-message m2", "spoe-agent a2", "parsing [s.cfg:17] : another spoe-agent section previously defined."},
		{"out of section", "[other]\n", "foo bar\n[other]\n", "parsing [s.cfg:1]: unknown keyword 'foo' out of section."},
		{"section from another scope", "[e1]\n", "[e1]\nfoo bar\n", "parsing [s.cfg:5] : unknown keyword 'foo' in spoe-agent section."},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, diags := parse(t, strings.Replace(base, tc.from, tc.to, 1), "e1")
			if len(diags) == 0 || diags[0].Message != tc.want || diags[0].Severity != confparse.Alert {
				t.Errorf("got %v\nwant %s", diags, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(base, "e1")
	f.Add("spoe-agent a\n use-backend b\n messages m\nspoe-message m\n args x\n event on-http-response unless { y }\n", "")
	f.Add("[e]\nspoe-group\n messages\n timeout idle\n", "e")
	f.Fuzz(func(t *testing.T, text, engine string) {
		f := haproxycfg.Read("s.cfg", []byte(text), nil)
		e, diags := Parse(f, engine, confparse.Pos{}, Checks{})
		if e != nil && confparse.HasAlert(diags) {
			t.Fatalf("an engine with alerts: %v", diags)
		}
		if e == nil && !confparse.HasAlert(diags) {
			t.Fatal("no engine and no alert")
		}
	})
}
