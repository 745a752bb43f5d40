package keepalived

import (
	"strings"
	"testing"
)

// TestStatusHTTPListen: Fulcrum's global_defs keyword for the status
// endpoint takes ADDR:PORT; anything else is reported and leaves it off.
func TestStatusHTTPListen(t *testing.T) {
	tests := []struct {
		desc, value, want, msg string
		exit                   int
	}{
		{"ipv4", "127.0.0.1:9650", "127.0.0.1:9650", "", 0},
		{"ipv6", "[::1]:9650", "[::1]:9650", "", 0},
		{"host name", "localhost:9650", "", "Can't parse status_http_listen [localhost:9650]. Skipping", 5},
		{"no port", "127.0.0.1", "", "Can't parse status_http_listen [127.0.0.1]. Skipping", 5},
		{"port 0", "127.0.0.1:0", "", "status_http_listen [127.0.0.1:0] has no port. Skipping", 5},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			res := load(t, "global_defs {\n status_http_listen "+tt.value+"\n}\n"+strings.Replace(minimal, "%s", "", 1))
			if got := res.Config.Global.StatusHTTPListen; got != tt.want {
				t.Errorf("address %q, want %q", got, tt.want)
			}
			var msgs []string
			for _, m := range res.Messages {
				msgs = append(msgs, m.String())
			}
			if tt.msg != "" && !strings.Contains(strings.Join(msgs, "\n"), tt.msg) || tt.msg == "" && res.Exit != 0 || res.Exit != tt.exit {
				t.Errorf("exit %d messages %q, want exit %d and %q", res.Exit, msgs, tt.exit, tt.msg)
			}
		})
	}
}
