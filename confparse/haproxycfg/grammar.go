package haproxycfg

import (
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"fulcrum/confparse"
)

// Token types the reader hands to the grammar: one token per active line,
// typed Header when its first word opens a section, Line otherwise. The
// token's value is the line's index in File.Lines; the words stay in the
// reader's Line (a token per word made the grammar several times slower
// on large files for no gain: the structure is per line).
const (
	tokHeader lexer.TokenType = iota + 1
	tokLine
)

// Config is the syntax tree of one file: keyword lines found before any
// section (the reference rejects them) and the sections in order.
type Config struct {
	Orphans  []*Stmt    `parser:"@@*"`
	Sections []*Section `parser:"@@*"`
}

// Section is a header line ("backend app") and the keyword lines under it.
type Section struct {
	Header lineRef `parser:"@Header"`
	Body   []*Stmt `parser:"@@*"`
}

// Stmt is one keyword line.
type Stmt struct {
	Line lineRef `parser:"@Line"`
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
	return map[string]lexer.TokenType{"EOF": lexer.EOF, "Header": tokHeader, "Line": tokLine}
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
	toks := make([]lexer.Token, 0, len(f.Lines))
	var headers []int
	for i, l := range f.Lines {
		typ := tokLine
		if IsSection(l.Words[0].Text) {
			typ = tokHeader
			headers = append(headers, i)
		}
		toks = append(toks, lexer.Token{Type: typ, Value: strconv.Itoa(i),
			Pos: lexer.Position{Filename: l.Pos.File, Line: l.Pos.Line, Column: l.Pos.Col}})
	}
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
		cfg.Orphans = append(cfg.Orphans, p.Orphans...)
		cfg.Sections = append(cfg.Sections, p.Sections...)
	}
	resolve := func(r *lineRef) { r.line = &f.Lines[r.index] }
	for _, st := range cfg.Orphans {
		resolve(&st.Line)
	}
	for _, s := range cfg.Sections {
		resolve(&s.Header)
		for _, st := range s.Body {
			resolve(&st.Line)
		}
	}
	return cfg, nil
}

// minChunk is the fewest lines worth a goroutine of their own.
const minChunk = 2000

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
