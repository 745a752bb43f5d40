package haproxy

import (
	"strings"
	"testing"
)

// TestVarActionProblem: which variable action words the reference
// refuses, and for what (its exact messages are checked by the cases in
// testdata against the reference).
func TestVarActionProblem(t *testing.T) {
	for _, tc := range []struct{ desc, word, want string }{
		{"set-var", "set-var(txn.a)", ""},
		{"with conditions", "set-var(txn.a,ifexists)", ""},
		{"set-var-fmt", "set-var-fmt(txn.a)", ""},
		{"unset-var", "unset-var(txn.a)", ""},
		{"other action", "set-header", ""},
		{"misspelt", "set-varr(txn.a)", "invalid or incomplete action"},
		{"no parenthesis", "set-var", "invalid or incomplete action"},
		{"unclosed", "unset-var(txn.a", "incomplete argument"},
		{"trailing", "set-var(txn.a)x", "incomplete argument"},
		{"only the parenthesis", "set-var(", "incomplete argument"},
		{"empty name", "set-var()", "Empty variable name"},
	} {
		got := varActionProblem(tc.word)
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: varActionProblem(%q) = %q, want %q...", tc.desc, tc.word, got, tc.want)
		}
	}
}

func FuzzVarActionProblem(f *testing.F) {
	for _, s := range []string{"set-var(txn.a)", "set-var(", "unset-var", "set-var-fmt(x,y)", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		if msg := varActionProblem(word); msg != "" && !isVarActionWord(word) {
			t.Errorf("%q is no variable action but got %q", word, msg)
		}
	})
}
