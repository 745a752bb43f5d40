package keepalived

import (
	"strings"

	kc "fulcrum/confparse/keepalivedconf"
)

// quotedEscaped splits text the way the reference reads script lines:
// words end at blanks outside quotes, '...' and "..." group, and
// backslash escapes (\n, \t, \xHH, \cX, octal, any other character
// literally) work inside double quotes and outside quotes. It returns the
// unclosed quote character when a quote is not closed.
func quotedEscaped(s string) (words []string, unclosed byte, ok bool) {
	i := 0
	for {
		for i < len(s) && isWhite(s[i]) {
			i++
		}
		if i >= len(s) {
			return words, 0, true
		}
		var w strings.Builder
		var quote byte
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\' && quote != '\'':
				i++
				if i >= len(s) {
					return words, 0, false // "Missing escape char at end"
				}
				w.WriteByte(unescape(s, &i))
				continue
			case quote != 0 && c == quote:
				quote = 0
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				if i+1 == len(s) {
					// A quote opening at the very end is accepted: the
					// reference only fails on text left inside a quote.
					quote = 0
				}
			case quote == 0 && isWhite(c):
				goto wordEnd
			default:
				w.WriteByte(c)
			}
			i++
		}
		if quote != 0 {
			return words, quote, false
		}
	wordEnd:
		words = append(words, w.String())
	}
}

func isWhite(c byte) bool { return strings.IndexByte(" \t\f\n\r\v", c) >= 0 }

// unescape reads the escape at s[*i] (after the backslash).
func unescape(s string, i *int) byte {
	c := s[*i]
	switch {
	case c == 'x' && *i+1 < len(s) && isHexDigit(s[*i+1]):
		*i++
		var v byte
		for *i < len(s) && isHexDigit(s[*i]) {
			v = v<<4 | hexVal(s[*i])
			*i++
		}
		return v
	case c == 'c' && *i+1 < len(s):
		v := s[*i+1] & 0x1f
		*i += 2
		return v
	case c >= '0' && c <= '7':
		v := c - '0'
		*i++
		for n := 0; n < 2 && *i < len(s) && s[*i] >= '0' && s[*i] <= '7'; n++ {
			v = v<<3 + s[*i] - '0'
			*i++
		}
		return v
	}
	*i++
	switch c {
	case 'a':
		return '\a'
	case 'b':
		return '\b'
	case 'E':
		return 0x1b
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'v':
		return '\v'
	}
	return c
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// scriptLine reads a script keyword's line as the reference does: the
// whole line is split shell-like, its second word is the command (split
// again into program and arguments), further words name the user and
// group. ok is false when a quote is left open (reported). A notify
// keyword without a script stops the run, as in the reference.
func (p *parser) scriptLine(notify bool) (cmd, user []string, ok bool) {
	qe, q, fine := quotedEscaped(p.cur.Text)
	if !fine {
		if q != 0 {
			p.report(kc.ClassUnmatchedQuote, "String '"+p.cur.Text+"': missing terminating "+string(q))
		}
		return nil, nil, false
	}
	if len(qe) < 2 {
		if notify {
			// The reference names the missing script and stops.
			p.arg(qe, 1)
		}
		return nil, nil, false
	}
	cmd, q, fine = quotedEscaped(qe[1])
	if !fine {
		if q != 0 {
			p.report(kc.ClassUnmatchedQuote, "String '"+qe[1]+"': missing terminating "+string(q))
		}
		return nil, nil, false
	}
	return cmd, qe[2:], true
}

// cmdString formats a command as the reference's messages do: each
// argument in single quotes.
func cmdString(cmd []string) string {
	out := make([]string, len(cmd))
	for i, c := range cmd {
		out[i] = "'" + c + "'"
	}
	return strings.Join(out, " ")
}

// scriptUserOK applies the user/group words after a notify script, or
// the default script user; false drops the script (the reference only
// logs that).
func (p *parser) scriptUserOK(user []string) bool {
	if len(user) > 0 {
		group := ""
		if len(user) > 1 {
			group = user[1]
		}
		return userExists(user[0], group)
	}
	return !p.load.defaultScriptUserFails(p)
}
