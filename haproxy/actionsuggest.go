package haproxy

import "strings"

// actionSuggestion is the reference's " Did you mean 'x' maybe ?" after
// an unknown rule action: the registered action closest to word by
// fingerprint, if close enough (prefix actions such as set-var(...)
// are allowed a wider gap), else "".
func actionSuggestion(word string, list []string) string {
	fw := fingerprint(word)
	best, bestDist, prefix := "", 1<<30, false
	for _, a := range list {
		name, isPrefix := strings.CutSuffix(a, "(*)")
		if strings.Contains(name, "'") {
			name = "track-sc" // the track-sc0 ... track-sc2 of tcp-request rules
		}
		fa := fingerprint(name)
		if d := fingerprintDistance(&fw, &fa); d < bestDist {
			best, bestDist, prefix = name, d, isPrefix
		}
	}
	tolerance := 2
	if prefix {
		tolerance = 3
	}
	if best == "" || bestDist > tolerance*len(word) || bestDist > tolerance*len(best) {
		return ""
	}
	return " Did you mean '" + best + "' maybe ?"
}
