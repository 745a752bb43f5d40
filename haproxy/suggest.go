package haproxy

import "fmt"

// fingerprint marks which characters a word has and counts its character
// pairs, letters folded to 1-26, digits to 27 and anything else (and both
// word ends) to 28, like the reference's "did you mean" matcher: row 0
// records presence only, not a count.
func fingerprint(word string) [1024]uint8 {
	var fp [1024]uint8
	from := 28
	for i := 0; i < len(word); i++ {
		c := word[i]
		to := 28
		switch {
		case c >= 'a' && c <= 'z':
			to = int(c-'a') + 1
		case c >= 'A' && c <= 'Z':
			to = int(c-'A') + 1
		case c >= '0' && c <= '9':
			to = 27
		}
		fp[to] = 1
		fp[32*from+to]++
		from = to
	}
	fp[32*from+28]++
	return fp
}

func fingerprintDistance(a, b *[1024]uint8) int {
	d := 0
	for i := range a {
		k := int(a[i]) - int(b[i])
		if k < 0 {
			k = -k
		}
		d += k
	}
	return d
}

// bestMatch is the closest candidate, or "" when none is close enough.
func bestMatch(word string, candidates []string) string {
	fw := fingerprint(word)
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		fc := fingerprint(c)
		if d := fingerprintDistance(&fw, &fc); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist > 2*len(word) || bestDist > 2*len(best) {
		return ""
	}
	return best
}

// suggestion is the "; did you mean 'x' maybe ?" tail, or "".
func suggestion(word string, candidates []string) string {
	if m := bestMatch(word, candidates); m != "" {
		return fmt.Sprintf("; did you mean '%s' maybe ?", m)
	}
	return ""
}
