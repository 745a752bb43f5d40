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
	a.eachGlobalInt(func(kw string, n int) {
		switch kw {
		case "tune.bufsize":
			// Rounded up to a multiple of two pointers, for the alignment
			// of what the reference keeps at the buffer's end.
			l.BufSize = (n + 15) &^ 15
		case "tune.maxrewrite":
			l.MaxRewrite = n
		case "tune.http.maxhdr":
			l.MaxHeaders = n
		}
	})
	if l.MaxRewrite >= l.BufSize/2 {
		l.MaxRewrite = l.BufSize / 2
	}
	return l
}

// socketBuffers reads tune.rcvbuf.SIDE and tune.sndbuf.SIDE (side is
// "client" or "server"), the last line of each.
func (a *adapter) socketBuffers(side string) SocketBuffers {
	var b SocketBuffers
	a.eachGlobalInt(func(kw string, n int) {
		switch kw {
		case "tune.rcvbuf." + side:
			b.Rcv = n
		case "tune.sndbuf." + side:
			b.Snd = n
		}
	})
	return b
}

// eachGlobalInt calls fn, in order, with each global line whose first
// argument is an integer (the model has refused the others already).
func (a *adapter) eachGlobalInt(fn func(kw string, n int)) {
	if a.hc.Global.Section == nil {
		return
	}
	for _, d := range a.hc.Global.Section.Lines {
		if len(d.Args) == 0 {
			continue
		}
		if n, err := strconv.Atoi(d.Args[0]); err == nil {
			fn(d.Keyword, n)
		}
	}
}

// bufferGlobals are the global keywords bufferLimits and socketBuffers
// act on.
var bufferGlobals = map[string]bool{"tune.bufsize": true, "tune.maxrewrite": true, "tune.http.maxhdr": true,
	"tune.rcvbuf.client": true, "tune.sndbuf.client": true, "tune.rcvbuf.server": true, "tune.sndbuf.server": true}
