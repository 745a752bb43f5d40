package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// responseCondConfig has response rules whose conditions read the
// request's headers (path, query, a header, a named ACL of them, one of
// a named ACL's lines), gone by the time a response is in; %d is the
// frontend's port, %s the server.
var responseCondConfig = diffDefaults("http") + `frontend fe
	bind 127.0.0.1:%d
	acl api path_beg /
	acl mixed path_beg /
	acl mixed status 200
	http-response set-header X-Path 1 if { path_beg / }
	http-response set-header X-Not-Path 1 if !{ path_beg /x }
	http-response set-header X-Unless 1 unless { req.hdr(host) -m found }
	http-response set-header X-Named 1 if api
	http-response set-header X-Mixed 1 if mixed
	http-response set-header X-Status 1 if { status 200 }
	http-after-response set-header X-After 1 if { query -m found }
	default_backend be
backend be
	server s1 %s
`

// TestResponseConditionsOnRequestMatchReference: a response rule's
// condition terms that read the request's headers never match, as in
// the reference (which warns of them at -c); their negation holds.
func TestResponseConditionsOnRequestMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := startHTTPBackend(t, "s").addr().String()
	refPort := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, fmt.Sprintf(responseCondConfig, refPort, srv))
	ourPort := difftest.FreePort(t)
	startAdapted(t, fmt.Sprintf(responseCondConfig, ourPort, srv))
	marks := func(port int) string {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/p?q=1", port))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var set []string
		for _, h := range []string{"X-Path", "X-Not-Path", "X-Unless", "X-Named", "X-Mixed", "X-Status", "X-After"} {
			if resp.Header.Get(h) != "" {
				set = append(set, h)
			}
		}
		return strings.Join(set, " ")
	}
	ref, ours := marks(refPort), marks(ourPort)
	if ref != ours {
		t.Errorf("headers set by the response rules:\nref  %s\nours %s", ref, ours)
	}
}
