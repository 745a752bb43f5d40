package reftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// KnownDisagreements reads testdata/<product>/known-disagreements.tsv, the
// differences from the reference a differential test keeps on purpose:
// one "variant<TAB>file<TAB>reason" per line, '#' comments. The map is
// keyed by "variant<TAB>file". A missing file or a line without a reason
// fails the test, so the list can never be lost silently.
func KnownDisagreements(t testing.TB, product string) map[string]string {
	t.Helper()
	path := filepath.Join(Root(), "testdata", product, "known-disagreements.tsv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 3 || strings.TrimSpace(f[2]) == "" {
			t.Fatalf("%s: %q needs variant, file and a reason", path, line)
		}
		known[f[0]+"\t"+f[1]] = f[2]
	}
	return known
}
