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
