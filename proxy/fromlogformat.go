package proxy

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/logformat"
	"fulcrum/proxy/sample"
)

// accessLog maps a frontend's logging keywords: the format of `option
// tcplog`, `option httplog [clf]` or `log-format` (the last one written
// wins, defaults first), `log-format-sd`, `option dontlognull`,
// `dontlog-normal`, `log-separate-errors`, header captures and the unique
// ID.
func (a *adapter) accessLog(fe *Frontend, px *haproxy.Proxy, lines []haproxy.Directive) {
	http := px.Mode == "http"
	l := &AccessLog{DontLogNull: hasOption(lines, "dontlognull"), DontLogNormal: hasOption(lines, "dontlog-normal"),
		SeparateErrors: hasOption(lines, "log-separate-errors"), ASAP: a.logASAP(lines)}
	var format, sd, uid *haproxy.Directive
	var builtin string
	for i := range lines {
		d := &lines[i]
		if on, args, ok := optionLine(*d); ok {
			switch args[0] {
			case "tcplog", "httplog", "httpslog":
				if !on {
					continue // the model refuses "no option tcplog/httplog"
				}
				format, builtin = d, logformat.TCPLog
				if http && args[0] != "tcplog" {
					builtin = logformat.HTTPLog
					if len(args) > 1 && args[1] == "clf" {
						builtin = logformat.HTTPLogCLF
					}
					if args[0] == "httpslog" {
						builtin = logformat.HTTPSLog
					}
				}
			}
			continue
		}
		switch d.Keyword {
		case "log-format":
			format, builtin = d, ""
		case "log-format-sd":
			sd = d
		case "unique-id-format":
			uid = d
		case "unique-id-header":
			if len(d.Args) > 0 {
				l.UniqueIDHeader = d.Args[0]
			}
		}
	}
	switch {
	case format == nil:
		l.Format, l.AtAccept = a.compileFormat(confparse.Pos{}, "log-format", ConnectFormat(http), http), true
	case builtin != "":
		l.Format = a.compileFormat(format.Pos, "log-format", builtin, http)
	default:
		l.Format = a.compileFormat(format.Pos, "log-format", first(format.Args), http)
	}
	if sd != nil {
		l.SD = a.compileFormat(sd.Pos, "log-format-sd", first(sd.Args), http)
	}
	if uid != nil {
		l.UniqueID = a.compileFormat(uid.Pos, "unique-id", first(uid.Args), http)
	}
	if px.Section != nil {
		for _, d := range px.Section.Lines {
			a.capture(l, d)
		}
	}
	fe.Log = l
}

// compileFormat compiles one format string, reporting errors as the
// reference does and warning about samples not evaluated yet.
func (a *adapter) compileFormat(pos confparse.Pos, what, src string, http bool) *logformat.Format {
	compile := a.logSamples(pos, what)
	f, err := logformat.Compile(src, logformat.Options{HTTP: http, Sample: compile})
	if err != nil {
		a.diags = append(a.diags, confparse.Diagnostic{Pos: pos, Severity: confparse.Alert,
			Message: fmt.Sprintf("Parsing [%s:%d]: failed to parse %s : %s", pos.File, pos.Line, what, err.Error())})
		return nil
	}
	return f
}

// logSamples compiles the `%[...]` nodes of a format: the plain fetches
// of logformat.BasicSamples from the record, the others with the sample
// package; these read the stream's session when the line is written. A
// fetch the reference has but the sample package not yet is warned and
// logs "-"; fetches of HTTP headers are refused, as by the reference,
// since the headers are gone when a line is written.
func (a *adapter) logSamples(pos confparse.Pos, what string) logformat.SampleCompiler {
	return a.formatSamples(pos, what, true)
}

