package keepalivedconf

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Limits that keep hostile input bounded. The reference has none for the
// first two (it loops or exhausts memory); we stop with a clear error.
const (
	maxLine         = 1024   // the reference reads with fgets into 1024 bytes
	maxIncludeDepth = 32     // nested include levels before we call it a loop
	maxSeqLines     = 65536  // lines one ~SEQ/~LST may produce
	maxExpandLines  = 262144 // default bound on the lines of one reading
)

// Include kinds, as `include`, `includer`, `includem`, `includew`,
// `includeb` and `includea` select them.
const (
	includeRead     = 1 << iota // a file that cannot be read is an error
	includeMatch                // a missing non-wildcard file is an error
	includeWildcard             // a wildcard matching nothing is an error
	includeBrace                // a missing brace alternative is an error
)

// Class tells how serious a reported problem is; the reference keeps the
// largest class seen and derives the exit code of `-t` from it. The order
// is the reference's.
type Class int

// The classes, least to most serious as the reference orders them.
const (
	ClassOK Class = iota
	ClassFileNotFound
	ClassBadIf
	ClassFatal
	ClassMultipleFiles
	ClassUnknownKeyword
	ClassUnexpectedBOB
	ClassMissingBOB
	ClassUnexpectedEOB
	ClassMissingEOB
	ClassUnmatchedQuote
	ClassMissingParameter
	ClassInvalidNumber
	ClassGeneral
	ClassWarning
	ClassDeprecated
	ClassSecurity
)

// Where is the position a message is reported at: the file name is empty
// when the reference would not print it (a single configuration file read
// by the parent process), Line is 0 when there is no current line.
type Where struct {
	File string
	Line int
}

// Prefix renders the position the way `keepalived -t` does.
func (w Where) Prefix() string {
	switch {
	case w.File != "":
		return "(" + w.File + ": Line " + itoa(w.Line) + ") "
	case w.Line > 0:
		return "(Line " + itoa(w.Line) + ") "
	}
	return ""
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Reporter receives every problem the reader finds, with the position the
// reference would print.
type Reporter func(w Where, c Class, msg string)

// Options shape one read of a configuration.
type Options struct {
	// ConfigID selects `@ID` lines; see DefaultConfigID.
	ConfigID string
	// Child reproduces how the reference's child processes read the
	// configuration: from the parent's consolidated copy, so the file name
	// is always printed, file errors are not repeated, and comment
	// escapes have already been removed once.
	Child bool
	// Dir is the working directory relative paths start from ("" = cwd).
	Dir string
	// MaxLines bounds the logical lines one reading may produce after
	// includes, sequences and definitions (0 = 262144).
	MaxLines int
}

// DefaultConfigID is the host name up to the first dot, the reference's
// default config id.
func DefaultConfigID() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}

// Line is one logical line as the reference's line reader hands it to the
// keyword parser: comments removed, conditionals, definitions, sequences
// and includes resolved, and every `{` or `}` split onto a line of its own.
type Line struct {
	Text  string
	Where Where
	Path  string // the file the line came from, as opened
}

type openFile struct {
	pattern   string   // the glob as written
	matches   []string // glob results as the reference would name them
	dir       string   // directory the pattern was resolved in
	next      int      // next match to open
	kind      int      // include kind bits
	saveCheck int      // include_check when this glob was opened
	nMatched  int

	name    string // current file as the reference names it
	path    string // current file's real path
	showNm  bool   // print the file name in messages
	lines   [][]byte
	lineIdx int
	lineNo  int
	depth   int
}

type definition struct {
	name      string
	value     string
	multiline bool
	fn        func(params string) string
	maxParams int
	params    string // parameters of the last ${NAME a b} lookup
}

type sequence struct {
	variable string
	next     int64
	last     int64
	step     int64
	hex      bool
	text     string
	// ~LST
	params  []string
	values  [][]string
	nextSet int
	emitted int
}

// Reader reproduces the reference's line reader. It is not safe for
// concurrent use.
type Reader struct {
	opt    Options
	report Reporter

	stack        []*openFile // top of the stack last
	defs         []*definition
	seqs         []*sequence
	residue      *string
	nextPtr      *string // rest of a multi-line definition being expanded
	multiStack   []multiEnt
	multiSeqDep  int
	inMultiDef   bool
	curDef       *definition
	blockDepth   int
	includeCheck int
	expanded     int
	aborted      string // set when a bound was hit: reading stops
	fileErr      bool
}

