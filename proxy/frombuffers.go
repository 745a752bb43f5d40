package proxy

import (
	"strconv"

	"fulcrum/proxy/http1"
)

// bufferLimits reads tune.bufsize, tune.maxrewrite and tune.http.maxhdr
// from the global section (a later line replaces an earlier one, as in the
// reference) and applies the reference's adjustments: the buffer size is
// rounded up to 16 bytes and the rewrite reserve never takes more than
// half the buffer.
func (a *adapter) bufferLimits() http1.Limits {
	l := http1.DefaultLimits()
	if a.hc.Global.Section == nil {
		return l
	}
	for _, d := range a.hc.Global.Section.Lines {
		if len(d.Args) == 0 {
			continue
		}
		n, err := strconv.Atoi(d.Args[0])
		if err != nil {
			continue // the model has refused it already
		}
		switch d.Keyword {
		case "tune.bufsize":
			// Rounded up to a multiple of two pointers, for the alignment
			// of what the reference keeps at the buffer's end.
			l.BufSize = (n + 15) &^ 15
		case "tune.maxrewrite":
			l.MaxRewrite = n
		case "tune.http.maxhdr":
			l.MaxHeaders = n
		}
	}
	if l.MaxRewrite >= l.BufSize/2 {
		l.MaxRewrite = l.BufSize / 2
	}
	return l
}

// bufferGlobals are the global keywords bufferLimits acts on.
var bufferGlobals = map[string]bool{"tune.bufsize": true, "tune.maxrewrite": true, "tune.http.maxhdr": true}
