package haproxy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"fulcrum/confparse"
)

// The reference applies "default-path" by changing its working directory
// while it parses: every relative file name met afterwards (in this and
// the following files) is opened from there. A library must not chdir
// (tests load configurations in parallel), so the loader keeps the
// directory instead and rewrites the relative file names of later lines
// against it; engines then open the names as they are. The directory stays
// relative when the configuration names it so, like the configuration
// files themselves: both are taken from the process's working directory.

// setDefaultPath applies a valid "default-path" line; it reports false
// (after an alert) when the directory does not exist.
func (l *loader) setDefaultPath(d line) bool {
	switch d.arg(0) {
	case "current":
		l.dir = ""
		return true
	case "config":
		l.dir = filepath.Dir(d.pos.File)
	case "parent":
		l.dir = filepath.Dir(filepath.Dir(d.pos.File))
	case "origin":
		dir := d.arg(1)
		if dir == "" {
			l.alert(d.pos, "'default-path origin' expects a directory as an argument.")
			return false
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			cwd, _ := os.Getwd()
			reason := "Not a directory"
			if err != nil {
				reason = "No such file or directory"
			}
			l.alert(d.pos, fmt.Sprintf("couldn't set 'default-path' to origin '%s': Impossible to get back to directory '%s': %s.", dir, cwd, reason))
			return false
		}
		l.dir = dir
	}
	l.dir = filepath.Clean(l.dir)
	return true
}

// pathAfter names, per keyword, the words whose next word is a file name.
var pathAfter = map[string]map[string]bool{
	"acl":                 {"-f": true},
	"http-request":        {"-f": true, "file": true, "lf-file": true, "errorfile": true},
	"http-response":       {"-f": true, "file": true, "lf-file": true, "errorfile": true},
	"http-after-response": {"-f": true},
	"http-error":          {"file": true, "lf-file": true, "errorfile": true},
	"tcp-request":         {"-f": true},
	"tcp-response":        {"-f": true},
	"use_backend":         {"-f": true},
	"use-server":          {"-f": true},
	"redirect":            {"-f": true},
	"stick":               {"-f": true},
	"monitor":             {"-f": true},
	"block":               {"-f": true},
}

// notResolved names the file words default-path does not resolve yet
// (TLS files go with crt-base/ca-base; the others are read after
// parsing): they stay relative to the working directory, with a pending
// notice. "" is the keyword's first argument.
var notResolved = map[string]map[string]bool{
	"bind":                {"crt": true, "ca-file": true, "crl-file": true, "crt-list": true, "ca-verify-file": true},
	"server":              {"crt": true, "ca-file": true, "crl-file": true},
	"default-server":      {"crt": true, "ca-file": true, "crl-file": true},
	"server-state-file":   {"": true},
	"ssl-dh-param-file":   {"": true},
	"h1-case-adjust-file": {"": true},
}

// pathAt names, per keyword, the word index (0 = keyword) holding a file.
var pathAt = map[string]int{"errorfile": 2, "lua-load": 1, "lua-load-per-thread": 1}

// fileArg finds the file name of a map converter or a map/acl action:
// map_str(FILE,...), set-map(FILE), add-acl(FILE)...
var fileArg = regexp.MustCompile(`\b(map(?:_[a-z0-9]+)?|set-map|del-map|add-acl|del-acl)\(([^,)]+)`)

// withDefaultPath returns the words of a line with its relative file
// names resolved against the default-path directory (words itself when
// nothing changes).
func (l *loader) withDefaultPath(pos confparse.Pos, words []string) []string {
	l.renamed = l.renamed[:0]
	if l.dir == "" || len(words) == 0 || l.kind == "program" {
		return words
	}
	out := words
	set := func(i int, v string) {
		if &out[0] == &words[0] {
			out = append([]string(nil), words...)
		}
		out[i] = v
	}
	kw := words[0]
	if i, ok := pathAt[kw]; ok && i < len(words) && isRelative(words[i]) {
		set(i, l.resolve(words[i]))
	}
	after, unresolved := pathAfter[kw], notResolved[kw]
	for i, w := range words {
		if i > 0 && (unresolved[words[i-1]] || i == 1 && unresolved[""]) && isRelative(w) {
			l.notBuilt(pos, fmt.Sprintf("default-path for the file of '%s'", strings.Join(words[:i], " ")))
		}
		if i > 0 && after[words[i-1]] && isRelative(w) {
			set(i, l.resolve(w))
			continue
		}
		if m := fileArg.FindAllStringSubmatchIndex(w, -1); m != nil {
			set(i, l.resolveCalls(w, m))
		}
	}
	return out
}

// resolveCalls rewrites the file argument of each call found in w.
func (l *loader) resolveCalls(w string, m [][]int) string {
	res, last := "", 0
	for _, loc := range m {
		file := w[loc[4]:loc[5]]
		res += w[last:loc[4]]
		if isRelative(file) {
			file = l.resolve(file)
		}
		res += file
		last = loc[5]
	}
	return res + w[last:]
}

// resolve joins a relative file name to the default-path directory and
// remembers the pair for namesAsWritten.
func (l *loader) resolve(name string) string {
	full := filepath.Join(l.dir, name)
	l.renamed = append(l.renamed, [2]string{full, name})
	return full
}

// namesAsWritten puts back, in the diagnostics emitted since index from,
// the file names as the line wrote them: the reference, having changed
// directory, names the files that way.
func (l *loader) namesAsWritten(from int) {
	for i := from; i < len(l.diags); i++ {
		for _, r := range l.renamed {
			l.diags[i].Message = strings.ReplaceAll(l.diags[i].Message, r[0], r[1])
		}
	}
}

// keepWritten remembers on the line just stored the words as written
// when withDefaultPath changed them, so the configuration prints back as
// it was read.
func (l *loader) keepWritten(written, words []string) {
	if len(written) > 0 && &written[0] != &words[0] {
		last := &l.sec.Lines[len(l.sec.Lines)-1]
		last.Written = written[1:]
	}
}

// written gives the arguments as the configuration wrote them.
func (d Directive) written() []string {
	if d.Written != nil {
		return d.Written
	}
	return d.Args
}

// isRelative: a non-empty file name not starting at the root.
func isRelative(p string) bool { return p != "" && !filepath.IsAbs(p) }

func init() { globalBuilt["default-path"] = true }
