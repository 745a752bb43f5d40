package haproxycfg

import (
	"reflect"
	"strings"
	"testing"

	"fulcrum/confparse"
)

func env(m map[string]string) Env {
	return func(n string) (string, bool) { v, ok := m[n]; return v, ok }
}

func TestSplitLine(t *testing.T) {
	e := env(map[string]string{"A": "x y", "E": "", "P": "8080"})
	for _, tc := range []struct {
		desc string
		in   string
		want []string
		err  string
	}{
		{"spaces separate", "  bind   :80\tname x", []string{"bind", ":80", "name", "x"}, ""},
		{"comment mid word", "abc#def ghi", []string{"abc"}, ""},
		{"quotes join", `a"b c"'d e'f`, []string{"ab cd ef"}, ""},
		{"double quote keeps hash and squote", `"a # ' b"`, []string{"a # ' b"}, ""},
		{"single quote literal", `'a\t$A "'`, []string{`a\t$A "`}, ""},
		{"escapes", `\ \\\#\'\"`, []string{` \#'"`}, ""},
		{"tab newline cr", `a\tb\nc\rd`, []string{"a\tb\nc\rd"}, ""},
		{"hex", `\x41\x62`, []string{"Ab"}, ""},
		{"bad hex", `x \xZ1`, nil, "truncated or invalid hexadecimal sequence"},
		{"dollar escape only in dquote", `\$A "\$A"`, []string{`\$A`, `$A`}, ""},
		{"other escape kept", `\a\z`, []string{`\a\z`}, ""},
		{"trailing backslash", `a\`, []string{`a\`}, ""},
		{"env unquoted literal", `$P ${P}`, []string{"$P", "${P}"}, ""},
		{"env in dquote", `"$P" ":${P}"`, []string{"8080", ":8080"}, ""},
		{"env unset empty", `"x$NOPE"`, []string{"x"}, ""},
		{"env default when unset", `"${NOPE-dflt}" "${E-dflt}"`, []string{"dflt", ""}, ""},
		{"env word expansion", `a "${A[*]}" b`, []string{"a", "x", "y", "b"}, ""},
		{"pseudo vars", `"${.FILE}:${.LINE}"`, []string{"f.cfg:7"}, ""},
		{"unmatched dquote", `bind "abc`, nil, "unmatched quote"},
		{"unmatched squote", `bind 'abc`, nil, "unmatched quote"},
		{"unmatched brace", `"${abc"`, nil, "unmatched brace in environment variable name"},
		{"forbidden first char", `"$1a"`, nil, "forbidden first char in environment variable name"},
		{"bad word expansion", `"${A[x]}"`, nil, "truncated or invalid word expansion sequence"},
		{"crlf", "a b\r", []string{"a", "b"}, ""},
		{"empty word kept", `a "" b`, []string{"a", "", "b"}, ""},
	} {
		got, err := splitLine(tc.in, e, lineContext{file: "f.cfg", line: 7})
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Kind, tc.err) {
				t.Errorf("%s: got err %+v, want %q", tc.desc, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %+v", tc.desc, err)
			continue
		}
		if txt := texts(got); !reflect.DeepEqual(txt, tc.want) && !(len(txt) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: got %q, want %q", tc.desc, txt, tc.want)
		}
	}
}

func TestDefaultOnReparsedLine(t *testing.T) {
	// The reference fails a ${NAME-default} on the first line of a file.
	f := Read("t.cfg", []byte(".notice \"${NOPE-d}\"\n.notice \"${NOPE-d}\"\n"), nil)
	if len(f.Diags) != 2 || !strings.Contains(f.Diags[0].Message, "unmatched brace") || f.Diags[1].Message != "parsing [t.cfg:2]: 'd'." {
		t.Errorf("diags %q", f.Diags)
	}
}

func TestSplitLineColumns(t *testing.T) {
	ws, err := splitLine(`  bind "a b" c`, nil, lineContext{file: "f", line: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []confparse.Pos{{File: "f", Line: 3, Col: 3}, {File: "f", Line: 3, Col: 8}, {File: "f", Line: 3, Col: 14}}
	for i, w := range ws {
		if w.Pos != want[i] {
			t.Errorf("word %d at %v, want %v", i, w.Pos, want[i])
		}
	}
}

func TestTooManyWords(t *testing.T) {
	var b strings.Builder
	b.WriteString("log")
	for i := 1; i <= 66; i++ {
		b.WriteString(" " + strings.Repeat("w", i%3+1))
	}
	_, err := splitLine(b.String(), nil, lineContext{})
	if err == nil || !strings.HasPrefix(err.Kind, "too many words, truncating after word 64, position ") {
		t.Fatalf("got %+v", err)
	}
}

func TestReadDirectives(t *testing.T) {
	b := &Build{Version: "2.6.12", Features: []string{"+LUA", "-QUIC"}, OpenSSLVersion: "3.0.19", SSLLibName: "OpenSSL",
		Env: env(map[string]string{"SET": "1"})}
	for _, tc := range []struct {
		desc    string
		in      string
		lines   []int // line numbers of active lines
		diag    string
		aborted bool
	}{
		{"if true", ".if 1\na\n.endif\n", []int{2}, "", false},
		{"if false else", ".if 0\na\n.else\nb\n.endif\n", []int{4}, "", false},
		{"elif", ".if 0\na\n.elif 1\nb\n.elif 1\nc\n.else\nd\n.endif\n", []int{4}, "", false},
		{"precedence", ".if 1 || 0 && 0\na\n.endif\n", []int{2}, "", false},
		{"not parens", ".if !(1 && 0)\na\n.endif\n", []int{2}, "", false},
		{"nested inactive", ".if 0\n.if 1\na\n.endif\n.endif\nb\n", []int{6}, "", false},
		{"defined", ".if defined(SET) && !defined(UNSET)\na\n.endif\n", []int{2}, "", false},
		{"feature", ".if feature(LUA) && !feature(QUIC)\na\n.endif\n", []int{2}, "", false},
		{"streq", ".if streq(a,a) && strneq(a,b)\na\n.endif\n", []int{2}, "", false},
		{"versions", ".if version_atleast(2.6) && version_before(2.7) && openssl_version_atleast(3.0.0) && !openssl_version_before(1.1)\na\n.endif\n", []int{2}, "", false},
		{"ssllib", ".if ssllib_name_startswith(Open)\na\n.endif\n", []int{2}, "", false},
		{"empty if false", ".if\na\n.endif\n", nil, "", false},
		{"lone endif", ".endif\n", nil, "lone '.endif' with no matching '.if'.", true},
		{"unterminated", ".if 1\n", nil, "non-terminated '.if' block.", true},
		{"elif after else", ".if 0\n.else\n.elif 1\n.endif\n", nil, "'.elif' after '.else' is not permitted.", true},
		{"else arg", ".if 0\n.else foo\n.endif\n", nil, "Unexpected argument 'foo' for '.else'.", true},
		{"unparsable", ".if 1 ||\n.endif\n", nil, "unparsable conditional expression '1 ||' in '.if' at position 3:", true},
		{"unknown predicate", ".if enabled(X)\n.endif\n", nil, "unparsable conditional expression 'enabled(X)' in '.if' at position 1:", true},
		{"trailing garbage", ".if 1 x\n.endif\n", nil, "unexpected character 'x' at the end of conditional expression '1 x'", true},
		{"lex error in false branch", ".if 0\na \"b\n.endif\n", nil, "unmatched quote", false},
		{"notice", ".notice \"hi\"\n", nil, "'hi'.", false},
		{"notice two args", ".notice a b\n", nil, "Unexpected argument 'b' for '.notice'. Use quotes if the message should contain spaces.", false},
		{"alert aborts", ".alert boom\na\n", nil, "'boom'.", true},
		{"unknown directive", ".foo\n", nil, "unknown directive '.foo'.", false},
		{"NUL", "a\x00b\nc\n", []int{2}, "Stray NUL character at position 2.", false},
		{"scope line", "[spoe]\na\n", []int{2}, "", false},
	} {
		f := Read("t.cfg", []byte(tc.in), b)
		var got []int
		for _, l := range f.Lines {
			got = append(got, l.Pos.Line)
		}
		if !reflect.DeepEqual(got, tc.lines) {
			t.Errorf("%s: active lines %v, want %v", tc.desc, got, tc.lines)
		}
		if f.Aborted != tc.aborted {
			t.Errorf("%s: aborted %v, want %v", tc.desc, f.Aborted, tc.aborted)
		}
		if tc.diag == "" {
			if len(f.Diags) > 0 {
				t.Errorf("%s: unexpected %v", tc.desc, f.Diags)
			}
			continue
		}
		if len(f.Diags) == 0 || !strings.Contains(f.Diags[0].Message, tc.diag) {
			t.Errorf("%s: diags %q, want %q", tc.desc, f.Diags, tc.diag)
		}
	}
}

func TestMissingLF(t *testing.T) {
	f := Read("t.cfg", []byte("global\n  daemon"), nil)
	if len(f.Lines) != 2 || f.MissingLF == nil || !f.Fatal {
		t.Fatalf("lines %d, missingLF %v", len(f.Lines), f.MissingLF)
	}
	if want := "parsing [t.cfg:2]: Missing LF on last line, file might have been truncated at position 9."; f.MissingLF.Message != want {
		t.Errorf("got %q", f.MissingLF.Message)
	}
}

func TestParseSections(t *testing.T) {
	f := Read("t.cfg", []byte("maxconn 1\nglobal\n  daemon\nfrontend fe\n  bind :80\n  default_backend be\nbackend be\n"), nil)
	cfg, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Orphans) != 1 || cfg.Orphans[0].Keyword() != "maxconn" {
		t.Errorf("orphans %+v", cfg.Orphans)
	}
	var kinds []string
	for _, s := range cfg.Sections {
		kinds = append(kinds, strings.Join(s.Words(), " "))
	}
	if want := []string{"global", "frontend fe", "backend be"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("sections %q, want %q", kinds, want)
	}
	if got := cfg.Sections[1].Body[0].Words(); !reflect.DeepEqual(got, []string{"bind", ":80"}) {
		t.Errorf("body %q", got)
	}
	if p := cfg.Sections[1].Body[0].Position(); p.Line != 5 || p.Col != 3 {
		t.Errorf("pos %v", p)
	}
}

func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{`a"b c"'d e'f`, `"${A[*]}"`, `\x4`, `"${X-y}"`, "a#b", `"$"`, `"${"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := splitLine(s, env(map[string]string{"A": "1 2"}), lineContext{})
		if err == nil && len(ws) > MaxWords {
			t.Fatalf("%d words", len(ws))
		}
	})
}

func FuzzReadParse(f *testing.F) {
	for _, s := range []string{"global\n daemon\n", ".if 1\nfrontend f\n.endif\n", ".if (1 && !0) || defined(X)\n.else\n.endif\n", "x", "backend b\n server s a:1\n", ".if streq(a,\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Read("f.cfg", data, &Build{Version: "2.6.12"})
		if _, err := Parse(file); err != nil {
			t.Fatalf("grammar rejected reader output: %v", err)
		}
	})
}

func TestParseInChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("maxconn 1\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("backend b\n  balance roundrobin\n  server s 127.0.0.1:1\n")
	}
	f := Read("t.cfg", []byte(b.String()), nil)
	cfg, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Orphans) != 1 || len(cfg.Sections) != 3000 {
		t.Fatalf("%d orphans, %d sections", len(cfg.Orphans), len(cfg.Sections))
	}
	for i, s := range cfg.Sections {
		if s.Position().Line != 2+3*i || len(s.Body) != 2 || s.Body[1].Keyword() != "server" {
			t.Fatalf("section %d at line %d with %d lines", i, s.Position().Line, len(s.Body))
		}
	}
	if got := chunkBounds(9000, []int{0, 4000, 8000}, 2); !reflect.DeepEqual(got, []int{0, 8000, 9000}) && !reflect.DeepEqual(got, []int{0, 4000, 9000}) {
		t.Errorf("chunkBounds %v", got)
	}
}

func TestComments(t *testing.T) {
	f := Read("t.cfg", []byte("# head\nglobal # tail\n  log \"a#b\" local0\n  daemon\\# x\n"), nil)
	want := []Comment{
		{Pos: confparse.Pos{File: "t.cfg", Line: 1, Col: 1}, Text: " head"},
		{Pos: confparse.Pos{File: "t.cfg", Line: 2, Col: 8}, Text: " tail"},
	}
	if !reflect.DeepEqual(f.Comments, want) {
		t.Errorf("comments %+v, want %+v (an escaped or quoted '#' is no comment)", f.Comments, want)
	}
}
