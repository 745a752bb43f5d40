package haproxy

import "testing"

// The expected suggestions are what the reference prints for these words.
func TestSuggestion(t *testing.T) {
	for _, tc := range []struct {
		word, want string
		cands      []string
	}{
		{"tcpsplice", "splice-auto", optionCandidates},
		{"load", "", proxyCandidates()},
		{"on", "", proxyCandidates()},
		{"crt-base", "", proxyCandidates()},
		{"key-base", "use_backend", proxyCandidates()},
		{"ca-base", "balance", proxyCandidates()},
		{"tune.zlib.memlevel", "tune.comp.maxlevel", globalCandidates()},
		{"tune.lua.bool-sample-conversion", "tune.lua.session-timeout", globalCandidates()},
		{"rise", "", proxyCandidates()},
		// presence, not count, of a character; first of equals kept
		{"http-use-htx", "httpclose", optionCandidates},
		{"tune.zlib.windowsize", "tune.bufsize", globalCandidates()},
		{"reqisetbe", "retries", proxyCandidates()},
	} {
		if got := bestMatch(tc.word, tc.cands); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.word, got, tc.want)
		}
	}
}
