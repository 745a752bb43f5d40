package haproxy

import "fmt"

// waitForBodyArgs checks `http-request|http-response wait-for-body time
// T [at-least N]` as the reference's parser does: pairs in any order (the
// last wins), a time is required. It returns the reference's message for
// a bad form ("" when good) and how many action words the pairs took.
func waitForBodyArgs(action []string) (msg string, words int) {
	hasTime := false
	i := 1
	for ; i < len(action); i += 2 {
		kw := action[i]
		if kw != "time" && kw != "at-least" {
			break
		}
		if i+1 >= len(action) {
			return fmt.Sprintf("missing argument for '%s'.", kw), 0
		}
		v := action[i+1]
		if kw == "time" {
			if _, err := parseTime(v); err != "" {
				return "unexpected character '" + firstBad(v, "smhdu") + "'.", 0
			}
			hasTime = true
			continue
		}
		if bad := firstBad(v, sizeUnits); bad != "" {
			return "unexpected character '" + bad + "'.", 0
		}
	}
	if !hasTime {
		return "expects time <time> [ at-least <bytes> ].", 0
	}
	return "", i
}

// sizeUnits are the unit letters of a size.
const sizeUnits = "kmgKMG"

// firstBad is the first character of a number-with-unit word that the
// reference's parser stops at: a non-digit at the start, or after the
// digits one that is not a unit letter; "" when there is none.
func firstBad(v, units string) string {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	switch {
	case i == 0 && len(v) > 0:
		return v[:1]
	case i == len(v):
		return ""
	}
	for _, u := range units {
		if rune(v[i]) == u {
			if units == sizeUnits && i+1 < len(v) {
				return v[i+1 : i+2] // a size takes one unit letter
			}
			return ""
		}
	}
	return v[i : i+1]
}
