package haproxy

import "strings"

// Match is an ACL expression in typed form: the sample fetch with its
// arguments, the converters applied to it, the flags and the patterns.
type Match struct {
	Fetch      string   `json:"fetch"`
	FetchArgs  string   `json:"fetch_args,omitempty"` // inside the parentheses, as written
	Converters []string `json:"converters,omitempty"`
	IgnoreCase bool     `json:"ignore_case,omitempty"` // -i
	Method     string   `json:"method,omitempty"`      // -m
	Files      []string `json:"files,omitempty"`       // -f
	MapFile    bool     `json:"map,omitempty"`         // -M
	NoDNS      bool     `json:"no_dns,omitempty"`      // -n
	UniqueID   string   `json:"unique_id,omitempty"`   // -u
	Values     []string `json:"values,omitempty"`
}

// parseMatch reads "fetch[(args)][,conv...] [flags] [--] [values]".
func parseMatch(expr []string) Match {
	var m Match
	crit := expr[0]
	head, convs, _ := strings.Cut(crit, ",")
	if i := strings.IndexByte(crit, '('); i >= 0 && (strings.IndexByte(crit, ',') < 0 || i < strings.IndexByte(crit, ',')) {
		if j := matchingParen(crit, i); j > i {
			m.Fetch, m.FetchArgs = crit[:i], crit[i+1:j]
			convs = strings.TrimPrefix(crit[j+1:], ",")
			head = ""
		}
	}
	if head != "" {
		m.Fetch = head
	}
	if convs != "" {
		m.Converters = splitTopLevel(convs)
	}
	flags := true
	for i := 1; i < len(expr); i++ {
		w := expr[i]
		if flags && strings.HasPrefix(w, "-") {
			switch w {
			case "--":
				flags = false
			case "-i":
				m.IgnoreCase = true
			case "-n":
				m.NoDNS = true
			case "-M":
				m.MapFile = true
			case "-m", "-f", "-u":
				if i+1 < len(expr) {
					i++
					switch w {
					case "-m":
						m.Method = expr[i]
					case "-f":
						m.Files = append(m.Files, expr[i])
					case "-u":
						m.UniqueID = expr[i]
					}
				}
			default:
				flags = false
				m.Values = append(m.Values, w)
			}
			continue
		}
		flags = false
		m.Values = append(m.Values, w)
	}
	return m
}

// matchingParen finds the ')' closing the '(' at i, or -1.
func matchingParen(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// splitTopLevel cuts "a,b(c,d),e" at the commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Condition is an "if"/"unless" condition: terms joined by AND, the
// groups joined by OR ("||" or "or").
type Condition struct {
	Unless bool         `json:"unless,omitempty"`
	Groups [][]CondTerm `json:"groups"`
}

// CondTerm is one named ACL or anonymous ACL, possibly negated.
type CondTerm struct {
	Negate    bool   `json:"negate,omitempty"`
	ACL       string `json:"acl,omitempty"`
	Anonymous *Match `json:"anonymous,omitempty"`
}

// parseCondition reads the words after a rule's action, starting at
// "if" or "unless"; nil when there is none.
func parseCondition(words []string) *Condition {
	if len(words) == 0 || words[0] != "if" && words[0] != "unless" {
		return nil
	}
	c := &Condition{Unless: words[0] == "unless", Groups: [][]CondTerm{nil}}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "||" || strings.EqualFold(w, "or"):
			c.Groups = append(c.Groups, nil)
		case w == "!":
			// applies to the next term
			if i+1 < len(words) {
				next := words[i+1]
				words[i+1] = "!" + strings.TrimPrefix(next, "!")
			}
		case w == "{" || w == "!{":
			end := i + 1
			for end < len(words) && words[end] != "}" {
				end++
			}
			term := CondTerm{Negate: w == "!{"}
			if end > i+1 {
				m := parseMatch(words[i+1 : end])
				term.Anonymous = &m
			}
			c.Groups[len(c.Groups)-1] = append(c.Groups[len(c.Groups)-1], term)
			i = end
		default:
			term := CondTerm{Negate: strings.HasPrefix(w, "!"), ACL: strings.TrimPrefix(w, "!")}
			c.Groups[len(c.Groups)-1] = append(c.Groups[len(c.Groups)-1], term)
		}
	}
	return c
}
