package haproxy

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// httpErrorPayloads are the http-error words that give the page its
// content; only one may be used.
var httpErrorPayloads = map[string]string{"errorfile": "<fmt>", "errorfiles": "<name>", "file": "<file>",
	"lf-file": "<file>", "string": "<str>", "lf-string": "<fmt>", "default-errorfiles": ""}

// httpErrorArgs checks "http-error status CODE [content-type T] [payload]
// [hdr NAME FMT]*" with the reference's messages: a fatal error for a
// malformed line, a warning for a content-type or hdr the page ignores.
func (l *loader) httpErrorArgs(d line) {
	fail := func(format string, args ...any) {
		l.alert(d.pos, "http-error : "+fmt.Sprintf(format, args...))
	}
	if d.arg(0) != "status" {
		fail("expects at least a <status> as arguments.\n")
		return
	}
	status, end, problem := l.httpReply(d, d.args)
	switch {
	case problem != "":
		fail("%s", problem)
		return
	case end < len(d.args):
		fail("unknown keyword '%s'.", d.args[end])
		return
	}
	switch status {
	case 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504:
	default:
		l.alert(d.pos, fmt.Sprintf("http-error: status code '%d' not handled.", status))
	}
}

// httpReply reads the words of an http reply (http-error, the return
// action): "status CODE", "content-type T", one payload, "hdr NAME FMT".
// Like the reference's parser it stops at a word it does not know (end
// is its index, len(args) when none) and checks what it read; problem is
// its first error, with no final period. The warnings for settings the
// reply ignores are given at d's line. status is 200 when not given.
func (l *loader) httpReply(d line, args []string) (status, end int, problem string) {
	var ctype, payload, payloadText string
	hasHdr := false
	status, end = 200, len(args)
words:
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "status":
			if i+1 >= len(args) {
				return status, end, "'status' expects <status_code> as argument"
			}
			i++
			status, _ = strconv.Atoi(args[i])
			if status < 200 || status > 599 {
				return status, end, fmt.Sprintf("Unexpected status code '%d'", status)
			}
		case w == "content-type":
			if i+1 >= len(args) {
				return status, end, "'content-type' expects <ctype> as argument"
			}
			i++
			ctype = args[i]
		case w == "hdr":
			if i+2 >= len(args) {
				return status, end, "'hdr' expects <name> and <value> as arguments"
			}
			if msg := unknownFetchIn(args[i+2]); msg != "" {
				return status, end, msg
			}
			switch name := args[i+1]; name {
			case "content-length", "content-type", "transfer-encoding":
				l.warn(d.pos, fmt.Sprintf("header '%s' always ignored by the http reply.", name))
			default:
				hasHdr = true
			}
			i += 2
		case httpErrorPayloads[w] != "" || w == "default-errorfiles":
			if payload != "" {
				return status, end, fmt.Sprintf("unexpected '%s' argument, '%s' already defined", w, payload)
			}
			payload = w
			if w == "default-errorfiles" {
				continue
			}
			if i+1 >= len(args) {
				return status, end, fmt.Sprintf("'%s' expects %s as argument", w, httpErrorPayloads[w])
			}
			i++
			payloadText = args[i]
			if w == "errorfile" {
				if msg := errorFileProblem(args[i], "error opening file '%s'."); msg != "" {
					return status, end, msg
				}
			}
			if w == "file" || w == "lf-file" {
				// The reference reads the file here, and its log-format
				// once the words are read.
				data, err := os.ReadFile(args[i])
				if err != nil {
					return status, end, fmt.Sprintf("error opening file '%s'", args[i])
				}
				payloadText = string(data)
			}
		default:
			end = i
			break words
		}
	}
	return status, end, l.replyContentProblem(d, payload, payloadText, ctype, hasHdr)
}

// replyContentProblem checks a reply's content type against its payload,
// warning of what the reply ignores.
func (l *loader) replyContentProblem(d line, payload, payloadText, ctype string, hasHdr bool) string {
	switch payload {
	case "errorfile", "errorfiles", "default-errorfiles":
		if ctype != "" {
			l.warn(d.pos, fmt.Sprintf("content-type '%s' ignored by the http reply when used with an erorrfile.", ctype))
		}
		if hasHdr {
			l.warn(d.pos, "hdr parameters ignored by the http reply when used with an erorrfile.")
		}
	case "":
		if ctype != "" {
			l.warn(d.pos, fmt.Sprintf("content-type '%s' ignored by the http reply because neither errorfile nor payload defined.", ctype))
		}
	case "lf-string", "lf-file":
		if ctype == "" {
			return "a content type must be defined with a log-format payload"
		}
		return unknownFetchIn(payloadText)
	default:
		if ctype == "" && payloadText != "" {
			return "a content type must be defined when non-empty payload is configured"
		}
	}
	return ""
}

// unknownFetchIn reports the first `%[fetch...]` of a log-format value
// whose fetch the reference does not know, in its words ("" when none).
func unknownFetchIn(v string) string {
	for rest := v; ; {
		i := strings.Index(rest, "%[")
		if i < 0 {
			return ""
		}
		expr := rest[i+2:]
		name := expr
		if j := strings.IndexAny(name, "(,] "); j >= 0 {
			name = name[:j]
		}
		if !fetchNames[name] {
			return fmt.Sprintf("failed to parse sample expression <%s> : unknown fetch method '%s'", expr, name)
		}
		rest = expr
	}
}
