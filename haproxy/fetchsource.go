package haproxy

import "strings"

// FetchSource names where a fetch takes its data, in the reference's
// words (its messages about a fetch used where its data is not
// available).
func FetchSource(fetch string) string {
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if fetch == p || strings.HasPrefix(fetch, p+"_") || strings.HasPrefix(fetch, p+".") {
				return true
			}
		}
		return false
	}
	switch {
	case has("hdr", "fhdr"):
		return "HTTP request headers,HTTP response headers"
	case has("res.hdr", "res.fhdr", "shdr", "res.cook", "scook", "set-cookie", "res.hdrs"):
		return "HTTP response headers"
	case has("status", "res.ver", "resp_ver", "capture.res", "res.cache"):
		return "HTTP response"
	case has("method", "capture.req", "http_first_req"):
		return "HTTP request"
	case has("res.len", "res.payload", "res.ssl_hello_type", "rep_ssl_hello_type"):
		return "response buffer"
	case has("req.len", "req_len", "req.payload", "payload", "payload_lv", "req.ssl", "req_ssl", "req.rdp_cookie", "rdp_cookie", "req.proto_http", "req_proto_http"):
		return "request buffer"
	case has("req.hdr", "req.fhdr", "req.cook", "cook", "req.hdrs", "req.body", "req.ver", "req_ver", "path", "url", "urlp", "url_param", "query", "base", "http_auth", "url32", "base32", "capture"):
		return "HTTP request headers"
	case has("src", "dst", "fc_rtt", "fc_rttvar", "fc_unacked", "fc_sacked", "fc_retrans", "fc_fackets", "fc_lost", "fc_reordering"):
		return "client address"
	case has("ssl_fc", "ssl_c", "ssl_f", "fc"):
		return "client-side connection"
	case has("fe", "so"):
		return "frontend"
	case has("be"):
		return "backend"
	case fetch == "srv_id" || fetch == "srv_name":
		return "server"
	}
	return "internal state"
}