type multiEnt struct {
	ptr      string
	seqDepth int
}

// NewReader opens path (a glob, like the reference's -f) for reading.
// It reports "Failed to open configuration file" when nothing opens.
func NewReader(path string, opt Options, report Reporter) *Reader {
	r := &Reader{opt: opt, report: report}
	r.stdDefinitions()
	if !r.openGlob(path, opt.dir(), includeRead|includeMatch|includeWildcard, 0) {
		r.fileError(includeRead, "Failed to open configuration file")
	}
	return r
}

func (o Options) dir() string {
	if o.Dir != "" {
		return o.Dir
	}
	d, _ := os.Getwd()
	return d
}

// BlockDepth is the number of `{` not yet closed; the reference reports
// the missing `}`s after the last line.
func (r *Reader) BlockDepth() int { return r.blockDepth }

// Aborted gives the reason reading stopped early because a safety bound
// was reached, or "".
func (r *Reader) Aborted() string { return r.aborted }

// SetIncludeCheck changes which include problems are errors, as the
// `include_check` keyword does.
func (r *Reader) SetIncludeCheck(bits int) { r.includeCheck = bits }

// IncludeCheck returns the current include_check bits.
func (r *Reader) IncludeCheck() int { return r.includeCheck }

// FileError reports whether a strict include (or the main file) could not
// be read; the reference then stops after the first reading (exit 6).
func (r *Reader) FileError() bool { return r.fileErr }

// Where is the position messages are reported at now.
func (r *Reader) Where() Where {
	if len(r.stack) == 0 {
		return Where{}
	}
	f := r.stack[len(r.stack)-1]
	if f.name == "" && len(r.stack) > 1 {
		f = r.stack[len(r.stack)-2]
	}
	if f.showNm || r.opt.Child {
		return Where{File: f.name, Line: f.lineNo}
	}
	return Where{Line: f.lineNo}
}

// Report sends a message at the current position.
func (r *Reader) Report(c Class, msg string) {
	if r.report != nil {
		r.report(r.Where(), c, msg)
	}
}

func (r *Reader) fileError(kind int, msg string) {
	if r.opt.Child {
		return
	}
	check := r.includeCheck
	if len(r.stack) > 0 {
		check |= r.stack[len(r.stack)-1].kind
	}
	c := ClassOK
	if check&kind != 0 {
		c = ClassFileNotFound
		r.fileErr = true
	}
	r.Report(c, msg)
}

// Next returns the next logical line, or false at the end.
func (r *Reader) Next() (Line, bool) {
	buf, ok := r.readLine()
	if !ok {
		return Line{}, false
	}
	path := ""
	if n := len(r.stack); n > 0 {
		path = r.stack[n-1].path
	}
	return Line{Text: buf, Where: r.Where(), Path: path}, true
}

// readLine follows the reference's read_line step by step.
func (r *Reader) readLine() (string, bool) {
	var buf string
	for {
		switch {
		case r.aborted != "":
			return "", false
		case r.residue != nil:
			buf = *r.residue
			r.residue = nil
		case len(r.seqs) > 0 && len(r.seqs) > r.multiSeqDep:
			buf = r.nextSeqLine()
		case r.nextPtr != nil:
			p := *r.nextPtr
			if i := strings.IndexByte(p, '\n'); i >= 0 {
				buf = p[:i]
				rest := p[i+1:]
				r.nextPtr = &rest
			} else {
				buf = p
				if n := len(r.multiStack); n > 0 {
					e := r.multiStack[n-1]
					r.multiStack = r.multiStack[:n-1]
					r.multiSeqDep = e.seqDepth
					r.nextPtr = &e.ptr
				} else {
					r.nextPtr = nil
					r.multiSeqDep = 0
				}
			}
		default:
			var ok bool
			buf, ok = r.nextFileLine()
			if !ok {
				return "", false
			}
		}
		limit := r.opt.MaxLines
		if limit <= 0 {
			limit = maxExpandLines
		}
		if r.expanded++; r.expanded > limit {
			r.abort("configuration expands to more than " + itoa(limit) + " lines")
			return "", false
		}

		if r.inMultiDef {
			r.continueDefinition(buf)
			continue
		}
		if buf == "" {
			continue
		}
		buf = r.expandLine(buf)
		if buf == "" {
			continue
		}
		if r.checkInclude(buf) {
			continue
		}
		break
	}
	return r.splitBraces(buf), true
}

