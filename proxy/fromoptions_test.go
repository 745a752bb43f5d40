package proxy

import (
	"fmt"
	"strings"
	"testing"

	"fulcrum/confparse"
)

// An option the engine does not act on is warned once, at the line that
// turns it on, for the proxies that keep it on; acted-on options and
// options turned off again are not.
func TestOptionNotices(t *testing.T) {
	_, diags := adapt(t, `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
    option http-use-proxy-header
    option forwardfor
listen a
    bind 127.0.0.1:27401
    option h1-case-adjust-bogus-client
    server s1 127.0.0.1:27402
listen b
    bind 127.0.0.1:27403
    no option http-use-proxy-header
    server s1 127.0.0.1:27404
listen c
    bind 127.0.0.1:27405
    server s1 127.0.0.1:27406
`)
	var got []string
	for _, d := range diags {
		if d.Severity == confparse.Warning && strings.Contains(d.Message, "is not acted on yet") {
			_, msg, _ := strings.Cut(d.Message, "] : ")
			got = append(got, fmt.Sprint(d.Pos.Line, " ", msg))
		}
	}
	want := []string{
		"6 'option http-use-proxy-header' is not acted on yet by Fulcrum.",
		"10 'option h1-case-adjust-bogus-client' is not acted on yet by Fulcrum.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
