package apisock

import (
	"sort"
	"strings"
)

// fingerprint counts a word's character transitions, as the reference's
// update_word_fingerprint: a 32x32 table indexed from*32+to, with
// 1..26 letters, 27 digits, 28 anything else and the word's ends; row 0
// marks which characters appear.
type fingerprint [1024]uint8

func (fp *fingerprint) add(word string) {
	from := 28
	for i := 0; i < len(word); i++ {
		c := word[i]
		var to int
		switch {
		case c >= 'a' && c <= 'z':
			to = int(c-'a') + 1
		case c >= 'A' && c <= 'Z':
			to = int(c-'A') + 1
		case c >= '0' && c <= '9':
			to = 27
		default:
			to = 28
		}
		fp[to] = 1
		fp[32*from+to]++
		from = to
	}
	fp[32*from+28]++
}

func (fp *fingerprint) distance(o *fingerprint) int {
	d := 0
	for i := range fp {
		k := int(fp[i]) - int(o[i])
		if k < 0 {
			k = -k
		}
		d += k
	}
	return d
}

// maxPrefixWords and maxMatches are CLI_PREFIX_KW_NB and CLI_MAX_MATCHES.
const (
	maxPrefixWords = 5
	maxMatches     = 5
)

const usageTail = "  help [<command>]                        : list matching or all commands\n" +
	"  prompt                                  : toggle interactive mode with prompt\n" +
	"  quit                                    : disconnect\n"

// usage builds the reference's help or unknown-command answer for args
// (cli_gen_usage_msg): the commands matching the longest run of leading
// words, or the closest ones by fingerprint distance, sorted by usage.
func usage(table []*command, args []string) string {
	help := len(args) > 0 && args[0] == "help"
	if help {
		args = args[1:]
	}
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	// The number of leading words some command matches exactly.
	length := 0
	for _, c := range table {
		for i := 0; i < maxPrefixWords && i < len(c.words); i++ {
			if arg(i) == "" || c.words[i] != arg(i) {
				break
			}
			length = max(length, i+1)
		}
	}
	var b strings.Builder
	switch {
	case help:
		b.WriteString("The following commands are valid at this level:\n")
	case length == 0 && arg(0) == "":
		b.WriteString("Unknown command. Please enter one of the following commands only:\n")
	default:
		b.WriteString("Unknown command, but maybe one of the following ones is a better match:\n")
	}
	prefixOK := func(c *command) bool {
		for i := 0; i < length; i++ {
			if i >= len(c.words) || arg(i) == "" || c.words[i] != arg(i) {
				return false
			}
		}
		return true
	}
	type match struct {
		c    *command
		dist int
	}
	var matches []match
	if arg(length) != "" {
		for _, c := range table {
			if c.usage == "" || !prefixOK(c) {
				continue
			}
			var ws, ls fingerprint
			total := 0
			for i := length; i < maxPrefixWords && arg(i) != ""; i++ {
				ws.add(arg(i))
				total += len(arg(i))
			}
			for i := length; i < maxPrefixWords && i < len(c.words); i++ {
				ls.add(c.words[i])
				total += len(c.words[i])
			}
			d := ws.distance(&ls)
			if d >= 5*total/2 {
				continue
			}
			// Keep the best maxMatches, stable for equal distances
			// (a later entry only displaces a strictly worse one).
			if len(matches) == maxMatches && d >= matches[maxMatches-1].dist {
				continue
			}
			if len(matches) == maxMatches {
				matches = matches[:maxMatches-1]
			}
			at := sort.Search(len(matches), func(i int) bool { return matches[i].dist > d })
			matches = append(matches[:at], append([]match{{c, d}}, matches[at:]...)...)
		}
	}
	var entries []*command
	for _, m := range matches {
		if m.dist > 5*matches[0].dist/2 {
			break
		}
		entries = append(entries, m.c)
	}
	if len(matches) == 0 {
		for _, c := range table {
			if c.usage != "" && prefixOK(c) {
				entries = append(entries, c)
			}
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].usage < entries[j].usage })
	for _, c := range entries {
		b.WriteString("  " + c.usage + "\n")
	}
	b.WriteString(usageTail)
	return b.String()
}