func (r *Reader) abort(msg string) {
	if r.aborted == "" {
		r.aborted = msg
		r.Report(ClassFatal, msg)
	}
}

// nextFileLine reads the next non-blank decommented line of the current
// file, moving on through the include stack.
func (r *Reader) nextFileLine() (string, bool) {
	for {
		if len(r.stack) == 0 {
			return "", false
		}
		f := r.stack[len(r.stack)-1]
		if f.lineIdx >= len(f.lines) {
			if !r.nextFile() {
				return "", false
			}
			continue
		}
		raw := f.lines[f.lineIdx]
		f.lineIdx++
		n := len(raw)
		if (n > 0 && raw[n-1] == '\n') || r.opt.Child {
			// A child reads the parent's copy, where every piece fgets
			// returned was written as a line of its own.
			f.lineNo++
		}
		for n > 0 && (raw[n-1] == '\n' || raw[n-1] == '\r') {
			n--
		}
		if n == 0 && r.inMultiDef {
			r.inMultiDef = false
			if r.curDef.value == "" {
				r.curDef.multiline = false
			}
		}
		if n == 0 {
			continue
		}
		line := string(raw[:n])
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i] // C strings end at NUL
		}
		if r.opt.Child {
			// The child reads the parent's copy, which was decommented once.
			line = decomment(line, nil)
		}
		line = decomment(line, func(msg string) { r.Report(ClassGeneral, msg) })
		if line != "" {
			return line, true
		}
	}
}

// continueDefinition adds one line to a multi-line $NAME definition.
func (r *Reader) continueDefinition(buf string) {
	n := len(buf)
	more := false
	if n > 0 && buf[n-1] == '\\' {
		n--
		for n >= 1 && isBlank(buf[n-1]) {
			n--
		}
		buf = buf[:n] + "\n"
		n++
		more = true
	} else {
		r.inMultiDef = false
		if r.curDef.value == "" {
			r.curDef.multiline = false
		}
	}
	if n >= 2 || (n > 0 && !more) {
		r.curDef.value += buf[:n]
	}
	r.inMultiDef = more
}

// expandLine applies @ID selection, $NAME definitions, ~SEQ/~LST and $NAME
// expansion to one line, returning "" when nothing is left to parse.
func (r *Reader) expandLine(buf string) string {
	for {
		if buf[0] == '@' {
			rev, ofs := false, 1
			if len(buf) > 1 && buf[1] == '^' {
				rev, ofs = true, 2
			}
			sp := strings.IndexAny(buf[ofs:], " \t")
			if sp < 0 {
				return ""
			}
			id := buf[ofs : ofs+sp]
			match := r.opt.ConfigID != "" && id == r.opt.ConfigID
			if match == rev {
				return ""
			}
			buf = strings.TrimLeft(buf[ofs+sp:], " \t")
			if buf == "" {
				return ""
			}
		}
		if buf[0] == '$' {
			if d := r.checkDefinition(buf); d != nil {
				if d.multiline {
					r.inMultiDef = true
					r.curDef = d
				}
				return ""
			}
		}
		if strings.HasPrefix(buf, "~SEQ") || strings.HasPrefix(buf, "~LST") {
			if buf[1] == 'S' {
				if !r.addSeq(buf) {
					r.Report(ClassGeneral, "Invalid ~SEQ specification '"+buf+"'")
				}
			} else if !r.addLst(buf) {
				r.Report(ClassGeneral, "Invalid ~LST specification '"+buf+"'")
			}
			return ""
		}
		if buf[0] == '~' {
			return buf
		}
		if !strings.Contains(buf, "$") {
			return buf
		}
		nb, changed := r.replaceParams(buf, true)
		if !changed || r.aborted != "" {
			return nb
		}
		buf = decomment(nb, func(msg string) { r.Report(ClassGeneral, msg) })
		if buf == "" {
			return ""
		}
		if buf[0] != '@' && !strings.Contains(buf, "$") {
			return buf
		}
	}
}

