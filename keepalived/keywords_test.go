package keepalived

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"fulcrum/internal/reftest"
)

// extension tells whether path is a Fulcrum extension in some pass.
func extension(path string) bool {
	var walk func([]*keyword) bool
	walk = func(ks []*keyword) bool {
		for _, k := range ks {
			if k.path == path && k.extension || walk(k.sub) {
				return true
			}
		}
		return false
	}
	for _, tree := range keywordTrees {
		if walk(tree) {
			return true
		}
	}
	return false
}

// keywordPaths lists every keyword path of every pass.
func keywordPaths() []string {
	seen := map[string]bool{}
	var walk func([]*keyword)
	walk = func(ks []*keyword) {
		for _, k := range ks {
			seen[k.path] = true
			walk(k.sub)
		}
	}
	for _, tree := range keywordTrees {
		walk(tree)
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// snippet places the last keyword of path inside its blocks; the blocks'
// own lines get plausible arguments. It returns the text and the line of
// the keyword.
func snippet(path string) (string, int) {
	args := map[string]string{"vrrp_instance": "VI", "virtual_server": "10.0.0.1 80", "real_server": "10.0.0.2 80",
		"vrrp_script": "s", "vrrp_sync_group": "g", "vrrp_track_process": "p", "track_file": "f",
		"vrrp_track_file": "f", "bfd_instance": "b", "virtual_server_group": "vg", "garp_group": "", "track_group": "t"}
	parts := strings.Split(path, "/")
	var b strings.Builder
	for _, p := range parts[:len(parts)-1] {
		a, ok := args[p]
		if !ok {
			a = "x"
		}
		fmt.Fprintf(&b, "%s %s {\n", p, a)
	}
	b.WriteString(parts[len(parts)-1] + "\n")
	line := len(parts)
	b.WriteString(strings.Repeat("}\n", len(parts)-1))
	return b.String(), line
}

// TestKeywordTableMatchesReference places every keyword of the table in
// its block and checks that the reference does not call it unknown (so
// the table holds no keyword the Debian build lacks) and neither do we;
// a made-up keyword must be unknown to both. It also reports how often
// the whole first message and exit code agree for these one-keyword files
// (missing-argument handling is not complete; see the report).
func TestKeywordTableMatchesReference(t *testing.T) {
	ref := reftest.Keepalived(t)
	dir := t.TempDir()
	paths := append(keywordPaths(), "vrrp_instance/fulcrum_no_such_keyword", "fulcrum_no_such_root")
	type result struct {
		refUnknown, ourUnknown bool
		same                   bool
	}
	results := make([]result, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, path := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			text, line := snippet(path)
			name := fmt.Sprintf("k%03d.conf", i)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Error(err)
				return
			}
			kw := path[strings.LastIndex(path, "/")+1:]
			unknown := regexp.MustCompile(fmt.Sprintf(`Line %d\) Unknown keyword '%s'`, line, regexp.QuoteMeta(kw)))
			r := reftest.Run(t, ref, reftest.Options{Dir: dir, Isolate: true}, "-t", "-l", "-f", name)
			env := fakeEnv(dir)
			env.Interface = func(n string) (bool, bool) { return n == "lo", n == "lo" }
			o := Check(name, env)
			var ours strings.Builder
			for _, m := range o.Messages {
				ours.WriteString(m.String() + "\n")
			}
			refFirst, _, _ := strings.Cut(r.Stderr, "\n")
			ourFirst, _, _ := strings.Cut(ours.String(), "\n")
			if os.Getenv("FULCRUM_SHOW_SWEEP") != "" && !(r.Exit == o.Exit && refFirst == ourFirst) {
				t.Logf("SWEEP %s | ref %d %s | ours %d %s", path, r.Exit, refFirst, o.Exit, ourFirst)
			}
			results[i] = result{
				refUnknown: unknown.MatchString(r.Stderr),
				ourUnknown: unknown.MatchString(ours.String()),
				same:       r.Exit == o.Exit && refFirst == ourFirst,
			}
		}()
	}
	wg.Wait()
	same := 0
	for i, path := range paths {
		res := results[i]
		fake := strings.Contains(path, "fulcrum_no_such")
		switch {
		case extension(path):
			// Fulcrum's own keyword: the reference refuses it, we do not.
			if !res.refUnknown || res.ourUnknown {
				t.Errorf("%s: extension keyword: reference unknown %v, ours unknown %v", path, res.refUnknown, res.ourUnknown)
			}
		case fake && (!res.refUnknown || !res.ourUnknown):
			t.Errorf("%s: made-up keyword not unknown (reference %v, ours %v)", path, res.refUnknown, res.ourUnknown)
		case !fake && res.refUnknown:
			t.Errorf("%s: in our keyword table but unknown to the reference", path)
		case !fake && res.ourUnknown:
			t.Errorf("%s: in our keyword table but we call it unknown", path)
		}
		if res.same {
			same++
		}
	}
	t.Logf("one-keyword files: %d/%d agree on exit code and first message", same, len(paths))
}
