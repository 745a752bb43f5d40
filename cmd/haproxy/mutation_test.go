package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"fulcrum/internal/reftest"
)

// The mutation test takes valid configurations (our cases and the corpus,
// read in place), changes one keyword line at a time in systematic ways
// (drop or add an argument, put a bad time, size, number, word or address
// in its place, move it to another section, prefix it with "no" or
// "default"), and checks each mutant with the reference and with ours:
// exit status, FILE:LINE of the first ALERT and the set of WARNING lines
// must agree.
//
// Running the reference on thousands of mutants takes minutes, so its
// verdicts are kept in testdata/haproxy/mutants-ref.tsv, keyed by a hash
// of the mutant; regenerate them (after the generator, the cases or the
// corpus change) with
//
//	go test ./cmd/haproxy -run TestMutants -update-mutants
//
// By default a bounded, deterministic sample runs (FULCRUM_MUTANTS=all
// runs every mutant, FULCRUM_MUTANTS=N a sample of N); a mutant missing
// from the cache is run through the reference when it is installed.
// Disagreements kept on purpose are listed in known-disagreements.tsv
// under the variant "mutant".

var updateMutants = flag.Bool("update-mutants", false, "rerun the reference on every mutant and rewrite testdata/haproxy/mutants-ref.tsv")

// mutantSample is how many mutants the default run checks.
const mutantSample = 300

// mutantsPerSignature bounds the mutants of one signature.
const mutantsPerSignature = 1

// mutant is one changed configuration.
type mutant struct {
	id      string // source:line:kind, stable across runs
	sig     string // what it exercises: section kind, keyword, change
	dir     string // working directory the source is checked from
	content string
}

func (m mutant) key() string {
	h := sha256.Sum256([]byte(m.id + "\x00" + m.content))
	return hex.EncodeToString(h[:8])
}

// mutantVerdict is what is compared, with the mutant's own path replaced
// by "M" so that the reference's verdicts can be cached.
type mutantVerdict struct {
	Exit     int      `json:"exit"`
	Loc      string   `json:"loc"`
	Alert    string   `json:"alert"`
	Warnings []string `json:"warnings"`
}

func (v mutantVerdict) same(o mutantVerdict) bool {
	return v.Exit == o.Exit && v.Loc == o.Loc && strings.Join(v.Warnings, "\n") == strings.Join(o.Warnings, "\n")
}

// difference says in a few words how o differs from the reference v.
func (v mutantVerdict) difference(o mutantVerdict) string {
	message := func(alert string) string {
		if _, m, ok := strings.Cut(alert, " : config : "); ok {
			alert = m
		}
		if strings.HasPrefix(alert, "parsing [M:") || strings.HasPrefix(alert, "[M:") {
			if _, m, ok := strings.Cut(alert, "]"); ok {
				alert = strings.TrimLeft(m, ": ")
			}
		}
		if len(alert) > 140 {
			alert = alert[:140] + "..."
		}
		return strings.ReplaceAll(alert, "\t", " ")
	}
	switch {
	case v.Exit != o.Exit && o.Exit == 0 || v.Loc != "" && (o.Loc == "" || o.Loc > v.Loc && v.Exit == 1):
		return fmt.Sprintf("not checked yet: the reference says %q (exit %d), ours exit %d", message(v.Alert), v.Exit, o.Exit)
	case v.Exit != o.Exit || v.Loc != o.Loc:
		return fmt.Sprintf("ours reports %q where the reference says %q (exit %d)", message(o.Alert), message(v.Alert), v.Exit)
	}
	refW, ourW := setOfLines(v.Warnings), setOfLines(o.Warnings)
	for _, w := range v.Warnings {
		if !ourW[w] {
			return fmt.Sprintf("warning not given yet: %q", message(w))
		}
	}
	for _, w := range o.Warnings {
		if !refW[w] {
			return fmt.Sprintf("warning the reference does not give: %q", message(w))
		}
	}
	return "differs"
}

func setOfLines(lines []string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lines {
		m[l] = true
	}
	return m
}

