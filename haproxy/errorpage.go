package haproxy

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// errorFileProblem reads an errorfile as the reference does while parsing
// the configuration (a whole HTTP/1 response): its message, prefixed with
// the file's name where the reference does, or "" for a usable file.
// openFail is the message for a file that does not open.
func errorFileProblem(path, openFail string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf(openFail, path)
	}
	if msg := errorPageProblem(raw); msg != "" {
		return fmt.Sprintf("'%s': %s", path, msg)
	}
	return ""
}

// errorPageProblem checks the response an errorfile holds; an empty file
// is accepted, as by the reference.
func errorPageProblem(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	status, headers, bodyAt, errAt, bad := parseErrorPageHead(raw)
	if bad {
		return fmt.Sprintf("unable to parse headers (error offset: %d)", errAt)
	}
	if status < 200 && (status == 100 || status >= 102) {
		return fmt.Sprintf("invalid http status code for an error message (%d)", status)
	}
	body := len(raw) - bodyAt
	clen := -1
	for _, h := range headers {
		switch strings.ToLower(h[0]) {
		case "transfer-encoding":
			if strings.Contains(strings.ToLower(h[1]), "chunked") {
				return "chunk-encoded payload not supported"
			}
		case "content-length":
			clen, _ = strconv.Atoi(strings.TrimSpace(h[1]))
		}
	}
	switch {
	case (status == 204 || status == 304) && body > 0:
		return "message payload not expected"
	case status != 204 && status != 304 && clen >= 0 && clen != body:
		return fmt.Sprintf("payload size does not match the announced content-length (%d != %d)", body, clen)
	}
	return ""
}

// parseErrorPageHead reads the status line and the headers of raw; when
// they do not parse (bad), errAt is the offset of the first bad byte, or
// -2 when the headers do not end (the reference's offsets).
func parseErrorPageHead(raw []byte) (status int, headers [][2]string, bodyAt, errAt int, bad bool) {
	line, next, ok := cutLine(raw, 0)
	if !ok {
		return 0, nil, 0, -2, true
	}
	sp := bytes.IndexByte(line, ' ')
	switch {
	case !bytes.HasPrefix(line, []byte("HTTP/")):
		return 0, nil, 0, 0, true
	case sp < 0:
		return 0, nil, 0, len(line), true
	}
	for i := sp + 1; i < sp+4; i++ {
		if i >= len(line) || line[i] < '0' || line[i] > '9' {
			return 0, nil, 0, i, true
		}
		status = status*10 + int(line[i]-'0')
	}
	if len(line) > sp+4 && line[sp+4] != ' ' {
		return 0, nil, 0, sp + 4, true
	}
	for at := next; ; {
		line, next, ok = cutLine(raw, at)
		if !ok {
			return 0, nil, 0, -2, true
		}
		if len(line) == 0 {
			return status, headers, next, 0, false
		}
		colon := 0
		for colon < len(line) && isTokenByte(line[colon]) {
			colon++
		}
		if colon == 0 || colon == len(line) || line[colon] != ':' {
			return 0, nil, 0, at + colon, true
		}
		headers = append(headers, [2]string{string(line[:colon]), string(bytes.TrimSpace(line[colon+1:]))})
		at = next
	}
}

// cutLine returns the line of raw starting at at, without its CRLF or LF,
// and where the next one starts; ok is false when the line does not end.
func cutLine(raw []byte, at int) (line []byte, next int, ok bool) {
	i := bytes.IndexByte(raw[at:], '\n')
	if i < 0 {
		return nil, 0, false
	}
	return bytes.TrimSuffix(raw[at:at+i], []byte("\r")), at + i + 1, true
}

// isTokenByte tells whether c may appear in a header name (RFC 7230 tchar).
func isTokenByte(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", rune(c))
}
