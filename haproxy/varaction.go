package haproxy

import (
	"fmt"
	"strings"
)

// varActionWords are how the variable actions begin; the reference
// matches any action word beginning with set-var or unset-var, then
// reads the exact form of the word.
var varActionWords = []string{"set-var-fmt(", "set-var(", "unset-var("}

// isVarActionWord tells whether the reference takes word for a variable
// action (well formed or not).
func isVarActionWord(word string) bool {
	return strings.HasPrefix(word, "set-var") || strings.HasPrefix(word, "unset-var")
}

// varActionProblem checks the form of a variable action word such as
// "set-var(txn.a)": the reference's message without its final period,
// or "" (also for a word that is no variable action).
func varActionProblem(word string) string {
	if !isVarActionWord(word) {
		return ""
	}
	const expects = ". Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'"
	var rest string
	for _, w := range varActionWords {
		if r, ok := strings.CutPrefix(word, w); ok {
			rest = r
			break
		}
	}
	switch {
	case rest == "" && !strings.HasSuffix(word, "("):
		return fmt.Sprintf("invalid or incomplete action '%s'%s", word, expects)
	case !strings.HasSuffix(rest, ")"):
		// The name runs to the last character, which must close it.
		return fmt.Sprintf("incomplete argument after action '%s'%s", word, expects)
	}
	if name, _, _ := strings.Cut(strings.TrimSuffix(rest, ")"), ","); name == "" {
		return "Empty variable name cannot be accepted"
	}
	return ""
}

// varKeyword is the registered keyword a variable action word matched
// (by prefix), which check rules name in their messages.
func varKeyword(word string) string {
	for _, k := range []string{"set-var-fmt", "unset-var"} {
		if strings.HasPrefix(word, k) {
			return k
		}
	}
	return "set-var"
}
