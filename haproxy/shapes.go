package haproxy

import "fmt"

// shape checks the arguments of a keyword line and reports, with the
// reference's wording, what is wrong. One shape serves many keywords.
type shape func(l *loader, d line) bool

// noArgs: a flag keyword takes nothing.
func noArgs() shape {
	return func(l *loader, d line) bool {
		if len(d.args) > 0 {
			l.alert(d.pos, fmt.Sprintf("'%s' cannot handle unexpected argument '%s'.", d.kw, d.args[0]))
			return false
		}
		return true
	}
}

// choice: one of a few words; msg receives the keyword and the value.
func choice(msg string, values ...string) shape {
	return func(l *loader, d line) bool {
		for _, v := range values {
			if d.arg(0) == v {
				return true
			}
		}
		l.alert(d.pos, fmt.Sprintf(msg, d.kw, d.arg(0)))
		return false
	}
}

// onOff: "on" or "off".
func onOff() shape {
	return choice("'%s' expects either 'on' or 'off' but got '%s'.", "on", "off")
}

// timeArg: a time with a unit; tight selects the reference's
// "parsing [f:l]:" form, nl its extra empty line.
func timeArg(tight, nl bool) shape {
	return func(l *loader, d line) bool {
		v := d.arg(0)
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				if _, msg := parseTime(v); msg != "" || i == 0 {
					bad := v[i]
					if msg == "" {
						bad = v[0]
					}
					text := fmt.Sprintf("unexpected character '%c' in argument to <%s>.", bad, d.kw)
					if nl {
						text += "\n"
					}
					if tight {
						l.alertTight(d.pos, text)
					} else {
						l.alert(d.pos, text)
					}
					return false
				}
				break
			}
		}
		return true
	}
}

// intBetween: an integer within [lo, hi]; msg receives the keyword.
func intBetween(lo, hi int, msg string) shape {
	return func(l *loader, d line) bool {
		if n := atoi(d.arg(0)); n < lo || n > hi {
			l.alert(d.pos, fmt.Sprintf(msg, d.kw))
			return false
		}
		return true
	}
}

// digitsArg: an unsigned decimal number, nothing after it; msg receives
// the keyword and the value. A missing value passes: the reference finds
// no bad character in it and reads 0.
func digitsArg(msg string) shape {
	return func(l *loader, d line) bool {
		v := d.arg(0)
		ok := true
		for i := 0; i < len(v); i++ {
			ok = ok && v[i] >= '0' && v[i] <= '9'
		}
		if !ok {
			l.alert(d.pos, fmt.Sprintf(msg, d.kw, v))
		}
		return ok
	}
}

// globalShapes are the argument shapes of global keywords, with the
// reference's message for each.
var globalShapes = map[string]shape{
	"tune.idle-pool.shared":          onOff(),
	"tune.listener.multi-queue":      onOff(),
	"tune.sched.low-latency":         onOff(),
	"profiling.tasks":                choice("'%s' expects either 'on', 'auto', or 'off' but got '%s'.", "on", "auto", "off"),
	"httpclient.resolvers.prefer":    choice("'%s' expects 'ipv4' or 'ipv6' as argument.%.0s", "ipv4", "ipv6"),
	"httpclient.ssl.verify":          choice("'%s' expects 'none' or 'required' as argument.%.0s", "none", "required"),
	"close-spread-time":              timeArg(false, true),
	"grace":                          timeArg(false, true),
	"hard-stop-after":                timeArg(false, true),
	"tune.ssl.lifetime":              timeArg(false, false),
	"tune.idletimer":                 timeArg(true, false),
	"tune.comp.maxlevel":             intBetween(1, 9, "'%s' expects a numeric value between 1 and 9"),
	"tune.http.maxhdr":               intBetween(1, 32767, "'%s' expects a numeric value between 1 and 32767"),
	"tune.h2.header-table-size":      intBetween(4096, 65536, "'%s' expects a numeric value between 4096 and 65536."),
	"tune.h2.max-frame-size":         intBetween(16384, 16777215, "'%s' expects a numeric value between 16384 and 16777215."),
	"tune.bufsize":                   intBetween(1, 1<<31-1, "'%s' expects a positive integer argument."),
	"tune.peers.max-updates-at-once": intBetween(1, 1<<31-1, "'%s' expects an integer argument greater than 0."),
	"tune.ssl.default-dh-param":      intBetween(1024, 1<<31-1, "'%s' expects a value >= 1024."),
	"tune.vars.check-max-size":       digitsArg("%s: '%s' is an invalid size"),
	"tune.vars.global-max-size":      digitsArg("%s: '%s' is an invalid size"),
	"tune.vars.proc-max-size":        digitsArg("%s: '%s' is an invalid size"),
	"tune.vars.reqres-max-size":      digitsArg("%s: '%s' is an invalid size"),
	"tune.vars.sess-max-size":        digitsArg("%s: '%s' is an invalid size"),
	"tune.vars.txn-max-size":         digitsArg("%s: '%s' is an invalid size"),
}

func init() {
	for _, k := range []string{"busy-polling", "daemon", "external-check", "h1-accept-payload-with-any-method",
		"h2-workaround-bogus-websocket-clients", "insecure-fork-wanted", "insecure-setuid-wanted", "no-memory-trimming",
		"noepoll", "noevports", "nogetaddrinfo", "nokqueue", "nopoll", "noreuseport", "nosplice", "pp2-never-send-local",
		"quiet", "set-dumpable", "strict-limits", "tune.ssl.force-private-cache", "zero-warning"} {
		globalShapes[k] = noArgs()
	}
}

// RetryOnWords are the keywords of retry-on.
var RetryOnWords = setOf("none", "conn-failure", "empty-response", "junk-response", "response-timeout",
	"0rtt-rejected", "all-retryable-errors", "401", "403", "404", "408", "425", "500", "501", "502", "503", "504")

// retryOnArgs checks retry-on's keywords (the missing-argument case is
// the generic one).
func retryOnArgs(l *loader, d line) bool {
	for _, w := range d.args {
		if !RetryOnWords[w] {
			l.alert(d.pos, fmt.Sprintf("'retry-on': unknown keyword '%s'", w))
			return false
		}
		if w == "none" && len(d.args) > 1 {
			l.alert(d.pos, "'retry-on' 'none' keyworld only usable alone") // sic
			return false
		}
	}
	return true
}
