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
	var ctype, payload, payloadText, unknown string
	hasHdr := false
	status := 0
	// The reference's reply parser stops at a word it does not know,
	// checks what it read, and only then is the word refused.
words:
	for i := 0; i < len(d.args); i++ {
		w := d.args[i]
		switch {
		case w == "status":
			if i+1 >= len(d.args) {
				fail("'status' expects <status_code> as argument")
				return
			}
			i++
			status, _ = strconv.Atoi(d.args[i])
			if status < 200 || status > 599 {
				fail("Unexpected status code '%d'", status)
				return
			}
		case w == "content-type":
			if i+1 >= len(d.args) {
				fail("'content-type' expects <ctype> as argument")
				return
			}
			i++
			ctype = d.args[i]
		case w == "hdr":
			if i+2 >= len(d.args) {
				fail("'hdr' expects <name> and <value> as arguments")
				return
			}
			if msg := unknownFetchIn(d.args[i+2]); msg != "" {
				fail("%s", msg)
				return
			}
			switch name := d.args[i+1]; name {
			case "content-length", "content-type", "transfer-encoding":
				l.warn(d.pos, fmt.Sprintf("header '%s' always ignored by the http reply.", name))
			default:
				hasHdr = true
			}
			i += 2
		case httpErrorPayloads[w] != "" || w == "default-errorfiles":
			if payload != "" {
				fail("unexpected '%s' argument, '%s' already defined", w, payload)
				return
			}
			payload = w
			if w == "default-errorfiles" {
				continue
			}
			if i+1 >= len(d.args) {
				fail("'%s' expects %s as argument", w, httpErrorPayloads[w])
				return
			}
			i++
			payloadText = d.args[i]
			if w == "errorfile" {
				if msg := errorFileProblem(d.args[i], "error opening file '%s'."); msg != "" {
					fail("%s", msg)
					return
				}
			}
			if w == "file" || w == "lf-file" {
				// The reference reads the file here, and its log-format
				// once the line is read.
				data, err := os.ReadFile(d.args[i])
				if err != nil {
					fail("error opening file '%s'", d.args[i])
					return
				}
				payloadText = string(data)
			}
		default:
			unknown = w
			break words
		}
	}
	warn := func(msg string) { l.warn(d.pos, msg) }
	switch payload {
	case "errorfile", "errorfiles", "default-errorfiles":
		if ctype != "" {
			warn(fmt.Sprintf("content-type '%s' ignored by the http reply when used with an erorrfile.", ctype))
		}
		if hasHdr {
			warn("hdr parameters ignored by the http reply when used with an erorrfile.")
		}
	case "":
		if ctype != "" {
			warn(fmt.Sprintf("content-type '%s' ignored by the http reply because neither errorfile nor payload defined.", ctype))
		}
	case "lf-string", "lf-file":
		if ctype == "" {
			fail("a content type must be defined with a log-format payload")
			return
		}
		if msg := unknownFetchIn(payloadText); msg != "" {
			fail("%s", msg)
			return
		}
	default:
		if ctype == "" && payloadText != "" {
			fail("a content type must be defined when non-empty payload is configured")
			return
		}
	}
	if unknown != "" {
		fail("unknown keyword '%s'.", unknown)
		return
	}
	switch status {
	case 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504:
	default:
		l.alert(d.pos, fmt.Sprintf("http-error: status code '%d' not handled.", status))
	}
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
