package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSPOEFilterWarnings: `filter spoe` is acted on (no "not acted on"
// notice for it), other filters are still warned about, and so are the
// agent settings the engine does not act on; every event is sent on. (Rules naming unknown
// engines or groups are the model's to refuse.)
func TestSPOEFilterWarnings(t *testing.T) {
	if !ActsOn("filter") {
		t.Fatal("the model's notice for filter lines is not cleared")
	}
	spoePath := filepath.Join(t.TempDir(), "spoe.cfg")
	spoeText := `spoe-agent a
  messages req srv
  option pipelining
  timeout hello 1s
  timeout idle 1s
  timeout processing 1s
  use-backend agents
spoe-message req
  args path
  event on-frontend-http-request
spoe-message srv
  args src
  event on-server-session
`
	if err := os.WriteFile(spoePath, []byte(spoeText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := adapt(t, fmt.Sprintf(`defaults
	mode http
	timeout client 1s
	timeout server 1s
	timeout connect 1s
frontend fe
	bind 127.0.0.1:9
	filter spoe config %s
	filter trace
	default_backend be
backend be
	server s 127.0.0.1:1
backend agents
	mode tcp
	server a 127.0.0.1:2
`, spoePath))
	var text []string
	for _, d := range diags {
		text = append(text, d.Message)
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{
		":9] : 'filter trace' is not acted on yet by Fulcrum.",
		":3] : SPOE agent 'a': 'option pipelining' is not acted on yet by Fulcrum (one frame at a time per agent connection).",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in\n%s", want, all)
		}
	}
	if strings.Contains(all, "SPOE event") {
		t.Errorf("on-server-session warned:\n%s", all)
	}
	if strings.Contains(all, "filter spoe") {
		t.Errorf("filter spoe warned:\n%s", all)
	}
	if len(cfg.Frontends) != 1 || len(cfg.Frontends[0].HTTP.RequestRules) == 0 || cfg.Frontends[0].HTTP.RequestRules[0].Action != HTTPDo {
		t.Error("no on-frontend-http-request hook before the frontend's rules")
	}
}
