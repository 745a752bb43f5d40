package haproxy

import (
	"fmt"
	"os"
	"strings"
)

// ipFetches return an address: their ACL patterns must be addresses or
// networks (or names that resolve).
var ipFetches = setOf("src", "dst", "hdr_ip", "req.hdr_ip", "res.hdr_ip", "shdr_ip", "fc_src", "fc_dst", "bc_src", "bc_dst")

// aclPatternProblem checks one pattern of an ACL as the reference's
// pattern parser would for the fetch's type; "" when it is acceptable.
func (l *loader) aclPatternProblem(fetch, method, pattern string) string {
	parts := splitTopLevel(fetch) // a fetch's own arguments may hold commas
	name := parts[0]
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	for _, c := range parts[1:] {
		if c != "" && !strings.HasPrefix(c, "ipmask") {
			return "" // the converters decide the type: not checked
		}
	}
	if (intFetches[name] || counterFetch(name)) && (method == "" || method == "int") {
		return intPatternProblem(pattern)
	}
	if !ipFetches[name] || method != "" && method != "ip" {
		return ""
	}
	if validNet(pattern) || !strings.ContainsAny(pattern, "/:") && l.opt.Resolve(pattern) {
		return ""
	}
	return "'" + pattern + "' is not a valid IPv4 or IPv6 address"
}

// aclPatternFileProblem checks the patterns of a -f file, one a line
// (blank lines and '#' comments skipped, leading blanks trimmed: the
// trailing ones belong to the pattern).
func (l *loader) aclPatternFileProblem(fetch, method, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(strings.TrimLeft(line, " \t"), "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if msg := l.aclPatternProblem(fetch, method, line); msg != "" {
			return fmt.Sprintf("%s at line %d of file '%s'", msg, n+1, path)
		}
	}
	return ""
}

// intFetches are fetches whose ACLs match integers by default.
var intFetches = setOf("status", "req.len", "req_len", "res.len", "dst_port", "src_port", "url_port",
	"hdr_cnt", "req.hdr_cnt", "res.hdr_cnt", "shdr_cnt", "hdr_val", "req.hdr_val", "res.hdr_val", "shdr_val",
	"be_conn", "fe_conn", "srv_conn", "nbsrv", "queue", "req.ssl_hello_type", "req_ssl_hello_type",
	"res.ssl_hello_type", "rep_ssl_hello_type", "so_id", "be_id", "fe_id", "srv_id")

// counterSuffixes are the stick-table counters the sc*_, sc_ and src_
// fetches return, all integers.
var counterSuffixes = setOf("get_gpc0", "get_gpc1", "get_gpt0", "gpc0_rate", "gpc1_rate", "inc_gpc0", "inc_gpc1",
	"clr_gpc0", "clr_gpc1", "conn_cnt", "conn_cur", "conn_rate", "sess_cnt", "sess_rate", "http_req_cnt",
	"http_req_rate", "http_err_cnt", "http_err_rate", "bytes_in_rate", "bytes_out_rate", "kbytes_in", "kbytes_out",
	"updt_conn_cnt", "get_gpc", "get_gpt", "gpc_rate", "inc_gpc", "clr_gpc")

// counterFetch tells whether a fetch reads an integer counter of a
// tracked or looked-up stick-table entry (sc0_conn_cur, src_get_gpc0, ...).
func counterFetch(name string) bool {
	for _, prefix := range []string{"sc0_", "sc1_", "sc2_", "sc_", "src_"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			return counterSuffixes[rest]
		}
	}
	return false
}

// intPatternProblem checks an integer pattern as the reference reads
// one: an operator (eq, ge, gt, le, lt), a number, or a range with
// either end left out ("10:20", ":5", "5:").
func intPatternProblem(p string) string {
	switch p {
	case "eq", "ge", "gt", "le", "lt":
		return ""
	}
	lo, hi, isRange := strings.Cut(p, ":")
	digits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case isRange && (!digits(lo) || !digits(hi) || lo == "" && hi == ""):
		return "'" + p + "' is not a valid number range"
	case !isRange && (!digits(lo) || lo == ""):
		return "'" + p + "' is not a number"
	}
	return ""
}
