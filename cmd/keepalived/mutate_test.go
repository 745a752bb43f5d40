package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fulcrum/internal/netns"
	"fulcrum/internal/reftest"
)

// mutate makes a small, typical mistake in a configuration: a line lost
// or doubled, a brace lost or added, a value cut or mangled, two lines
// swapped.
func mutate(r *rand.Rand, text string) string {
	lines := strings.Split(text, "\n")
	if len(lines) < 3 {
		return text
	}
	k := r.IntN(len(lines))
	switch r.IntN(7) {
	case 0:
		lines = append(lines[:k], lines[k+1:]...)
	case 1:
		for tries := 0; tries < len(lines); tries++ {
			j := (k + tries) % len(lines)
			if strings.Contains(lines[j], "}") {
				lines[j] = strings.Replace(lines[j], "}", "", 1)
				break
			}
		}
	case 2:
		lines = append(lines[:k+1], lines[k:]...)
	case 3:
		if f := strings.Fields(lines[k]); len(f) > 1 {
			lines[k] = strings.Join(f[:len(f)-1], " ")
		}
	case 4:
		j := r.IntN(len(lines))
		lines[k], lines[j] = lines[j], lines[k]
	case 5:
		lines = append(lines[:k], append([]string{"{"}, lines[k:]...)...)
	case 6:
		if f := strings.Fields(lines[k]); len(f) >= 2 {
			lines[k] = strings.Replace(lines[k], f[1], "x"+f[1][:min(2, len(f[1]))], 1)
		}
	}
	return strings.Join(lines, "\n")
}

// TestMutatedCorpusMatchesReference runs seeded mutations of the corpus
// files (written to a temporary directory, never into the project)
// through the reference and ours in an empty network namespace: every
// message and the exit code must agree, except where the reference
// crashes.
func TestMutatedCorpusMatchesReference(t *testing.T) {
	ref := reftest.Keepalived(t)
	ours := reftest.Ours(t, "keepalived")
	corpus := corpusFiles(t)
	bed := netns.New(t)
	ns := bed.Add("mut")
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 11))
	const n = 200
	var names []string
	for i := 0; i < n; i++ {
		f := corpus[r.IntN(len(corpus))]
		data, err := os.ReadFile(filepath.Join(f.dir, f.rel))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("m%03d-%s", i, filepath.Base(f.rel))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(mutate(r, string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	var mu sync.Mutex
	agree, crashed := 0, 0
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ro, rerr := runIn(ns, dir, ref, name)
			oo, oerr := runIn(ns, dir, ours, name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case rerr != nil || oerr != nil:
				t.Errorf("%s: %v %v", name, rerr, oerr)
			case ro.exit < 0:
				crashed++ // the reference died on a signal; nothing to match
			case ro == oo:
				agree++
			default:
				t.Errorf("%s: reference exit %d\n%s--- ours exit %d\n%s", name, ro.exit, ro.all, oo.exit, oo.all)
			}
		}()
	}
	wg.Wait()
	t.Logf("mutated corpus: every message agrees in %d/%d (%d more crash the reference)", agree, n-crashed, crashed)
}
