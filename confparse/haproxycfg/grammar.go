package haproxycfg

import (
	"errors"
	"io"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"fulcrum/confparse"
)

// Token types the reader hands to the grammar: one token per word, the
// first word of a section header typed Section, and an EOL per line.
const (
	tokEOF     lexer.TokenType = lexer.EOF
	tokSection lexer.TokenType = iota + 1
	tokWord
	tokEOL
)

// Config is the syntax tree of one file: keyword lines found before any
// section (the reference rejects them) and the sections in order.
type Config struct {
	Orphans  []*Stmt    `parser:"@@*"`
	Sections []*Section `parser:"@@*"`
}

// Section is a header line ("backend app") and the keyword lines under it.
type Section struct {
	Kind *Header `parser:"@@"`
	Args []*Arg  `parser:"@@* EOL"`
	Body []*Stmt `parser:"@@*"`
}

// Stmt is one keyword line.
type Stmt struct {
	Keyword *Keyword `parser:"@@"`
	Args    []*Arg   `parser:"@@* EOL"`
}

// Header is the word that opens a section.
type Header struct {
	Pos  lexer.Position
	Text string `parser:"@Section"`
}

// Keyword is the first word of a keyword line.
type Keyword struct {
	Pos  lexer.Position
	Text string `parser:"@Word"`
}

// Arg is one argument word with its position.
type Arg struct {
	Pos  lexer.Position
	Text string `parser:"@(Word | Section)"`
}

func toPos(p lexer.Position) confparse.Pos {
	return confparse.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
}

// Position is where the argument starts.
func (a *Arg) Position() confparse.Pos { return toPos(a.Pos) }

// Position is where the keyword line starts.
func (s *Stmt) Position() confparse.Pos { return toPos(s.Keyword.Pos) }

// Position is where the section header starts.
func (s *Section) Position() confparse.Pos { return toPos(s.Kind.Pos) }

// Words gives the texts of a keyword line, keyword first.
func (s *Stmt) Words() []string {
	out := []string{s.Keyword.Text}
	for _, a := range s.Args {
		out = append(out, a.Text)
	}
	return out
}

// Words gives the texts of a section header line, section kind first.
func (s *Section) Words() []string {
	out := []string{s.Kind.Text}
	for _, a := range s.Args {
		out = append(out, a.Text)
	}
	return out
}

// tokens is the lexer.Definition participle needs; the words come from
// the reader, not from a byte stream, so Lex is never used.
type tokens struct{}

func (tokens) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{"EOF": tokEOF, "Section": tokSection, "Word": tokWord, "EOL": tokEOL}
}

func (tokens) Lex(string, io.Reader) (lexer.Lexer, error) {
	return nil, errors.New("haproxycfg: the grammar reads words from the reader, not bytes")
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

var grammar = participle.MustBuild[Config](participle.Lexer(tokens{}), participle.UseLookahead(2))

// Parse structures a file's active lines into sections.
func Parse(f *File) (*Config, error) {
	var toks []lexer.Token
	for _, l := range f.Lines {
		for i, w := range l.Words {
			typ := tokWord
			if i == 0 && IsSection(w.Text) {
				typ = tokSection
			}
			toks = append(toks, lexer.Token{Type: typ, Value: w.Text, Pos: lexer.Position{Filename: w.Pos.File, Line: w.Pos.Line, Column: w.Pos.Col}})
		}
		end := l.Words[len(l.Words)-1].Pos
		toks = append(toks, lexer.Token{Type: tokEOL, Value: "\n", Pos: lexer.Position{Filename: end.File, Line: end.Line, Column: end.Col}})
	}
	peek, err := lexer.Upgrade(&sliceLexer{toks: toks})
	if err != nil {
		return nil, err
	}
	return grammar.ParseFromLexer(peek)
}