func toMutantVerdict(v verdict, path string) mutantVerdict {
	out := mutantVerdict{Exit: v.exit, Loc: strings.ReplaceAll(v.loc, path, "M"), Alert: strings.ReplaceAll(v.alert, path, "M")}
	seen := map[string]bool{}
	for _, l := range strings.Split(v.out, "\n") {
		if strings.HasPrefix(l, "[WARNING]") {
			l = strings.ReplaceAll(l, path, "M")
			if !seen[l] {
				seen[l] = true
				out.Warnings = append(out.Warnings, l)
			}
		}
	}
	sort.Strings(out.Warnings)
	return out
}

// sectionKinds start a section.
var sectionKinds = map[string]bool{"global": true, "defaults": true, "frontend": true, "backend": true, "listen": true,
	"userlist": true, "peers": true, "mailers": true, "resolvers": true, "program": true, "cache": true,
	"http-errors": true, "ring": true, "log-forward": true, "fcgi-app": true}

// badClass names the kind of argument badValues sees.
func badClass(arg string) string {
	return strings.Join(badValues(arg), ",")
}

// badValues replace an argument, chosen by what the argument looks like.
func badValues(arg string) []string {
	digits := strings.TrimLeft(arg, "0123456789")
	switch {
	case arg != "" && digits == "":
		return []string{"abc", "-1", "99999999999", "10x"}
	case digits != arg && (digits == "ms" || digits == "s" || digits == "m" || digits == "h" || digits == "d" || digits == "us" || digits == "k" || digits == "g"):
		return []string{"10x", "abc", "-5s"}
	case strings.Contains(arg, ":") && strings.ContainsAny(arg, "0123456789"):
		return []string{"127.0.0.1:99999", "256.1.1.1:80", "127.0.0.1:abc", "127.0.0.1"}
	default:
		return []string{"bogus"}
	}
}

// mutateFile makes every mutant of one configuration.
// keep decides, from its signature, whether a mutant is made at all.
func mutateFile(dir, rel, src string, keep func(sig string) bool) []mutant {
	lines := strings.Split(src, "\n")
	type sec struct {
		kind string
		at   int
	}
	var secs []sec
	kindAt := make([]string, len(lines))
	cur := ""
	for i, l := range lines {
		w := strings.Fields(strings.SplitN(l, "#", 2)[0])
		if len(w) > 0 && sectionKinds[w[0]] {
			cur = w[0]
			secs = append(secs, sec{w[0], i})
			continue
		}
		kindAt[i] = cur
	}
	var out []mutant
	with := func(i int, id, sig, repl string) {
		if !keep(sig) {
			return
		}
		c := append([]string(nil), lines...)
		c[i] = repl
		out = append(out, mutant{id: fmt.Sprintf("%s:%d:%s", rel, i+1, id), sig: sig, dir: dir, content: strings.Join(c, "\n")})
	}
	for i, l := range lines {
		if kindAt[i] == "" || strings.ContainsAny(l, "\"'\\$") {
			continue
		}
		code := strings.SplitN(l, "#", 2)[0]
		w := strings.Fields(code)
		if len(w) == 0 || strings.HasPrefix(w[0], ".") || w[0] == "no" || w[0] == "default" {
			continue
		}
		indent := code[:len(code)-len(strings.TrimLeft(code, " \t"))]
		kw := w[0]
		topic := kindAt[i] + " " + kw
		if len(w) > 1 && (kw == "option" || kw == "timeout" || kw == "stats" || kw == "tcp-request" || kw == "tcp-response" ||
			kw == "http-request" || kw == "http-response" || kw == "http-after-response" || kw == "http-check" ||
			kw == "tcp-check" || kw == "balance" || kw == "hash-type" || kw == "stick" || kw == "compression" || kw == "capture") {
			topic += " " + w[1]
		}
		join := func(ws []string) string { return indent + strings.Join(ws, " ") }
		if len(w) > 1 {
			with(i, "drop-args", topic+" drop-args", indent+kw)
		}
		if len(w) > 2 {
			with(i, "drop-last", topic+" drop-last", join(w[:len(w)-1]))
		}
		with(i, "extra", topic+" extra", join(append(append([]string(nil), w...), "bogus")))
		with(i, "no", topic+" no", indent+"no "+strings.TrimLeft(code, " \t"))
		with(i, "default", topic+" default", indent+"default "+strings.TrimLeft(code, " \t"))
		for j := 1; j < len(w) && j < 12; j++ {
			for k, bad := range badValues(w[j]) {
				if bad == w[j] {
					continue
				}
				c := append([]string(nil), w...)
				c[j] = bad
				what := fmt.Sprintf("arg%d", j)
				if j > 1 && (kw == "bind" || kw == "server" || kw == "default-server" || kw == "server-template") {
					what = w[j-1] // the option whose value this is
				}
				with(i, fmt.Sprintf("bad%d.%d", j, k), fmt.Sprintf("%s %s bad %s", topic, what, badClass(w[j])), join(c))
			}
		}
		// Move the line right after the header of a section of another
		// kind: global <-> proxies, frontend <-> backend, and into the
		// first auxiliary section.
		moved := map[string]bool{}
		for _, s := range secs {
			if s.kind == kindAt[i] || moved[s.kind] {
				continue
			}
			moved[s.kind] = true
			if !keep(topic + " move " + s.kind) {
				continue
			}
			c := make([]string, 0, len(lines)+1)
			for j, x := range lines {
				if j == i {
					continue
				}
				c = append(c, x)
				if j == s.at {
					c = append(c, l)
				}
			}
			out = append(out, mutant{id: fmt.Sprintf("%s:%d:move-%s", rel, i+1, s.kind), sig: topic + " move " + s.kind, dir: dir, content: strings.Join(c, "\n")})
		}
	}
	return out
}

