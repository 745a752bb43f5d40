package haproxy

import (
	"encoding/json"
	"strings"
)

// Format prints the configuration back as haproxy.cfg text: every
// section in file order with its active lines (comments and `.if` blocks
// are gone, the branches taken are kept). Reading the text again gives
// the same model.
func (c *Config) Format() string {
	var b strings.Builder
	for i, s := range c.Order {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeLine(&b, "", s.Kind, s.Args)
		for _, d := range s.Lines {
			writeLine(&b, "    ", d.Keyword, d.written())
		}
	}
	return b.String()
}

func writeLine(b *strings.Builder, indent, kw string, args []string) {
	b.WriteString(indent)
	b.WriteString(quoteWord(kw))
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(quoteWord(a))
	}
	b.WriteByte('\n')
}

// quoteWord returns a word that the reader turns back into w: bare when
// nothing in it is special, else single-quoted (nothing is special
// there), else double-quoted with escapes.
func quoteWord(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\r\n\v\f#\"'\\$") {
		return w
	}
	if !strings.ContainsAny(w, "'\r\n") {
		return "'" + w + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(w) + `"`
}

// JSON is the stable dump of the model used by the golden tests: maps are
// sorted by key, positions and internal bookkeeping left out.
func (c *Config) JSON() ([]byte, error) {
	return json.MarshalIndent(c, "", "  ")
}
