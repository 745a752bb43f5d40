package haproxycfg

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"fulcrum/confparse"
)

// maxNestedConds is the reference's limit on `.if` nesting.
const maxNestedConds = 100

// Line is one active configuration line: it survived the `.if` blocks and
// holds at least one word.
type Line struct {
	Pos   confparse.Pos // file, line, column of the first word
	Words []Word
}

// Comment is the text after an unquoted '#', to the end of the line.
type Comment struct {
	Pos  confparse.Pos // where the '#' is
	Text string
}

// File is one configuration file after reading: its active lines, its
// comments and the diagnostics the reader produced, in line order.
type File struct {
	Name     string
	Lines    []Line
	Comments []Comment
	Diags    []confparse.Diagnostic
	Aborted  bool // an error stopped the reading (".alert", a bad ".if", ...)
	// MissingLF is the alert for a last line without LF; the reference
	// reports it after handling that line.
	MissingLF *confparse.Diagnostic
	Fatal     bool // at least one fatal error
	// Scopes are the "[name]" lines (SPOE files), in order; the lines
	// after one, up to the next, belong to its scope.
	Scopes []Scope
}

// Scope is a "[name]" line of an SPOE file.
type Scope struct {
	Pos  confparse.Pos
	Name string
}

// Section names the reader must know to track ${.SECTION}; the grammar
// uses the same set to tell section headers from keyword lines.
var sectionNames = map[string]bool{
	"global": true, "defaults": true, "frontend": true, "backend": true, "listen": true,
	"userlist": true, "peers": true, "mailers": true, "resolvers": true, "program": true,
	"cache": true, "http-errors": true, "ring": true, "log-forward": true, "fcgi-app": true,
}

// IsSection reports whether word opens a section in HAProxy 2.6.
func IsSection(word string) bool { return sectionNames[word] }

// DiagPrefix marks a `.diag` message: the reference prints it only under
// -dD, with the label [DIAG].
const DiagPrefix = "\x00diag\x00"

// ExpandPaths turns -f arguments into the list of files to read: a
// directory gives its regular *.cfg files not starting with '.', in
// lexical order, not recursively. A path that cannot be opened is kept so
// that ReadFile reports it.
func ExpandPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			out = append(out, p)
			continue
		}
		var names []string
		for _, e := range ents {
			n := e.Name()
			if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".cfg") {
				continue
			}
			full := filepath.Join(p, n)
			if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() {
				names = append(names, full)
			}
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out
}

// ReadFile reads and lexes one file. It returns nil and an error when the
// file cannot be opened, worded like the reference.
func ReadFile(name string, b *Build) (*File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		reason := "No such file or directory"
		if pe, ok := err.(*os.PathError); ok {
			reason = errnoText(pe.Err)
		}
		return nil, fmt.Errorf("Cannot open configuration file/directory %s : %s", name, reason)
	}
	return Read(name, data, b), nil
}

