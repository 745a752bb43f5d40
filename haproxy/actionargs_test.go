package haproxy

import (
	"strings"
	"testing"

	"fulcrum/confparse"
)

// TestFixedLengthActions: a word after an http action of a fixed length
// must be "if" or "unless", as the reference requires; the reference stops
// at the first such line, so each rule is read on its own.
func TestFixedLengthActions(t *testing.T) {
	for _, tc := range []struct {
		desc, rule, found string // found: the word refused, "" when the rule is fine
	}{
		{"no argument", "http-request disable-l7-retry bogus", "bogus"},
		{"no argument, condition", "http-request silent-drop if TRUE", ""},
		{"unset-var", "http-request unset-var(txn.x) bogus", "bogus"},
		{"sc-inc-gpc0", "http-request sc-inc-gpc0(0) x", "x"},
		{"one argument", "http-request set-log-level info now", "now"},
		{"one argument, fine", "http-request set-priority-class int(1)", ""},
		{"sc-set-gpt0", "http-request sc-set-gpt0(0) 1 2", "2"},
		{"cache-store", "http-response cache-store c bogus", "bogus"},
		{"early-hint", "http-request early-hint Link x y", "y"},
		{"capture", "http-request capture src len 1 bogus", "bogus"},
		{"response capture", "http-response capture src id 0 bogus", "bogus"},
	} {
		cfg := "cache c\n total-max-size 4\nfrontend f\n mode http\n bind :80\n timeout client 1s\n declare capture response len 10\n " + tc.rule + "\n filter cache c\n"
		_, diags := load(t, cfg)
		first := ""
		for _, d := range diags {
			if d.Severity == confparse.Alert {
				first = d.Message
				break
			}
		}
		want := ""
		if tc.found != "" {
			want = "followed by a condition but found '" + tc.found + "'."
		}
		if want == "" && first != "" || !strings.Contains(first, want) {
			t.Errorf("%s: first alert %q, want %q", tc.desc, first, want)
		}
	}
}