// splitBraces cuts the line at its first `{` or `}` outside double quotes
// so each brace is a line of its own; the rest is returned next time.
func (r *Reader) splitBraces(buf string) string {
	p := -1
	if buf[0] == '{' || buf[0] == '}' {
		p = 0
	} else {
		i := 0
		for i < len(buf) {
			j := strings.IndexAny(buf[i:], "{}\"")
			if j < 0 {
				break
			}
			i += j
			if buf[i] != '"' {
				p = i
				break
			}
			k := strings.IndexByte(buf[i+1:], '"')
			if k < 0 {
				break
			}
			i += k + 2
		}
	}
	if p >= 0 {
		skip := 0
		if p == 0 {
			skip = 1 + spanBlank(buf[1:])
		}
		if p+skip < len(buf) {
			rest := strings.TrimRight(buf[p+skip:], " \t")
			r.residue = &rest
			buf = buf[:p+skip]
		}
	}
	buf = strings.TrimRight(buf, " \t")
	switch buf {
	case "{":
		r.blockDepth++
	case "}":
		if r.blockDepth < 1 {
			r.Report(ClassUnexpectedEOB, "Extra '}' found")
			r.blockDepth = 0
		} else {
			r.blockDepth--
		}
	}
	return buf
}

func spanBlank(s string) int {
	n := 0
	for n < len(s) && isBlank(s[n]) {
		n++
	}
	return n
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// decomment removes a `#` or `!` comment outside double quotes, the
// backslash of `\#` and `\!` outside quotes, and trailing blanks; a final
// backslash is kept as the continuation mark of a definition.
func decomment(s string, report func(string)) string {
	b := []byte(strings.TrimLeft(s, " \t"))
	quote := false
	skip := -1
	cont := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			if skip < 0 {
				quote = !quote
			}
		case '\\':
			if i+1 >= len(b) {
				b = b[:i]
				cont = true
				i = len(b)
				continue
			}
			if !quote && (b[i+1] == '#' || b[i+1] == '!') {
				b = append(b[:i], b[i+1:]...)
			} else {
				i++
			}
		case '!', '#':
			if !quote && skip < 0 {
				skip = i
			}
		}
	}
	if quote && report != nil {
		report("Unterminated quote '" + string(b) + "'")
	}
	if skip >= 0 {
		b = b[:skip]
	}
	for len(b) > 0 && isBlank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	if cont {
		b = append(b, '\\')
	}
	return string(b)
}

// isInclude tells whether a line is an include directive.
func isInclude(buf string) bool {
	if !strings.HasPrefix(buf, "include") || len(buf) <= 7 {
		return false
	}
	if isSpace(buf[7]) {
		return true
	}
	return len(buf) > 8 && isSpace(buf[8]) && strings.IndexByte("rmwba", buf[7]) >= 0
}

func (r *Reader) checkInclude(buf string) bool {
	if !isInclude(buf) {
		return false
	}
	var p string
	kind := 0
	if isSpace(buf[7]) {
		p = buf[8:]
	} else {
		p = buf[9:]
		switch buf[7] {
		case 'r':
			kind = includeRead
		case 'a':
			kind = includeRead | includeMatch | includeBrace | includeWildcard
		case 'w':
			kind = includeRead | includeMatch | includeWildcard
		case 'm':
			kind = includeRead | includeMatch
		case 'b':
			kind = includeRead | includeBrace
		}
	}
	p = strings.TrimLeft(p, " \t")
	dir := r.opt.dir()
	if n := len(r.stack); n > 0 {
		dir = filepath.Dir(r.stack[n-1].path)
	}
	if len(r.stack) >= maxIncludeDepth {
		r.abort("include nesting deeper than " + itoa(maxIncludeDepth) + " levels (include loop?) at '" + p + "'")
		return true
	}
	r.openGlob(p, dir, kind, len(r.stack))
	return true
}

// openGlob pushes a glob of configuration files and opens the first.
func (r *Reader) openGlob(pattern, dir string, kind, depth int) bool {
	f := &openFile{pattern: pattern, dir: dir, kind: kind, saveCheck: r.includeCheck, depth: depth}
	r.stack = append(r.stack, f)
	matches, ok := r.glob(pattern, dir, kind)
	if !ok {
		r.stack = r.stack[:len(r.stack)-1]
		return false
	}
	f.matches = matches
	if !r.openNext(f) {
		if len(matches) == 0 {
			r.fileError(includeRead, pattern+" - no matching file")
		}
		r.stack = r.stack[:len(r.stack)-1]
		return false
	}
	return true
}

