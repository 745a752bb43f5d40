package keepalivedconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type report struct {
	where Where
	class Class
	msg   string
}

// readAll writes files into a temporary directory and reads main.conf.
func readAll(t testing.TB, files map[string]string, opt Options) ([]string, []report, *Reader) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opt.Dir = dir
	var reps []report
	r := NewReader("main.conf", opt, func(w Where, c Class, m string) { reps = append(reps, report{w, c, m}) })
	var lines []string
	for {
		l, ok := r.Next()
		if !ok {
			break
		}
		lines = append(lines, l.Text)
	}
	return lines, reps, r
}

func TestReaderLines(t *testing.T) {
	cases := []struct {
		desc  string
		files map[string]string
		id    string
		want  []string
	}{
		{"comments and blanks", map[string]string{"main.conf": "# c\n! c\n\n  a 1 # x\nb ! y\n"}, "", []string{"a 1", "b"}},
		{"escaped comment characters", map[string]string{"main.conf": `a x\#y\!z` + "\n"}, "", []string{"a x#y!z"}},
		{"comment character inside quotes", map[string]string{"main.conf": `a "x # y"` + "\n"}, "", []string{`a "x # y"`}},
		{"braces split", map[string]string{"main.conf": "a { b 1 } \n"}, "", []string{"a", "{", "b 1", "}"}},
		{"brace in quotes kept", map[string]string{"main.conf": `a "{x}"` + "\n"}, "", []string{`a "{x}"`}},
		{"config id match", map[string]string{"main.conf": "@n1 a\n@n2 b\n@^n1 c\n@^n2 d\n"}, "n1", []string{"a", "d"}},
		{"definition", map[string]string{"main.conf": "$X=eth0\ninterface $X\n"}, "", []string{"interface eth0"}},
		{"definition needs delimiter", map[string]string{"main.conf": "$N=5\na 10.0.0.$N/32\nb 10.0.0.${N}/32\n"}, "", []string{"a 10.0.0.$N/32", "b 10.0.0.5/32"}},
		{"undefined stays", map[string]string{"main.conf": "a $NOPE\n"}, "", []string{"a $NOPE"}},
		{"definition in definition", map[string]string{"main.conf": "$A=x\n$B=${A}y\nk $B\n"}, "", []string{"k xy"}},
		{"multi-line definition", map[string]string{"main.conf": "$M=a 1 \\\n b 2\n$M\n"}, "", []string{"a 1", "b 2"}},
		{"builtin hash, a comment unless quoted", map[string]string{"main.conf": "a ${_HASH}\nb \"${_HASH}\"\n"}, "", []string{"a", `b "#"`}},
		{"seq", map[string]string{"main.conf": "~SEQ(i,1,3) v $i\n"}, "", []string{"v 1", "v 2", "v 3"}},
		{"seq step down", map[string]string{"main.conf": "~SEQ(i,5,-2,1) v $i\n"}, "", []string{"v 5", "v 3", "v 1"}},
		{"seqx", map[string]string{"main.conf": "~SEQx(i,9,11) v $i\n"}, "", []string{"v 9", "v a", "v b"}},
		{"lst", map[string]string{"main.conf": "~LST(i,a,b) v $i\n"}, "", []string{"v a", "v b"}},
		{"lst pairs", map[string]string{"main.conf": "~LST({x,y},{1,2},{3,4}) v $x $y\n"}, "", []string{"v 1 2", "v 3 4"}},
		{"include relative to the including file", map[string]string{
			"main.conf": "include sub/a.conf\nz\n", "sub/a.conf": "include b.conf\na\n", "sub/b.conf": "b\n"}, "", []string{"b", "a", "z"}},
		{"include glob sorted", map[string]string{
			"main.conf": "include d/*.conf\n", "d/2.conf": "two\n", "d/1.conf": "one\n"}, "", []string{"one", "two"}},
		{"include braces", map[string]string{
			"main.conf": "include {x,y}.conf\n", "x.conf": "x\n", "y.conf": "y\n"}, "", []string{"x", "y"}},
		{"crlf", map[string]string{"main.conf": "a 1\r\nb 2\r\n"}, "", []string{"a 1", "b 2"}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			got, reps, _ := readAll(t, c.files, Options{ConfigID: c.id})
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("lines = %q, want %q (reports %v)", got, c.want, reps)
			}
		})
	}
}

