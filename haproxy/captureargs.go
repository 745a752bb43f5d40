package haproxy

import "fmt"

// captureArgs checks "capture cookie NAME len N" and "capture
// request|response header NAME len N" as the reference reads them: a
// cookie capture only needs its four words, a header capture its six.
func captureArgs(l *loader, d line) bool {
	switch {
	case d.arg(0) == "cookie":
		if len(d.args) < 4 {
			l.alert(d.pos, "'capture' expects 'cookie' <cookie_name> 'len' <len>.")
			return false
		}
	case (d.arg(0) == "request" || d.arg(0) == "response") && d.arg(1) == "header":
		if len(d.args) < 5 || d.args[3] != "len" {
			l.alert(d.pos, fmt.Sprintf("'capture %s' expects 'header' <header_name> 'len' <len>.", d.arg(0)))
			return false
		}
		if len(d.args) > 5 {
			l.alert(d.pos, fmt.Sprintf("'capture %s' cannot handle unexpected argument '%s'.", d.arg(0), d.args[5]))
			return false
		}
	default:
		l.alert(d.pos, "'capture' expects 'cookie' or 'request header' or 'response header'.")
		return false
	}
	return true
}

// declareArgs checks "declare capture request|response len N".
func declareArgs(l *loader, d line) bool {
	msg := ""
	switch {
	case d.arg(0) != "capture":
		msg = fmt.Sprintf("unknown declaration type '%s' (supports 'capture')", d.arg(0))
	case d.arg(1) != "request" && d.arg(1) != "response":
		msg = "'declare capture' requires a direction ('request' or 'response')"
	case d.arg(2) != "len":
		msg = "'declare capture' requires a capture length ('len')"
	case len(d.args) < 4:
		msg = "'declare capture': 'len' requires a numeric value that represents the capture length"
	case !isInteger(d.args[3]):
		msg = fmt.Sprintf("'declare capture': cannot parse the length '%s'.", d.args[2]) // sic: the reference names 'len'
	case atoi(d.args[3]) <= 0:
		msg = "length must be > 0"
	}
	if msg != "" {
		l.alert(d.pos, msg)
		return false
	}
	return true
}

// isInteger: an optional sign and decimal digits.
func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
