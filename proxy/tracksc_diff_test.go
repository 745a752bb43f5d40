package proxy

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestTrackScWithoutNumberAsReference: `track-sc KEY` (no counter number)
// is accepted by the reference as track-sc0, in tcp-request and
// http-request rules alike; what the counters read must match.
func TestTrackScWithoutNumberAsReference(t *testing.T) {
	ours := compareKeptAliveHeader(t, `	stick-table type ip size 1k expire 1m store http_req_cnt
	tcp-request session track-sc src
	http-request track-sc01 src table t2
	http-after-response set-header X-Counts "sc0=%[sc_http_req_cnt(0)] sc1=%[sc_http_req_cnt(1)] sc2=%[sc_http_req_cnt(2)]"
`, "backend t2\n\tstick-table type ip size 1k expire 1m store http_req_cnt\n", 2, "x-counts")
	t.Logf("counters: %s", ours)
}

// compareKeptAliveHeader runs, with the reference and ours, an http
// frontend made of the frontend lines whose default backend reaches a
// test server, followed by the extra sections; sends n requests on one
// connection to each, and fails unless header reads the same in their
// answers. It returns ours.
func compareKeptAliveHeader(t *testing.T, frontend, extra string, n int, header string) string {
	t.Helper()
	bin := reftest.HAProxy(t)
	server := actBackend(t, "s")
	config := func(port int) string {
		return fmt.Sprintf("defaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
			"frontend f\n\tbind 127.0.0.1:%d\n%s\tdefault_backend b\n%sbackend b\n\tserver s %s\n", port, frontend, extra, server)
	}
	refPort, ourPort := difftest.FreePort(t), difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, config(refPort))
	startOurs(t, config(ourPort), plainLine)
	ref, ours := keptAliveHeader(t, refPort, n, header), keptAliveHeader(t, ourPort, n, header)
	if ref != ours {
		t.Errorf("%s after %d requests on one connection:\nref  %s\nours %s", header, n, ref, ours)
	}
	return ours
}

// keptAliveHeader sends n GET requests on one connection to port and
// returns the values of header (lower-case name) in the responses,
// lower-cased and joined with ", ".
func keptAliveHeader(t *testing.T, port, n int, header string) string {
	t.Helper()
	c := sendRaw(t, fmt.Sprintf("127.0.0.1:%d", port), "")
	defer c.Close()
	rd := bufio.NewReader(c)
	var got []string
	for range n {
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := readRawResponse(rd)
		if err != nil {
			t.Fatalf("%v after %q", err, resp)
		}
		for _, l := range strings.Split(resp, "\r\n") {
			if v, ok := strings.CutPrefix(strings.ToLower(l), header+": "); ok {
				got = append(got, v)
			}
		}
	}
	return strings.Join(got, ", ")
}