// formatSamples is logSamples; atLog false is for rule values, computed
// while the request (and its headers) is at hand.
func (a *adapter) formatSamples(pos confparse.Pos, what string, atLog bool) logformat.SampleCompiler {
	return func(expr string) (logformat.Sample, error) {
		// The record knows the stream's names and addresses best (the
		// session does not carry a tcp-mode backend, nor the server).
		if smp, err := logformat.BasicSamples(expr); err == nil {
			return smp, nil
		}
		x, err := sample.ParseExpr(expr, &sample.Options{ReadFile: os.ReadFile})
		var unknown *sample.UnknownError
		switch {
		case errors.As(err, &unknown) && unknown.Kind == "fetch method" && haproxy.IsFetch(unknown.Name):
			a.warn(pos, "sample fetch '%s' in %s is not evaluated by Fulcrum yet: it logs '-'.", unknown.Name, what)
			return func(dst []byte, _ *logformat.Values) ([]byte, bool) { return dst, false }, nil
		case err != nil:
			return nil, errors.New(strings.TrimSuffix(err.Error(), ".") + ".")
		}
		if atLog && x.HTTP() && !logTimeFetches[x.FetchName()] {
			return nil, &logformat.UnavailableError{Needs: headersNeeded(x.FetchName())}
		}
		if atLog && responseFetches[x.FetchName()] {
			// Accepted, but the response is gone when the line is written.
			return func(dst []byte, _ *logformat.Values) ([]byte, bool) { return dst, false }, nil
		}
		return func(dst []byte, v *logformat.Values) ([]byte, bool) {
			r, _ := v.Ctx.(*Record)
			if r == nil || r.sess == nil || v.NoStream && x.HTTP() {
				return dst, false
			}
			return x.AppendString(dst, r.sess)
		}, nil
	}
}

// headerFormat compiles a set-header/add-header value holding log-format
// variables (%ci, %ID, %{+Q}[src] ...), rendered per request.
func (a *adapter) headerFormat(pos confparse.Pos, value string, http bool) (*logformat.Format, error) {
	return logformat.Compile(value, logformat.Options{HTTP: http, Sample: a.formatSamples(pos, "a header value", false), RuleValue: true})
}

// headerValue renders a rule's log-format value for the current request.
func (h *httpConn) headerValue(f *logformat.Format) string {
	v := &h.lf.vals
	h.r.values(v)
	h.lf.tmp = f.Render(h.lf.tmp[:0], v)
	*v = logformat.Values{}
	return string(h.lf.tmp)
}

// logTimeFetches are the HTTP fetches the reference still serves when a
// log line is written (kept in the transaction, not read from headers).
var logTimeFetches = map[string]bool{"method": true, "status": true, "txn.status": true, "capture.req.method": true,
	"capture.req.uri": true, "capture.req.ver": true, "capture.res.ver": true, "unique-id": true,
	"capture.req.hdr": true, "capture.res.hdr": true}

// responseFetches are accepted in formats but find no response when the
// line is written: the reference logs "-".
var responseFetches = map[string]bool{"status": true}

// headersNeeded names what a header fetch needs, in the reference's words.
func headersNeeded(fetch string) string {
	switch {
	case strings.HasPrefix(fetch, "res.") || strings.HasPrefix(fetch, "s") && strings.Contains(fetch, "hdr"):
		return "HTTP response headers"
	case fetch == "hdr" || fetch == "fhdr" || strings.HasPrefix(fetch, "hdr_") || fetch == "cook" || strings.HasPrefix(fetch, "cook_"):
		return "HTTP request headers,HTTP response headers"
	}
	return "HTTP request headers"
}

