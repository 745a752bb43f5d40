package haproxy

import "fmt"

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
	unit := s[i:]
	m, ok := timeUnits[unit]
	if !ok {
		j := i
		if j < len(s) {
			// the first character that is not a known unit
			for _, u := range []string{"ms", "us", "s", "m", "h", "d"} {
				if len(s[j:]) > len(u) && s[j:j+len(u)] == u {
					return 0, fmt.Sprintf("unexpected character '%c' in '%%s'", s[j+len(u)])
				}
			}
		}
		return 0, fmt.Sprintf("unexpected character '%c' in '%%s'", s[j])
	}
	if unit == "us" {
		return n / 1000, ""
	}
	v := n * m
	if v > 2147483647 {
		return 0, "timer overflow in argument '" + s + "' to '%s' (maximum value is 2147483647 ms or ~24.8 days)"
	}
	return v, ""
}

// timeUnits are the time suffixes, in milliseconds ("us" is handled apart).
var timeUnits = map[string]int64{"": 1, "ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "us": 0}