func TestReaderReports(t *testing.T) {
	cases := []struct {
		desc  string
		files map[string]string
		want  string // substring of the first report
		class Class
		line  int
	}{
		{"extra close brace", map[string]string{"main.conf": "a\n}\n"}, "Extra '}' found", ClassUnexpectedEOB, 2},
		{"unterminated quote", map[string]string{"main.conf": "a\n  b \"c\n"}, `Unterminated quote 'b "c'`, ClassGeneral, 2},
		{"invalid seq", map[string]string{"main.conf": "~SEQ(i,1,-1,5) x\n"}, "Invalid ~SEQ values", ClassGeneral, 1},
		{"plain include of a missing file only warns", map[string]string{"main.conf": "include nope.conf\n"}, "Config files missing 'nope.conf'.", ClassOK, 1},
		{"strict include of a missing file", map[string]string{"main.conf": "includem nope.conf\n"}, "Config files missing 'nope.conf'.", ClassFileNotFound, 1},
		{"include loop is bounded", map[string]string{"main.conf": "include main.conf\n"}, "include nesting deeper than 32 levels", ClassFatal, 1},
		{"huge seq is bounded", map[string]string{"main.conf": "~SEQ(i,1,1000000000) x\n"}, "~SEQ range of more than", ClassFatal, 1},
		{"self-referencing definition is bounded", map[string]string{"main.conf": "$A=$A\nx $A\n"}, "definition expansion does not end", ClassFatal, 2},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, reps, _ := readAll(t, c.files, Options{})
			if len(reps) == 0 {
				t.Fatalf("no report, want %q", c.want)
			}
			r := reps[0]
			if !strings.Contains(r.msg, c.want) || r.class != c.class || r.where.Line != c.line {
				t.Errorf("first report = %+v, want %q class %d line %d", r, c.want, c.class, c.line)
			}
		})
	}
}

func TestReaderPositions(t *testing.T) {
	files := map[string]string{"main.conf": "a\ninclude inc.conf\nb\n", "inc.conf": "\n\nc\n"}
	dir := t.TempDir()
	for n, s := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644)
	}
	r := NewReader("main.conf", Options{Dir: dir}, nil)
	var got []string
	for {
		l, ok := r.Next()
		if !ok {
			break
		}
		got = append(got, l.Where.Prefix()+l.Text)
	}
	want := []string{"(Line 1) a", "(inc.conf: Line 3) c", "(Line 3) b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("positions = %q, want %q", got, want)
	}
	// A child pass always names the file.
	r = NewReader("main.conf", Options{Dir: dir, Child: true}, nil)
	l, _ := r.Next()
	if l.Where.Prefix() != "(main.conf: Line 1) " {
		t.Errorf("child prefix = %q", l.Where.Prefix())
	}
}

// FuzzReader feeds arbitrary text (with includes of itself, definitions
// and sequences) to the line reader and the word grammar: no panic, no
// hang.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"global_defs {\n router_id x\n}\n",
		"include main.conf\n",
		"$A=1 \\\n 2\n$A\n~SEQ(i,1,3) x $i\n",
		"~LST({a,b},{1,2}) $a $b\n@x y\n@^x z\n",
		"a \"b { c\n}}}{{{\n",
		"~SEQ(i,1,99999999999999999999) x\n$A=${A}${A}\n$A\n",
		strings.Repeat("{", 500),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.conf"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		r := NewReader("main.conf", Options{Dir: dir, ConfigID: "x", MaxLines: 2000}, func(Where, Class, string) {})
		for n := 0; ; n++ {
			l, ok := r.Next()
			if !ok {
				break
			}
			if n > 2010 {
				t.Fatal("reader does not stop")
			}
			Split(l.Text)
		}
	})
}

// FuzzSplit checks the participle word grammar never fails or panics.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"a b c", `a "b c" d`, `"unclosed`, "\t\v\f", `a"b"c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, _ := Split(s)
		for _, w := range ws {
			if !w.Quoted && strings.ContainsAny(w.Text, " \t\"") {
				t.Fatalf("bare word %q holds a blank or quote", w.Text)
			}
		}
	})
}