// capture reads `capture request|response header NAME len N`,
// `declare capture request|response len N` and the slots of
// `http-request capture SAMPLE len N` rules.
func (a *adapter) capture(l *AccessLog, d haproxy.Directive) {
	args := d.Args
	var side, name, length string
	switch {
	case d.Keyword == "capture" && len(args) >= 5 && args[1] == "header" && args[3] == "len":
		side, name, length = args[0], args[2], args[4]
	case d.Keyword == "declare" && len(args) >= 4 && args[0] == "capture" && args[2] == "len":
		side, length = args[1], args[3]
	case d.Keyword == "http-request" && len(args) >= 4 && args[0] == "capture" && args[2] == "len":
		// A capture rule with a length declares a slot of its own, in
		// line order with the other captures.
		if n, err := strconv.Atoi(args[3]); err == nil && n > 0 {
			if l.ruleSlots == nil {
				l.ruleSlots = map[confparse.Pos]int{}
			}
			l.ruleSlots[d.Pos] = len(l.ReqCaptures)
			l.ReqCaptures = append(l.ReqCaptures, Capture{Len: n})
		}
		return
	case d.Keyword == "capture" && len(args) > 0 && args[0] == "cookie":
		a.warn(d.Pos, "'capture cookie' is not acted on yet by Fulcrum: %%CC and %%CS log '-'.")
		return
	default:
		return
	}
	n, err := strconv.Atoi(length)
	if err != nil || n <= 0 {
		return // the model reports the bad length
	}
	switch side {
	case "request":
		l.ReqCaptures = append(l.ReqCaptures, Capture{Name: name, Len: n})
	case "response":
		l.ResCaptures = append(l.ResCaptures, Capture{Name: name, Len: n})
	}
}

// LogFormatErrors compiles the log formats of every frontend as the
// reference does during `haproxy -c`, and returns the alerts of those it
// refuses (the rest of the mapping is the daemon's business).
func LogFormatErrors(hc *haproxy.Config) []confparse.Diagnostic {
	a := &adapter{hc: hc, cfg: &Config{}}
	for _, px := range hc.Proxies {
		if px.Kind == "frontend" || px.Kind == "listen" {
			a.accessLog(&Frontend{}, px, a.linesOf(px))
		}
	}
	return a.alerts()
}

// ProcVarErrors checks the global set-var lines as the reference does
// while it parses (a refused one is a parsing error there), and returns
// the alerts of those it refuses.
func ProcVarErrors(hc *haproxy.Config) []confparse.Diagnostic {
	a := &adapter{hc: hc, cfg: &Config{}}
	a.procVarInits()
	return a.alerts()
}

// alerts are the adapter's alerts so far.
func (a *adapter) alerts() []confparse.Diagnostic {
	var alerts []confparse.Diagnostic
	for _, d := range a.diags {
		if d.Severity == confparse.Alert {
			alerts = append(alerts, d)
		}
	}
	return alerts
}

// captureRule maps `http-request capture SAMPLE len N|id N` and
// `http-response capture SAMPLE id N`: the sample's text goes into a
// capture slot of the frontend, logged by %hr / %hs.
func (a *adapter) captureRule(sc *ruleScope, pos confparse.Pos, w []string) (HTTPRule, bool) {
	notActed := func(why string) (HTTPRule, bool) {
		a.warn(pos, "'%s capture' is not acted on yet by Fulcrum (%s); the rule is ignored.", sc.kw, why)
		return HTTPRule{}, false
	}
	var l *AccessLog
	for _, fe := range a.cfg.Frontends {
		if fe.Name == sc.px.Name {
			l = fe.Log
		}
	}
	if l == nil || len(w) < 4 {
		return notActed("captures exist in frontends only")
	}
	x, err := sample.ParseExpr(w[1], &sample.Options{ReadFile: os.ReadFile})
	if err != nil {
		return notActed(notBuilt(err).Error())
	}
	response := sc.kw != "http-request"
	slot, ok := -1, false
	switch w[2] {
	case "len":
		slot, ok = l.ruleSlots[pos]
	case "id":
		n, err := strconv.Atoi(w[3])
		slots := l.ReqCaptures
		if response {
			slots = l.ResCaptures
		}
		slot, ok = n, err == nil && n >= 0 && n < len(slots)
	}
	if !ok {
		return notActed("no such capture slot")
	}
	return HTTPRule{Action: HTTPDo, Do: func(s *Session) {
		if s.http != nil {
			s.http.captureSample(x, slot, response)
		}
	}}, true
}
