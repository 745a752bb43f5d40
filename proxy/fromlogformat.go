package proxy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/logformat"
)

// SampleCompiler, when set, compiles the `%[...]` expressions of log
// formats (the sample-expression package plugs in here); nil keeps
// logformat.BasicSamples.
var SampleCompiler logformat.SampleCompiler

// accessLog maps a frontend's logging keywords: the format of `option
// tcplog`, `option httplog [clf]` or `log-format` (the last one written
// wins, defaults first), `log-format-sd`, `option dontlognull`,
// `dontlog-normal`, `log-separate-errors`, header captures and the unique
// ID.
func (a *adapter) accessLog(fe *Frontend, px *haproxy.Proxy, lines []haproxy.Directive) {
	http := px.Mode == "http"
	l := &AccessLog{DontLogNull: hasOption(lines, "dontlognull"), DontLogNormal: hasOption(lines, "dontlog-normal"),
		SeparateErrors: hasOption(lines, "log-separate-errors")}
	var format, sd, uid *haproxy.Directive
	var builtin string
	for i := range lines {
		d := &lines[i]
		if on, args, ok := optionLine(*d); ok {
			switch args[0] {
			case "tcplog", "httplog", "httpslog":
				format, builtin = nil, ""
				if !on {
					continue
				}
				format, builtin = d, logformat.TCPLog
				if http && args[0] != "tcplog" {
					builtin = logformat.HTTPLog
					if len(args) > 1 && args[1] == "clf" {
						builtin = logformat.HTTPLogCLF
					}
					if args[0] == "httpslog" {
						a.warn(d.Pos, "'option httpslog' logs as 'option httplog' in Fulcrum (no TLS termination).")
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
	if format != nil {
		src := builtin
		if src == "" {
			src = first(format.Args)
		}
		l.Format = a.compileFormat(format.Pos, "log-format", src, http)
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
	compile := SampleCompiler
	if compile == nil {
		compile = func(expr string) (logformat.Sample, error) {
			smp, err := logformat.BasicSamples(expr)
			var us *logformat.UnsupportedSample
			if !errors.As(err, &us) {
				return smp, err
			}
			name := expr
			if i := strings.IndexAny(name, "(,"); i >= 0 {
				name = name[:i]
			}
			if !haproxy.IsFetch(name) {
				return nil, fmt.Errorf("unknown fetch method '%s'.", name)
			}
			a.warn(pos, "sample expression '%%[%s]' of %s is not evaluated by Fulcrum yet: it logs '-'.", expr, what)
			return func(dst []byte, _ *logformat.Values) ([]byte, bool) { return dst, false }, nil
		}
	}
	f, err := logformat.Compile(src, logformat.Options{HTTP: http, Sample: compile})
	if err != nil {
		a.diags = append(a.diags, confparse.Diagnostic{Pos: pos, Severity: confparse.Alert,
			Message: fmt.Sprintf("Parsing [%s:%d]: failed to parse %s : %s", pos.File, pos.Line, what, err.Error())})
		return nil
	}
	return f
}

// capture reads `capture request|response header NAME len N` and
// `declare capture request|response len N`.
func (a *adapter) capture(l *AccessLog, d haproxy.Directive) {
	args := d.Args
	var side, name, length string
	switch {
	case d.Keyword == "capture" && len(args) >= 5 && args[1] == "header" && args[3] == "len":
		side, name, length = args[0], args[2], args[4]
	case d.Keyword == "declare" && len(args) >= 4 && args[0] == "capture" && args[2] == "len":
		side, length = args[1], args[3]
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
