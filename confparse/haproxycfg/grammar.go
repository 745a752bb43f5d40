package haproxycfg

import (
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"fulcrum/confparse"
)

// Token types the reader hands to the grammar: a section header line is
// a Header token (its value is the line's index in File.Lines), and each
// run of keyword lines between headers is one Lines token (value
// "first-last"). The words stay in the reader's Line. Tokens per word, or
// even per line, made the grammar the slowest part of `haproxy -c` on
// large files for no gain in structure.
const (
	tokHeader lexer.TokenType = iota + 1
	tokLines
)

// Config is the syntax tree of one file: keyword lines found before any
// section (the reference rejects them) and the sections in order.
type Config struct {
	Lead     *lineRun   `parser:"@Lines?"`
	Sections []*Section `parser:"@@*"`
	Orphans  []*Stmt    // the Lead lines, filled after parsing
}

// Section is a header line ("backend app") and the keyword lines under it.
type Section struct {
	Header lineRef  `parser:"@Header"`
	Run    *lineRun `parser:"@Lines?"`
	Body   []*Stmt  // the Run lines, filled after parsing
}

// Stmt is one keyword line.
type Stmt struct {
	Line lineRef
}

// lineRef is a captured line index, resolved to the line after parsing.
type lineRef struct {
	index int
	line  *Line
}

// Capture implements participle.Capture.
func (r *lineRef) Capture(values []string) error {
	n, err := strconv.Atoi(values[0])
	r.index = n
	return err
}

// lineRun is a captured range of line indexes.
type lineRun struct{ first, last int }

// Capture implements participle.Capture.
func (r *lineRun) Capture(values []string) error {
	a, b, ok := strings.Cut(values[0], "-")
	if !ok {
		return errors.New("haproxycfg: malformed line run " + values[0])
	}
	var err1, err2 error
	r.first, err1 = strconv.Atoi(a)
	r.last, err2 = strconv.Atoi(b)
	return errors.Join(err1, err2)
}

// stmts turns a run into keyword lines.
func (r *lineRun) stmts(f *File) []*Stmt {
	if r == nil {
		return nil
	}
	out := make([]*Stmt, 0, r.last-r.first+1)
	for i := r.first; i <= r.last; i++ {
		out = append(out, &Stmt{Line: lineRef{index: i, line: &f.Lines[i]}})
	}
	return out
}

// Words gives the texts of a keyword line, keyword first.
func (s *Stmt) Words() []string { return texts(s.Line.line.Words) }

// Keyword is the line's first word.
func (s *Stmt) Keyword() string { return s.Line.line.Words[0].Text }

// Position is where the keyword line starts.
func (s *Stmt) Position() confparse.Pos { return s.Line.line.Pos }

// Words gives the texts of a section header line, section kind first.
func (s *Section) Words() []string { return texts(s.Header.line.Words) }

// Position is where the section header starts.
func (s *Section) Position() confparse.Pos { return s.Header.line.Pos }

// tokens is the lexer.Definition participle needs; the lines come from
// the reader, not from a byte stream, so Lex is never used.
type tokens struct{}

func (tokens) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{"EOF": lexer.EOF, "Header": tokHeader, "Lines": tokLines}
}

func (tokens) Lex(string, io.Reader) (lexer.Lexer, error) {
	return nil, errors.New("haproxycfg: the grammar reads lines from the reader, not bytes")
}

// sliceLexer replays prepared tokens.
type sliceLexer struct {
	toks []lexer.Token
	i    int
}

func (s *sliceLexer) Next() (lexer.Token, error) {
	if s.i >= len(s.toks) {
		return lexer.Token{Type: lexer.EOF}, nil
	}
	t := s.toks[s.i]
	s.i++
	return t, nil
}

var grammar = participle.MustBuild[Config](participle.Lexer(tokens{}))

// Parse structures a file's active lines into sections. Sections are
// independent, so a large file is cut at section headers into one chunk
// per CPU and the chunks are parsed at the same time.
func Parse(f *File) (*Config, error) {
	var toks []lexer.Token
	var headers []int // token indexes of headers
	runStart := -1
	flush := func(end int) {
		if runStart >= 0 {
			l := f.Lines[runStart]
			toks = append(toks, lexer.Token{Type: tokLines, Value: strconv.Itoa(runStart) + "-" + strconv.Itoa(end),
				Pos: lexer.Position{Filename: l.Pos.File, Line: l.Pos.Line, Column: l.Pos.Col}})
			runStart = -1
		}
	}
	for i, l := range f.Lines {
		if !IsSection(l.Words[0].Text) {
			if runStart < 0 {
				runStart = i
			}
			continue
		}
		flush(i - 1)
		headers = append(headers, len(toks))
		toks = append(toks, lexer.Token{Type: tokHeader, Value: strconv.Itoa(i),
			Pos: lexer.Position{Filename: l.Pos.File, Line: l.Pos.Line, Column: l.Pos.Col}})
	}
	flush(len(f.Lines) - 1)
	bounds := chunkBounds(len(toks), headers, runtime.NumCPU())
	parts := make([]*Config, len(bounds)-1)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for c := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			peek, err := lexer.Upgrade(&sliceLexer{toks: toks[bounds[c]:bounds[c+1]]})
			if err == nil {
				parts[c], err = grammar.ParseFromLexer(peek)
			}
			errs[c] = err
		}()
	}
	wg.Wait()
	cfg := &Config{}
	for c, p := range parts {
		if errs[c] != nil {
			return nil, errs[c]
		}
		if p.Lead != nil {
			cfg.Lead = p.Lead
		}
		cfg.Sections = append(cfg.Sections, p.Sections...)
	}
	cfg.Orphans = cfg.Lead.stmts(f)
	for _, s := range cfg.Sections {
		s.Header.line = &f.Lines[s.Header.index]
		s.Body = s.Run.stmts(f)
	}
	return cfg, nil
}

// minChunk is the fewest tokens worth a goroutine of their own.
const minChunk = 500

// chunkBounds cuts [0,n) into at most parts ranges that each start at a
// section header (except the first), of roughly equal size.
func chunkBounds(n int, headers []int, parts int) []int {
	bounds := []int{0}
	if parts > 1 && n >= 2*minChunk {
		step := n / parts
		h := 0
		for k := 1; k < parts; k++ {
			for h < len(headers) && headers[h] < k*step {
				h++
			}
			if h < len(headers) && headers[h] > bounds[len(bounds)-1] {
				bounds = append(bounds, headers[h])
			}
		}
	}
	return append(bounds, n)
}
