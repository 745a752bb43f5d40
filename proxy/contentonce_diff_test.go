package proxy

import "testing"

// TestContentRulesOncePerRequestAsReference: in http mode the frontend's
// tcp-request content rules run once for each request, so a counter they
// increment, and the request count of what they track, grow by one per
// request on a kept-alive connection, as with the reference.
func TestContentRulesOncePerRequestAsReference(t *testing.T) {
	compareKeptAliveHeader(t, `	stick-table type ip size 1k expire 1m store gpc0,http_req_cnt
	tcp-request content track-sc0 src
	tcp-request content sc-inc-gpc0(0)
	http-after-response set-header X-Counts "gpc0=%[sc_get_gpc0(0)] req=%[sc_http_req_cnt(0)]"
`, "", 3, "x-counts")
}