// mutationSources are the configurations mutated: our cases run from the
// repository root, the corpus from its directory.
func mutationSources(t *testing.T, keep func(sig string) bool) []mutant {
	root := reftest.Root()
	var out []mutant
	add := func(dir, pattern string) {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, f)
			out = append(out, mutateFile(dir, rel, string(data), keep)...)
		}
	}
	add(root, "testdata/haproxy/cases/*.cfg")
	if corpus := corpusDir(); corpus != "" {
		add(corpus, "haproxy/*.cfg")
	}
	return out
}

// perSignature keeps the first n mutants of each signature so that every
// keyword and change is exercised without thousands of repeats.
func perSignature(n int) func(sig string) bool {
	count := map[string]int{}
	return func(sig string) bool {
		count[sig]++
		return count[sig] <= n
	}
}

func mutantCachePath() string {
	return filepath.Join(reftest.Root(), "testdata", "haproxy", "mutants-ref.tsv")
}

func readMutantCache(t *testing.T) map[string]mutantVerdict {
	cache := map[string]mutantVerdict{}
	f, err := os.Open(mutantCachePath())
	if err != nil {
		return cache
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		var mv mutantVerdict
		if err := json.Unmarshal([]byte(v), &mv); err != nil {
			t.Fatalf("%s: %v", mutantCachePath(), err)
		}
		cache[k] = mv
	}
	return cache
}

