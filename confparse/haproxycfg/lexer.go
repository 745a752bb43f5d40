package haproxycfg

import (
	"fmt"
	"strconv"
	"strings"

	"fulcrum/confparse"
)

// MaxWords is the most words HAProxy 2.6 accepts on one line.
const MaxWords = 64

// Word is one argument after quote removal, escapes and expansion, with the
// position of its first byte in the file.
type Word struct {
	Text string
	Pos  confparse.Pos
}

// LexError is a fatal problem on one line, worded like the reference.
// Offset is the 1-based byte offset the reference prints as "position N".
type LexError struct {
	Kind   string // e.g. "unmatched quote"
	Offset int
	Caret  bool // the reference prints the line and a caret under Offset
	// CutAt, when not zero, is where the printed line ends: the
	// reference has already overwritten the line there.
	CutAt int
}

// Env looks up an environment variable; ok is false when it is unset.
type Env func(name string) (value string, ok bool)

// lineContext gives the values of the ${.FILE}, ${.LINE} and ${.SECTION}
// pseudo-variables.
type lineContext struct {
	file    string
	line    int
	section string
	comment *int // when set, receives the offset of an unquoted '#', or stays -1
	// reparse: the reference's output buffer is too small for this line
	// (the first line of a file, or one longer than any before), so it
	// parses the line twice, the second time over its own edits.
	reparse bool
}

// splitLine cuts one raw line (without its LF) into words following
// HAProxy 2.6's parse_line with quotes, backslashes, '#' comments,
// environment expansion in double quotes and ${NAME[*]} word expansion.
// It returns the words and, for a fatal problem, a LexError (the words are
// then meaningless).
func splitLine(raw string, env Env, ctx lineContext) ([]Word, *LexError) {
	// A CR ends the line, even inside quotes.
	if cr := strings.IndexByte(raw, '\r'); cr >= 0 {
		raw = raw[:cr]
	}
	if plain(raw) {
		return splitPlain(raw, ctx)
	}
	var (
		words   []Word
		cur     strings.Builder
		inWord  bool
		start   int
		squote  bool
		dquote  bool
		outOff  int // offset in the reference's output buffer, for "too many words"
		offsets []int
	)
	begin := func(i int) {
		if !inWord {
			inWord, start = true, i
		}
	}
	emit := func() {
		words = append(words, Word{Text: cur.String(), Pos: confparse.Pos{File: ctx.file, Line: ctx.line, Col: start + 1}})
		offsets = append(offsets, outOff)
		outOff += cur.Len() + 1
		cur.Reset()
		inWord = false
	}
	i := 0
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == '"' && !squote:
			begin(i)
			dquote = !dquote
			i++
		case c == '\'' && !dquote:
			begin(i)
			squote = !squote
			i++
		case c == '\\' && !squote:
			begin(i)
			if i+1 >= len(raw) {
				cur.WriteByte('\\')
				i++
				continue
			}
			n := raw[i+1]
			switch {
			case n == ' ' || n == '\\' || n == '#' || n == '\'' || n == '"':
				cur.WriteByte(n)
				i += 2
			case n == '$' && dquote:
				cur.WriteByte('$')
				i += 2
			case n == 't':
				cur.WriteByte('\t')
				i += 2
			case n == 'n':
				cur.WriteByte('\n')
				i += 2
			case n == 'r':
				cur.WriteByte('\r')
				i += 2
			case n == 'x':
				if !isHex(at(raw, i+2)) || !isHex(at(raw, i+3)) {
					return nil, &LexError{Kind: "truncated or invalid hexadecimal sequence", Offset: i + 1, Caret: true}
				}
				v, _ := strconv.ParseUint(raw[i+2:i+4], 16, 8)
				cur.WriteByte(byte(v))
				i += 4
			default:
				cur.WriteByte('\\')
				i++
			}
		case c == '$' && dquote:
			begin(i)
			val, split, next, err := expand(raw, i, env, ctx)
			if err != nil {
				return nil, err
			}
			if split {
				// ${NAME[*]} turns the value into separate words; the
				// first joins what precedes, the last what follows.
				parts := strings.Fields(val)
				for k, p := range parts {
					if k > 0 {
						emit()
						begin(i)
					}
					cur.WriteString(p)
				}
			} else {
				cur.WriteString(val)
			}
			i = next
		case c == '#' && !squote && !dquote:
			if ctx.comment != nil {
				*ctx.comment = i
			}
			i = len(raw)
		case isSpace(c) && !squote && !dquote:
			if inWord {
				emit()
			}
			for i < len(raw) && isSpace(raw[i]) {
				i++
			}
		default:
			begin(i)
			cur.WriteByte(c)
			i++
		}
	}
	if squote || dquote {
		q := byte('"')
		if squote {
			q = '\''
		}
		return nil, &LexError{Kind: "unmatched quote", Offset: strings.LastIndexByte(raw, q) + 1, Caret: true}
	}
	if inWord {
		emit()
	}
	if len(words) > MaxWords {
		return words[:MaxWords], &LexError{
			Kind:   fmt.Sprintf("too many words, truncating after word %d, position %d: <%s>.", MaxWords, offsets[MaxWords-1]+1, words[MaxWords-1].Text),
			Offset: offsets[MaxWords-1] + 1,
		}
	}
	return words, nil
}

