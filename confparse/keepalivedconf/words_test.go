package keepalivedconf

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		desc     string
		in       string
		want     []string
		unclosed bool
	}{
		{"plain words", "a b\tc", []string{"a", "b", "c"}, false},
		{"quoted keeps blanks", `script "/bin/x y" z`, []string{"script", "/bin/x y", "z"}, false},
		{"quote splits a word", `ab"c d"e`, []string{"ab", "c d", "e"}, false},
		{"empty quoted word", `a ""`, []string{"a", ""}, false},
		{"unclosed quote drops the rest", `a "b c`, []string{"a"}, true},
		{"braces are ordinary here", `x{`, []string{"x{"}, false},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			ws, unclosed := Split(c.in)
			if got := Texts(ws); !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("Split(%q) = %q, want %q", c.in, got, c.want)
			}
			if unclosed != c.unclosed {
				t.Errorf("unclosed = %v, want %v", unclosed, c.unclosed)
			}
		})
	}
}

func TestLineWordsCarryPositions(t *testing.T) {
	l := Line{Text: `a "b c" d`, Where: Where{File: "k.conf", Line: 7}}
	ws, _ := l.Words()
	if len(ws) != 3 || ws[1].Text != "b c" || ws[1].Pos.Line != 7 || ws[1].Pos.File != "k.conf" || ws[1].Pos.Col != 3 || ws[2].Pos.Col != 9 {
		t.Errorf("words = %+v", ws)
	}
}
