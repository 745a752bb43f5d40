package keepalivedconf

import (
	"strings"

	"fulcrum/confparse"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// wordLexer splits one logical line into the reference's words: a double
// quoted string is one word without its quotes, anything else runs to the
// next blank or quote. A quote that never closes is its own token so the
// grammar can report it the way the reference does.
var wordLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Quoted", Pattern: `"[^"]*"`},
	{Name: "Unclosed", Pattern: `"[^"]*$`},
	{Name: "Bare", Pattern: `[^ \t\f\n\r\v"]+`},
	{Name: "Blank", Pattern: `[ \t\f\n\r\v]+`},
})

// wordLine is the grammar of one line: a sequence of words.
type wordLine struct {
	Words []*word `parser:"@@*"`
}

type word struct {
	Pos      lexer.Position
	Quoted   *string `parser:"  @Quoted"`
	Bare     *string `parser:"| @Bare"`
	Unclosed *string `parser:"| @Unclosed"`
}

var wordParser = participle.MustBuild[wordLine](
	participle.Lexer(wordLexer),
	participle.Elide("Blank"),
)

// Word is one word of a line with its byte column (from 1).
type Word struct {
	Text   string
	Col    int
	Quoted bool
}

// Words cuts the line into words, each with its file (the path it was
// read from), line and column.
// Columns count in the logical line (after comments and leading blanks
// are removed and definitions expanded), which is what the reference
// parses.
func (l Line) Words() (words []PosWord, unclosed bool) {
	ws, unclosed := Split(l.Text)
	for _, w := range ws {
		file := l.Where.File
		if l.Path != "" {
			file = l.Path
		}
		words = append(words, PosWord{Word: w, Pos: confparse.Pos{File: file, Line: l.Where.Line, Col: w.Col}})
	}
	return words, unclosed
}

// PosWord is a word with its full position.
type PosWord struct {
	Word
	Pos confparse.Pos
}

// Split cuts a logical line into words. unclosed is true when a double
// quote is never closed; the words before it are returned, as the
// reference keeps them ("Unmatched quote").
func Split(line string) (words []Word, unclosed bool) {
	tree, err := wordParser.ParseString("", line)
	if err != nil || tree == nil {
		// The lexer accepts every byte sequence; this cannot happen, but
		// never lose a line: fall back to blank-separated fields.
		for _, f := range strings.Fields(line) {
			words = append(words, Word{Text: f})
		}
		return words, false
	}
	for _, w := range tree.Words {
		switch {
		case w.Quoted != nil:
			q := *w.Quoted
			words = append(words, Word{Text: q[1 : len(q)-1], Col: w.Pos.Column, Quoted: true})
		case w.Bare != nil:
			words = append(words, Word{Text: *w.Bare, Col: w.Pos.Column})
		default:
			return words, true
		}
	}
	return words, false
}

// Texts returns the text of each word.
func Texts(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	return out
}
