package haproxy

import (
	"strings"
	"testing"

	"fulcrum/confparse"
)

// TestMySQLCheckArgs: the reference's alerts for option mysql-check
// arguments (checked with haproxy -c), and a later HAProxy's post-80.
func TestMySQLCheckArgs(t *testing.T) {
	tests := []struct{ desc, args, want string }{
		{"no user", "", ""},
		{"user", "user haproxy", ""},
		{"pre-41", "user bob pre-41", ""},
		{"post-80 from a later HAProxy", "user bob post-80", ""},
		{"user without name", "user", "'option mysql-check user' expects <username> as argument."},
		{"unknown word", "foo", "'option mysql-check' only supports optional values: 'user' (got 'foo')."},
		{"unknown version", "user bob post-90", "keyword 'user' only supports 'post-41' and 'pre-41' (got 'post-90')."},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, diags := load(t, "backend be\n option mysql-check "+tt.args+"\n server s1 127.0.0.1:3306 check\n")
			var alerts []string
			for _, d := range diags {
				if d.Severity == confparse.Alert {
					alerts = append(alerts, d.Message)
				}
			}
			if tt.want == "" && len(alerts) > 0 || tt.want != "" && (len(alerts) == 0 || !strings.HasSuffix(alerts[0], ":2] : "+tt.want)) {
				t.Fatalf("alerts %q, want %q", alerts, tt.want)
			}
		})
	}
}

// TestAgentPort: the reference refuses agent-check without agent-port.
func TestAgentPort(t *testing.T) {
	_, diags := load(t, "backend be\n server s1 127.0.0.1:80 check agent-check\n")
	if len(diags) == 0 || !strings.HasSuffix(diags[0].Message, ":2] : 'server be/s1' : server s1 does not have agent port. Agent check has been disabled.") {
		t.Fatalf("diags %v", diags)
	}
	_, diags = load(t, "backend be\n server s1 127.0.0.1:80 check agent-check agent-port 9999\n")
	if confparse.HasAlert(diags) {
		t.Fatalf("diags %v", diags)
	}
}