// glob expands braces and wildcards like glob(3) with GLOB_BRACE and
// GLOB_MARK, and reports missing files as the reference does.
func (r *Reader) glob(pattern, dir string, kind int) ([]string, bool) {
	var out []string
	missing, wild := 0, false
	for _, alt := range expandBraces(pattern) {
		full := alt
		if !filepath.IsAbs(alt) {
			full = filepath.Join(dir, alt)
		}
		if !hasMeta(alt) {
			st, err := os.Lstat(full)
			if err != nil {
				missing++
				continue
			}
			if st.IsDir() || (st.Mode()&os.ModeSymlink != 0 && isDir(full)) {
				alt += "/"
			}
			out = append(out, alt)
			continue
		}
		wild = true
		ms, _ := filepath.Glob(full)
		if len(ms) == 0 && !isDir(metaDir(full)) {
			// glob could not open a directory on the way: the reference
			// counts that as a missing file.
			missing++
			continue
		}
		sort.Strings(ms)
		for _, m := range ms {
			name := m
			if !filepath.IsAbs(alt) {
				if rel, err := filepath.Rel(dir, m); err == nil {
					name = rel
					if strings.HasPrefix(alt, "./") {
						name = "./" + rel
					}
				}
			}
			if isDir(m) {
				name += "/"
			}
			out = append(out, name)
		}
	}
	check := r.includeCheck | kind
	if len(out) == 0 {
		if missing > 0 {
			k := includeMatch
			if strings.Contains(pattern, "{") {
				k = includeBrace
			}
			r.fileError(k, "Config files missing '"+pattern+"'.")
		} else if wild && check&includeWildcard != 0 {
			r.fileError(includeWildcard, "No config files matched '"+pattern+"'.")
		}
		return nil, false
	}
	if missing > 0 {
		r.fileError(includeBrace, "Some config files missing: \""+pattern+"\".")
		if check&includeBrace != 0 {
			return nil, false
		}
	}
	return out, true
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// metaDir is the directory holding the first path element with a
// wildcard.
func metaDir(p string) string {
	i := strings.IndexAny(p, "*?[")
	if i < 0 {
		return filepath.Dir(p)
	}
	return filepath.Dir(p[:i] + "x")
}

// expandBraces expands {a,b} alternatives left to right, as GLOB_BRACE.
func expandBraces(p string) []string {
	depth, open := 0, -1
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			if depth == 0 {
				open = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 {
				var parts []string
				start, d := open+1, 0
				for j := open + 1; j < i; j++ {
					switch p[j] {
					case '{':
						d++
					case '}':
						d--
					case ',':
						if d == 0 {
							parts = append(parts, p[start:j])
							start = j + 1
						}
					}
				}
				parts = append(parts, p[start:i])
				var out []string
				for _, part := range parts {
					out = append(out, expandBraces(p[:open]+part+p[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{p}
}

// openNext opens the next usable match of f.
func (r *Reader) openNext(f *openFile) bool {
	for f.next < len(f.matches) {
		name := f.matches[f.next]
		f.next++
		if strings.HasSuffix(name, "/") {
			r.fileError(includeRead, "Configuration file '"+name+"' is a directory - skipping")
			continue
		}
		full := name
		if !filepath.IsAbs(name) {
			full = filepath.Join(f.dir, name)
		}
		st, err := os.Stat(full)
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 != 0 {
			r.fileError(includeRead, "Configuration file '"+name+"' is not a regular non-executable file - skipping")
			continue
		}
		data, err := os.ReadFile(full)
		if err != nil {
			r.fileError(includeRead, "Configuration file '"+name+"' open problem ("+errText(err)+") - skipping")
			continue
		}
		f.name, f.path = name, full
		f.lines = splitFgets(data)
		f.lineIdx, f.lineNo = 0, 0
		f.nMatched++
		f.showNm = len(r.stack) > 1 || len(f.matches) > 1
		return true
	}
	return false
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// splitFgets splits data the way repeated fgets(buf, 1024) calls see it.
func splitFgets(data []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := sc.ReadBytes('\n')
		for len(line) > maxLine-1 {
			out = append(out, line[:maxLine-1])
			line = line[maxLine-1:]
		}
		if len(line) > 0 {
			out = append(out, line)
		}
		if err != nil {
			return out
		}
	}
}

// nextFile closes the current file and opens the next match, popping
// finished globs.
func (r *Reader) nextFile() bool {
	for len(r.stack) > 0 {
		f := r.stack[len(r.stack)-1]
		r.includeCheck = f.saveCheck
		if r.openNext(f) {
			return true
		}
		r.stack = r.stack[:len(r.stack)-1]
		if len(r.stack) > 0 {
			return true
		}
	}
	return false
}