func errnoText(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

type condState int

const (
	condTake condState = iota // this branch is active
	condDrop                  // not taken yet; a later .elif/.else may be
	condSkip                  // a branch was taken, or the parent is inactive
)

type condLevel struct {
	state  condState
	inElse bool
}

// Read lexes a whole file held in memory, applying the directives.
func Read(name string, data []byte, b *Build) *File {
	if b == nil {
		b = &Build{}
	}
	f := &File{Name: name}
	var (
		conds   []condLevel
		section string
		linenum int
		// A stray argument after .else/.endif stops the reading and the
		// reference then also reports the open block.
		unterminated bool
		outBuf       int // size of the reference's output buffer so far
	)
	alert := func(line int, msg string) {
		f.Fatal = true
		f.Diags = append(f.Diags, confparse.Diagnostic{Pos: confparse.Pos{File: name, Line: line}, Severity: confparse.Alert, Message: fmt.Sprintf("parsing [%s:%d]: %s", name, line, msg)})
	}
	active := func() bool {
		return len(conds) == 0 || conds[len(conds)-1].state == condTake
	}
	// One conversion for the whole file: lines and plain words are
	// substrings of it.
	rest := string(data)
	f.Lines = make([]Line, 0, strings.Count(rest, "\n")+1)
	for len(rest) > 0 && !f.Aborted {
		linenum++
		nl := strings.IndexByte(rest, '\n')
		var raw string
		if nl < 0 {
			raw, rest = rest, ""
			if nul := strings.IndexByte(raw, 0); nul >= 0 {
				raw = raw[:nul]
			}
			// The reference still handles this line; the alert comes
			// after whatever the line itself produces.
			f.MissingLF = &confparse.Diagnostic{Pos: confparse.Pos{File: name, Line: linenum}, Severity: confparse.Alert,
				Message: fmt.Sprintf("parsing [%s:%d]: Missing LF on last line, file might have been truncated at position %d.", name, linenum, len(raw)+1)}
			f.Fatal = true
		} else {
			raw, rest = rest[:nl], rest[nl+1:]
		}
		if nul := strings.IndexByte(raw, 0); nul >= 0 {
			if nul == 0 {
				// The reference measures the line up to the NUL: an empty
				// line, then, and one without its LF.
				alert(linenum, "Missing LF on last line, file might have been truncated at position 1.")
				continue
			}
			alert(linenum, fmt.Sprintf("Stray NUL character at position %d.", nul+1))
			continue
		}
		trimmed := strings.TrimLeft(raw, " \t\r\v\f")
		if strings.HasPrefix(trimmed, "[") {
			// "[name]" is a scope line (SPOE files), never a keyword.
			if active() {
				scope, _, _ := strings.Cut(trimmed[1:], "]")
				f.Scopes = append(f.Scopes, Scope{Pos: confparse.Pos{File: name, Line: linenum, Col: len(raw) - len(trimmed) + 1}, Name: scope})
			}
			continue
		}
		comment := -1
		// The reference's output buffer starts empty and grows by 1 kB
		// steps: the first line, and any longer line, are parsed twice.
		reparse := len(raw)+1 > outBuf
		if reparse {
			outBuf = (len(raw) + 1 + 1023) &^ 1023
		}
		words, lerr := splitLine(raw, b.Env, lineContext{file: name, line: linenum, section: section, comment: &comment, reparse: reparse})
		if comment >= 0 {
			f.Comments = append(f.Comments, Comment{Pos: confparse.Pos{File: name, Line: linenum, Col: comment + 1}, Text: raw[comment+1:]})
		}
		if lerr != nil {
			if lerr.Caret {
				// The offset counts from the line's start, but the line
				// is shown without its indentation.
				lead := len(raw) - len(trimmed)
				shown := trimmed
				if lerr.CutAt > lead {
					shown = raw[lead:lerr.CutAt]
				}
				shown = printable(shown)
				alert(linenum, fmt.Sprintf("%s at position %d:\n  %s\n  %*s", lerr.Kind, lerr.Offset, shown, lerr.Offset-lead, "^"))
			} else {
				alert(linenum, lerr.Kind)
			}
			continue
		}
		if len(words) == 0 || words[0].Text == "" {
			continue
		}
		kw := words[0].Text
		args := texts(words[1:])
		if strings.HasPrefix(kw, ".") {
			switch kw {
			case ".if":
				if len(conds)+1 >= maxNestedConds {
					alert(linenum, fmt.Sprintf("too many nested '.if', max is %d.", maxNestedConds))
					f.Aborted = true
					continue
				}
				if !active() {
					conds = append(conds, condLevel{state: condSkip})
					continue
				}
				ok, cerr := evalCond(args, b)
				if cerr != nil {
					f.condFail(alert, linenum, cerr, ".if", args)
					continue
				}
				conds = append(conds, condLevel{state: pick(ok)})
				continue
			case ".elif":
				if len(conds) == 0 {
					alert(linenum, "lone '.elif' with no matching '.if'.")
					f.Aborted = true
					continue
				}
				top := &conds[len(conds)-1]
				if top.inElse {
					alert(linenum, "'.elif' after '.else' is not permitted.")
					f.Aborted = true
					continue
				}
				if top.state != condDrop {
					top.state = condSkip
					continue
				}
				ok, cerr := evalCond(args, b)
				if cerr != nil {
					f.condFail(alert, linenum, cerr, ".elif", args)
					continue
				}
				top.state = pick(ok)
				continue
			case ".else", ".endif":
				if len(args) > 0 {
					alert(linenum, fmt.Sprintf("Unexpected argument '%s' for '%s'.", args[0], kw))
					f.Aborted, unterminated = true, true
					continue
				}
				if len(conds) == 0 {
					alert(linenum, fmt.Sprintf("lone '%s' with no matching '.if'.", kw))
					f.Aborted = true
					continue
				}
				top := &conds[len(conds)-1]
				if kw == ".endif" {
					conds = conds[:len(conds)-1]
					continue
				}
				if top.inElse {
					alert(linenum, "'.else' after '.else' is not permitted.")
					f.Aborted = true
					continue
				}
				top.inElse = true
				if top.state == condDrop {
					top.state = condTake
				} else {
					top.state = condSkip
				}
				continue
			}
			if !active() {
				continue
			}
			f.directive(alert, linenum, kw, args)
			continue
		}
		if !active() {
			continue
		}
		if IsSection(kw) {
			section = kw
		}
		f.Lines = append(f.Lines, Line{Pos: words[0].Pos, Words: words})
		if b.Line != nil {
			b.Line(section, kw, args)
		}
	}
	if len(conds) > 0 && (!f.Aborted || unterminated) {
		alert(linenum, "non-terminated '.if' block.")
		f.Aborted = true
	}
	return f
}

func pick(ok bool) condState {
	if ok {
		return condTake
	}
	return condDrop
}

func texts(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	return out
}

// condFail reports an unparsable `.if`/`.elif` the way the reference does,
// with the expression and a caret, and stops reading.
func (f *File) condFail(alert func(int, string), line int, e *condError, kw string, args []string) {
	alert(line, fmt.Sprintf("%s in '%s' at position %d:\n  %s %s\n  %*s", e.msg, kw, e.pos, kw, strings.Join(args, " "), e.pos+len(kw)+1, "^"))
	f.Aborted = true
}

// directive handles .notice, .warning, .alert, .diag and unknown ones.
func (f *File) directive(alert func(int, string), line int, kw string, args []string) {
	sev := map[string]confparse.Severity{".notice": confparse.Notice, ".warning": confparse.Warning, ".alert": confparse.Alert, ".diag": confparse.Notice}
	s, known := sev[kw]
	if !known {
		alert(line, fmt.Sprintf("unknown directive '%s'.", kw))
		return
	}
	if len(args) > 1 {
		alert(line, fmt.Sprintf("Unexpected argument '%s' for '%s'. Use quotes if the message should contain spaces.", args[1], kw))
		return
	}
	msg := ""
	if len(args) == 1 {
		msg = args[0]
	}
	text := fmt.Sprintf("parsing [%s:%d]: '%s'.", f.Name, line, msg)
	if kw == ".diag" {
		text = DiagPrefix + text
	}
	f.Diags = append(f.Diags, confparse.Diagnostic{Pos: confparse.Pos{File: f.Name, Line: line}, Severity: s, Message: text})
	if kw == ".alert" {
		f.Fatal = true
		f.Aborted = true
	}
}

// printable shows control characters as spaces, as the reference does
// when it quotes a line in an error.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
}
