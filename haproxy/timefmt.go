package haproxy

import (
	"fmt"
	"strings"
)

// parseTime reads a time like "10s", "100ms", "1m" (milliseconds by
// default). The error is a format taking the keyword, as the reference
// words it.
func parseTime(s string) (int64, string) {
	if s == "" {
		return 0, "'%s' expects an integer value (in milliseconds)"
	}
	var n int64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
		if n > 1<<40 {
			return 0, "timer overflow in argument '" + s + "' to '%s' (maximum value is 2147483647 ms or ~24.8 days)"
		}
	}
	if i == 0 {
		return 0, fmt.Sprintf("unexpected character '%c' in '%%s'", s[0])
	}
	// The unit is read from its first letter (two for "ms" and "us");
	// whatever follows it is ignored with a warning (timerTrailer).
	unit := ""
	switch {
	case i == len(s):
	case strings.HasPrefix(s[i:], "ms"), strings.HasPrefix(s[i:], "us"):
		unit = s[i : i+2]
	case strings.ContainsRune("smhd", rune(s[i])):
		unit = s[i : i+1]
	default:
		return 0, fmt.Sprintf("unexpected character '%c' in '%%s'", s[i])
	}
	if unit == "us" {
		return (n + 999) / 1000, "" // rounded up, as the reference does
	}
	v := n * timeUnits[unit]
	if v > 2147483647 {
		return 0, "timer overflow in argument '" + s + "' to '%s' (maximum value is 2147483647 ms or ~24.8 days)"
	}
	return v, ""
}

// timerTrailer is the reference's warning for characters after a time's
// unit ("10sx"), or "".
func timerTrailer(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i == len(s) {
		return ""
	}
	end := i + 1
	if strings.HasPrefix(s[i:], "ms") || strings.HasPrefix(s[i:], "us") {
		end = i + 2
	}
	if end >= len(s) || !strings.ContainsRune("smhdu", rune(s[i])) {
		return ""
	}
	return fmt.Sprintf("unexpected character '%c' after the timer value '%s', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.", s[end], s)
}

// timeUnits are the time suffixes, in milliseconds ("us" is handled apart).
var timeUnits = map[string]int64{"": 1, "ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "us": 0}
