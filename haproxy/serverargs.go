package haproxy

import (
	"fmt"
	"strings"
)

// proxyV2Options are the values of a server's proxy-v2-options.
var proxyV2Options = setOf("ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key", "authority", "crc32c", "unique-id")

func init() {
	serverChecks["on-error"] = serverChoice("'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '%s'.",
		"fastinter", "fail-check", "sudden-death", "mark-down")
	serverChecks["on-marked-up"] = serverChoice("'on-marked-up' expects 'shutdown-backup-sessions' but got '%s'.", "shutdown-backup-sessions")
	serverChecks["proxy-v2-options"] = func(server, kw, val string) string {
		for _, o := range strings.Split(val, ",") {
			if !proxyV2Options[o] {
				return fmt.Sprintf("'%s' : proxy v2 option not implemented.", o)
			}
		}
		return ""
	}
	serverChecks["socks4"] = func(server, kw, val string) string {
		if i := strings.LastIndexByte(val, ':'); i >= 0 {
			if p := val[i+1:]; strings.Trim(p, "0123456789") == "" && atoi(p) > 65535 {
				return fmt.Sprintf("'socks4 %s' : invalid port '%s'.", val, p)
			}
		}
		return ""
	}
	serverChecks["pool-purge-delay"] = func(server, kw, val string) string {
		if _, msg := parseTime(val); msg != "" {
			return fmt.Sprintf("unexpected character '%c' in argument to <pool-purge-delay>..", badTimeChar(val))
		}
		return ""
	}
}

// templateRangeOK: "N" or "N-M" for server-template.
func templateRangeOK(v string) bool {
	lo, hi, isRange := strings.Cut(v, "-")
	return lo != "" && strings.Trim(lo, "0123456789") == "" && (!isRange || hi != "" && strings.Trim(hi, "0123456789") == "")
}
