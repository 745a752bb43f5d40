package keepalived

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files")

// fakeEnv makes loads independent of the machine: every interface exists
// except "lo" (a loopback) and names starting "nosuch"; no name resolves.
func fakeEnv(dir string) LoadOptions {
	return LoadOptions{
		ConfigID: "fulcrum-test",
		Dir:      dir,
		Interface: func(name string) (bool, bool) {
			if name == "lo" {
				return true, true
			}
			return !strings.HasPrefix(name, "nosuch"), false
		},
		Resolve: func(string) bool { return false },
	}
}

func dump(t *testing.T, cfg *Config) []byte {
	t.Helper()
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// goldenInputs are our own cases that load cleanly enough to be worth a
// model dump: every ok-* case.
func goldenInputs(t *testing.T) (string, []string) {
	dir := filepath.Join(reftest.Root(), "testdata", "keepalived")
	ms, _ := filepath.Glob(filepath.Join(dir, "cases", "ok-*.conf"))
	if len(ms) == 0 {
		t.Fatal("no ok-*.conf cases")
	}
	return dir, ms
}

// TestGoldenModel dumps the model of each ok-* case as stable JSON and
// compares it with testdata/keepalived/golden (go test -update rewrites).
func TestGoldenModel(t *testing.T) {
	dir, inputs := goldenInputs(t)
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".conf")
		t.Run(name, func(t *testing.T) {
			rel, _ := filepath.Rel(dir, in)
			res := Check(rel, fakeEnv(dir))
			got := dump(t, res.Config)
			golden := filepath.Join(dir, "golden", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("model of %s differs from %s:\n%s", rel, golden, got)
			}
		})
	}
}

// TestPrintRoundTrip prints each model back as configuration text and
// reads it again: the model must not change.
func TestPrintRoundTrip(t *testing.T) {
	dir, inputs := goldenInputs(t)
	corpus := []string{}
	if c := os.Getenv("FULCRUM_SKIP_CORPUS"); c == "" {
		if _, err := os.Stat(filepath.Join(reftest.Root(), "..", "shared", "corpus", "keepalived")); err == nil {
			ms, _ := filepath.Glob(filepath.Join(reftest.Root(), "..", "shared", "corpus", "keepalived", "*.conf"))
			corpus = ms
		}
	}
	for _, in := range append(inputs, corpus...) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			first := Check(in, fakeEnv(dir))
			if first.Exit == 2 {
				t.Skip("the reference stops reading this file early")
			}
			var text bytes.Buffer
			if err := Print(&text, first.Config); err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(t.TempDir(), "printed.conf")
			os.WriteFile(tmp, text.Bytes(), 0o644)
			second := Check(tmp, fakeEnv(dir))
			a, b := dump(t, first.Config), dump(t, second.Config)
			if !bytes.Equal(a, b) {
				t.Errorf("parse(print(x)) != x for %s\nprinted:\n%s\nfirst:\n%s\nsecond:\n%s\nmessages: %v", in, text.String(), a, b, second.Messages)
			}
		})
	}
}