// expand reads one $NAME, ${NAME}, ${NAME-default} or ${NAME[*]} starting
// at raw[i] == '$' inside double quotes.
func expand(raw string, i int, env Env, ctx lineContext) (val string, split bool, next int, lerr *LexError) {
	j := i + 1
	brace := j < len(raw) && raw[j] == '{'
	if brace {
		j++
	}
	nameStart := j
	if j >= len(raw) || !(isAlpha(raw[j]) || raw[j] == '_' || raw[j] == '.') {
		return "", false, 0, &LexError{Kind: "forbidden first char in environment variable name", Offset: j + 1, Caret: true}
	}
	j++
	for j < len(raw) && (isAlpha(raw[j]) || isDigit(raw[j]) || raw[j] == '_') {
		j++
	}
	name := raw[nameStart:j]
	if name[0] == '.' && name != ".FILE" && name != ".LINE" && name != ".SECTION" {
		// An unknown pseudo-variable: the reference has cut the line
		// after the name by then.
		return "", false, 0, &LexError{Kind: "forbidden first char in environment variable name", Offset: nameStart + 1, Caret: true, CutAt: j}
	}
	value, set := lookup(name, env, ctx)
	if !brace {
		return value, false, j, nil
	}
	if j < len(raw) && raw[j] == '[' {
		if !strings.HasPrefix(raw[j:], "[*]") {
			return "", false, 0, &LexError{Kind: "truncated or invalid word expansion sequence", Offset: j + 1, Caret: true}
		}
		split = true
		j += 3
	}
	if j < len(raw) && raw[j] == '-' {
		end := strings.IndexByte(raw[j:], '}')
		if end < 0 {
			return "", false, 0, &LexError{Kind: "unmatched brace in environment variable name", Offset: nameStart, Caret: true}
		}
		if ctx.reparse {
			// The reference parses this line a second time (its output
			// buffer grew) and the first pass has already replaced the
			// closing brace: it then finds none.
			return "", false, 0, &LexError{Kind: "unmatched brace in environment variable name", Offset: nameStart, Caret: true, CutAt: j + end}
		}
		if !set {
			value = raw[j+1 : j+end]
		}
		j += end
	}
	if j >= len(raw) || raw[j] != '}' {
		return "", false, 0, &LexError{Kind: "unmatched brace in environment variable name", Offset: nameStart, Caret: true}
	}
	return value, split, j + 1, nil
}

func lookup(name string, env Env, ctx lineContext) (string, bool) {
	switch name {
	case ".FILE":
		return ctx.file, true
	case ".LINE":
		return strconv.Itoa(ctx.line), true
	case ".SECTION":
		return ctx.section, true
	}
	if env == nil {
		return "", false
	}
	return env(name)
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// plain reports whether a line has nothing but words and blanks: no
// quote, backslash, '$', '#' or control byte. Most lines are plain, and
// their words are simply the runs between blanks.
func plain(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"', '\'', '\\', '$', '#':
			return false
		default:
			if c < ' ' && c != '\t' {
				return false
			}
		}
	}
	return true
}

// splitPlain is splitLine for plain lines: words share the line's memory.
func splitPlain(raw string, ctx lineContext) ([]Word, *LexError) {
	n := 0
	for i := 0; i < len(raw); i++ {
		if !isSpace(raw[i]) && (i == 0 || isSpace(raw[i-1])) {
			n++
		}
	}
	words := make([]Word, 0, min(n, MaxWords))
	outOff := 0
	for i := 0; i < len(raw); {
		for i < len(raw) && isSpace(raw[i]) {
			i++
		}
		if i >= len(raw) {
			break
		}
		start := i
		for i < len(raw) && !isSpace(raw[i]) {
			i++
		}
		if len(words) == MaxWords {
			w := words[MaxWords-1]
			return words, &LexError{
				Kind:   fmt.Sprintf("too many words, truncating after word %d, position %d: <%s>.", MaxWords, outOff-len(w.Text), w.Text),
				Offset: outOff - len(w.Text),
			}
		}
		words = append(words, Word{Text: raw[start:i], Pos: confparse.Pos{File: ctx.file, Line: ctx.line, Col: start + 1}})
		outOff += i - start + 1
	}
	return words, nil
}
