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
	name, convs, _ := strings.Cut(fetch, ",")
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	for _, c := range splitTopLevel(convs) {
		if c != "" && !strings.HasPrefix(c, "ipmask") {
			return "" // the converters decide the type: not checked
		}
	}
	if intFetches[name] && (method == "" || method == "int") {
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
	if !digits(lo) || !digits(hi) || !isRange && lo == "" {
		return "'" + p + "' is not a number"
	}
	return ""
}
