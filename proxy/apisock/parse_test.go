package apisock

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitCommandsAndWords(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		line    string
		cmds    []string
		words   [][]string
		payload bool
	}{
		{"one command", "show info", []string{"show info"}, [][]string{{"show", "info"}}, false},
		{"semicolons", "show info;show stat", []string{"show info", "show stat"}, [][]string{{"show", "info"}, {"show", "stat"}}, false},
		{"escaped semicolon", `set map m k a\;b`, []string{`set map m k a\;b`}, [][]string{{"set", "map", "m", "k", "a;b"}}, false},
		{"escaped space and backslash", `add acl a x\ y\\z`, []string{`add acl a x\ y\\z`}, [][]string{{"add", "acl", "a", "x y\\z"}}, false},
		{"tabs and runs of spaces", "  get\t weight   be/s1 ", []string{"  get\t weight   be/s1 "}, [][]string{{"get", "weight", "be/s1"}}, false},
		{"empty", "", []string{""}, [][]string{nil}, false},
		{"payload", "add map m <<", []string{"add map m <<"}, [][]string{{"add", "map", "m"}}, true},
		{"trailing backslash", `show\`, []string{`show\`}, [][]string{{"show"}}, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cmds := splitCommands(tc.line)
			if !slices.Equal(cmds, tc.cmds) {
				t.Fatalf("commands %q, want %q", cmds, tc.cmds)
			}
			for i, c := range cmds {
				w, p := splitWords(c)
				if !slices.Equal(w, tc.words[i]) || p != tc.payload {
					t.Errorf("words of %q: %q %v, want %q %v", c, w, p, tc.words[i], tc.payload)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		desc string
		args []string
		head string
		has  []string
		not  []string
	}{
		{"help lists everything", []string{"help"}, "The following commands are valid at this level:", []string{"  add server", "  user  "}, nil},
		{"empty line", nil, "Unknown command. Please enter one of the following commands only:", []string{"  show sess"}, nil},
		{"prefix", []string{"disable"}, "Unknown command, but maybe", []string{"  disable agent", "  disable server"}, []string{"  enable agent", "  show sess"}},
		{"fuzzy", []string{"shw", "sess"}, "Unknown command, but maybe", nil, []string{"  set timeout"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			out := usage(commands, tc.args)
			if !strings.HasPrefix(out, tc.head) || !strings.HasSuffix(out, usageTail) {
				t.Fatalf("answer:\n%s", out)
			}
			for _, h := range tc.has {
				if !strings.Contains(out, h) {
					t.Errorf("missing %q in:\n%s", h, out)
				}
			}
			for _, h := range tc.not {
				if strings.Contains(out, h) {
					t.Errorf("unexpected %q in:\n%s", h, out)
				}
			}
		})
	}
}

func TestLeadingInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		rest string
	}{
		{"50%", 50, "%"}, {"x", 0, "x"}, {"-3", -3, ""}, {"12ab", 12, "ab"}, {"", 0, ""}, {"+7", 7, ""},
	} {
		if n, rest := leadingInt(tc.in); n != tc.n || rest != tc.rest {
			t.Errorf("leadingInt(%q) = %d %q, want %d %q", tc.in, n, rest, tc.n, tc.rest)
		}
	}
}

// escapeWord protects what splitWords and splitCommands would cut.
func escapeWord(w string) string {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if strings.IndexByte(" \t;\\", w[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(w[i])
	}
	return b.String()
}

// FuzzCommandLine: any request line splits and dispatches without a
// panic, and non-empty words survive re-escaping.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{"show info", "set server be/s1 state drain;get weight be/s1", `a\;b\ c\\`, "add map m <<", "\\", ";;", "help show", "shw sess"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, c := range splitCommands(line) {
			words, payload := splitWords(c)
			var kept, esc []string
			for _, w := range words {
				if w != "" && w != "<<" {
					kept = append(kept, w)
					esc = append(esc, escapeWord(w))
				}
			}
			joined := strings.Join(esc, " ")
			if again := splitCommands(joined); len(again) != 1 {
				t.Fatalf("escaped %q splits into %q", joined, again)
			}
			if back, _ := splitWords(joined); !payload && !slices.Equal(back, kept) {
				t.Fatalf("words %q re-escaped as %q read back as %q", kept, joined, back)
			}
			_ = usage(commands, words)
			_ = findCommand(words)
		}
	})
}