func writeMutantCache(t *testing.T, cache map[string]mutantVerdict) {
	var b strings.Builder
	b.WriteString("# key\treference verdict; written by go test ./cmd/haproxy -run TestMutants -update-mutants\n")
	keys := make([]string, 0, len(cache))
	for k := range cache {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		j, _ := json.Marshal(cache[k])
		fmt.Fprintf(&b, "%s\t%s\n", k, j)
	}
	if err := os.WriteFile(mutantCachePath(), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMutants(t *testing.T) {
	all := mutationSources(t, perSignature(mutantsPerSignature))
	sample := all
	switch n := os.Getenv("FULCRUM_MUTANTS"); {
	case *updateMutants || n == "all":
	default:
		size := mutantSample
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			size = v
		}
		if size < len(all) {
			sample = nil
			for i := 0; i < size; i++ {
				sample = append(sample, all[i*len(all)/size])
			}
		}
	}
	cache := readMutantCache(t)
	ref := ""
	if *updateMutants {
		ref = reftest.HAProxy(t)
		cache = map[string]mutantVerdict{}
	} else if _, err := os.Stat("/usr/sbin/haproxy"); err == nil || os.Getenv("FULCRUM_HAPROXY") != "" {
		ref = reftest.HAProxy(t)
	}
	ours := reftest.Ours(t, "haproxy")
	tmp := t.TempDir()
	type result struct {
		m         mutant
		ref, ours mutantVerdict
		noRef     bool
	}
	results := make([]result, len(sample))
	var mu sync.Mutex
	inParallel(len(sample), func(i int) {
		m := sample[i]
		path := filepath.Join(tmp, fmt.Sprintf("m%d.cfg", i))
		if err := os.WriteFile(path, []byte(m.content), 0o644); err != nil {
			t.Error(err)
			return
		}
		hosts := stubHosts(t, path, tmp)
		r := result{m: m}
		mu.Lock()
		rv, cached := cache[m.key()]
		mu.Unlock()
		switch {
		case cached:
			r.ref = rv
		case ref != "":
			r.ref = toMutantVerdict(run(t, ref, m.dir, path, hosts, false), path)
			mu.Lock()
			cache[m.key()] = r.ref
			mu.Unlock()
		default:
			r.noRef = true
		}
		r.ours = toMutantVerdict(run(t, ours, m.dir, path, hosts, false), path)
		results[i] = r
	})
	if *updateMutants {
		writeMutantCache(t, cache)
	}

	known := reftest.KnownDisagreements(t, "haproxy")
	// FULCRUM_MUTANTS_LIST=FILE writes the unlisted disagreements there,
	// with what differs, for known-disagreements.tsv.
	var newList *os.File
	if path := os.Getenv("FULCRUM_MUTANTS_LIST"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		newList = f
	}
	agree, total, crashed := 0, 0, 0
	for _, r := range results {
		if r.noRef {
			continue
		}
		if r.ref.Exit < 0 || r.ref.Exit >= 128 {
			// The reference crashed (a "program" section after some
			// errors makes 2.6.12 segfault) or hung: nothing to compare.
			crashed++
			continue
		}
		total++
		reason, listed := known["mutant\t"+r.m.id]
		same := r.ref.same(r.ours)
		switch {
		case same && listed:
			t.Errorf("mutant %s: listed as a known disagreement (%s) but now agrees; remove it from the list", r.m.id, reason)
			agree++
		case same:
			agree++
		case listed:
		case newList != nil:
			fmt.Fprintf(newList, "mutant\t%s\t%s\n", r.m.id, r.ref.difference(r.ours))
		default:
			t.Errorf("mutant %s (%s):\n  ref:  exit %d %s\n        %s\n  ours: exit %d %s\n        %s\n  ref warnings:  %q\n  ours warnings: %q",
				r.m.id, mutantLine(r.m), r.ref.Exit, r.ref.Loc, r.ref.Alert, r.ours.Exit, r.ours.Loc, r.ours.Alert, r.ref.Warnings, r.ours.Warnings)
		}
	}
	if total == 0 {
		t.Skip("no reference verdicts (reference not installed, cache empty)")
	}
	msg := fmt.Sprintf("haproxy -c mutants: %d/%d agree (%.2f%%) of %d generated (%d more crash the reference)", agree, total, 100*float64(agree)/float64(total), len(all), crashed)
	t.Log(msg)
	fmt.Println(msg)
}

// mutantLine is the changed line of a mutant, for the report.
func mutantLine(m mutant) string {
	parts := strings.Split(m.id, ":")
	n, _ := strconv.Atoi(parts[len(parts)-2])
	lines := strings.Split(m.content, "\n")
	if strings.HasPrefix(parts[len(parts)-1], "move-") || n < 1 || n > len(lines) {
		return parts[len(parts)-1]
	}
	return strings.TrimSpace(lines[n-1])
}
