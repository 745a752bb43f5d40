package keepalived

import (
	"math"
	"strconv"
	"strings"

	kc "fulcrum/confparse/keepalivedconf"
)

// One rule per argument shape: these readers reproduce the reference's
// number parsing and its messages, and serve every numeric keyword.

// strtoNum parses like strtol/strtoul in base 10: leading white space, an
// optional sign, digits. It returns the value, whether the whole string
// was used, and whether it overflowed.
func strtoNum(s string) (v int64, u uint64, complete, overflow bool) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, 0, s == "", false // no digits: endptr is the start
	}
	u, err := strconv.ParseUint(s[i:j], 10, 64)
	if err != nil {
		overflow = true
		u = math.MaxUint64
	}
	if u > math.MaxInt64 {
		v = math.MaxInt64
		if neg {
			v = math.MinInt64
		}
		overflow = true
	} else {
		v = int64(u)
		if neg {
			v = -v
			u = -u
		}
	}
	return v, u, j == len(s), overflow
}

// readInt reads a signed number within [lo, hi].
func (p *parser) readInt(s string, lo, hi int) (int, bool) {
	v, _, complete, overflow := strtoNum(s)
	switch {
	case !complete:
		p.report(kc.ClassInvalidNumber, "invalid number '"+s+"'")
	case overflow || v < math.MinInt32 || v > math.MaxInt32:
		p.report(kc.ClassInvalidNumber, "number '"+s+"' outside integer range")
	case v < int64(lo) || v > int64(hi):
		p.report(kc.ClassInvalidNumber, "number '"+s+"' outside range ["+itoa(lo)+", "+itoa(hi)+"]")
	default:
		return int(v), true
	}
	return int(v), false
}

// readUnsigned reads an unsigned number within [lo, hi].
func (p *parser) readUnsigned(s string, lo, hi uint64) (uint64, bool) {
	t := strings.TrimLeft(s, " \t\n\r\f\v")
	_, u, complete, overflow := strtoNum(t)
	switch {
	case strings.HasPrefix(t, "-"):
		p.report(kc.ClassInvalidNumber, "negative number '"+s+"'")
	case !complete:
		p.report(kc.ClassInvalidNumber, "invalid number '"+s+"'")
	case overflow || u > math.MaxUint32:
		p.report(kc.ClassInvalidNumber, "number '"+s+"' outside unsigned integer range")
	case u < lo || u > hi:
		p.report(kc.ClassInvalidNumber, "number '"+s+"' outside range ["+utoa(lo)+", "+utoa(hi)+"]")
	default:
		return u, true
	}
	return u, false
}

func utoa(u uint64) string { return strconv.FormatUint(u, 10) }

// readDecimal reads a decimal with up to shift decimal places, returning
// value*10^shift, within [lo, hi] (in those units). ignoreError is the
// reference's flag that lets a slightly bad number still be used.
func (p *parser) readDecimal(s string, lo, hi uint64, shift int, ignoreError bool) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		p.report(kc.ClassInvalidNumber, "negative number '"+s+"'")
		return 0, false
	}
	intPart, frac, hasDP := strings.Cut(s, ".")
	roundUp := false
	if hasDP && len(frac) > shift {
		p.report(kc.ClassInvalidNumber, "number '"+s+"' has too many decimal places")
		roundUp = frac[shift] >= '5'
		frac = frac[:shift]
	}
	digits := intPart + frac + strings.Repeat("0", shift-len(frac))
	_, u, complete, overflow := strtoNum(digits)
	if roundUp {
		u++
	}
	scale := uint64(1)
	for i := 0; i < shift; i++ {
		scale *= 10
	}
	switch {
	case !complete:
		p.report(kc.ClassInvalidNumber, "invalid number '"+s+"'")
	case overflow:
		p.report(kc.ClassInvalidNumber, "number '"+s+"' outside unsigned decimal range")
		return u, false
	case u < lo || u > hi:
		p.report(kc.ClassInvalidNumber, "number '"+s+"' outside range ["+fixed(lo, scale, shift)+", "+fixed(hi, scale, shift)+"]")
	default:
		return u, true
	}
	return u, ignoreError && u >= lo && u <= hi
}

func fixed(v, scale uint64, shift int) string {
	if shift == 0 {
		return utoa(v)
	}
	f := utoa(v % scale)
	return utoa(v/scale) + "." + strings.Repeat("0", shift-len(f)) + f
}

// checkTrueFalse reads on/true/yes or off/false/no; -1 for anything else.
func checkTrueFalse(s string) int {
	switch s {
	case "true", "on", "yes":
		return 1
	case "false", "off", "no":
		return 0
	}
	return -1
}
