package http1

// Byte classes from RFC 9110 as the reference applies them.
var (
	tokenChar [256]bool // tchar
	uriChar   [256]bool // what a strict request-target may contain
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
			tokenChar[c] = true
		}
		switch b {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			tokenChar[c] = true
		}
		uriChar[c] = b > 0x20 && b < 0x7f && b != '#'
	}
}

func isSPHT(b byte) bool { return b == ' ' || b == '\t' }

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func trimSPHT(b []byte) []byte {
	for len(b) > 0 && isSPHT(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSPHT(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
