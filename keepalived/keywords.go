package keepalived

import (
	_ "embed"
	"strings"
)

// keywordsText is the reference's keyword tree for each of its four
// configuration passes (parent, checker, vrrp, bfd), one keyword a line,
// nesting by indentation. Flags after the name: `-` the keyword is
// registered but inactive in that pass (its block is skipped silently),
// `=` its handler reads a value block itself (`virtual_ipaddress { ... }`),
// `{` it has sub-keywords, `a` its handler needs an argument (the
// reference stops with "missing a parameter" when there is none), `x` it
// is a Fulcrum extension the reference does not know. It was derived from the registration order of
// Keepalived 2.2.7 with the Debian build's options and is checked against
// the reference binary by TestKeywordTableMatchesReference.
//
//go:embed keywords.txt
var keywordsText string

// Pass is one of the reference's configuration readings. `keepalived -t`
// reads the file four times: the parent (global_defs), then the checker,
// VRRP and BFD processes, each with its own active keywords.
type Pass int

// The passes, in the order the reference runs them under -t.
const (
	PassParent Pass = iota
	PassChecker
	PassVRRP
	PassBFD
)

var passNames = map[string]Pass{"parent": PassParent, "checker": PassChecker, "vrrp": PassVRRP, "bfd": PassBFD}

// keyword is one node of a pass's keyword tree.
type keyword struct {
	name       string
	path       string // "vrrp_instance/authentication/auth_pass"
	active     bool
	valueBlock bool
	needsArg   bool // the reference's handler reads word 1 unchecked
	extension  bool // Fulcrum's own: the reference calls it unknown
	sub        []*keyword
}

var keywordTrees = parseKeywordTrees(keywordsText)

func parseKeywordTrees(text string) map[Pass][]*keyword {
	trees := map[Pass][]*keyword{}
	var cur Pass
	var stack []*keyword // stack[d] is the last keyword at depth d+1
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		if name, ok := strings.CutPrefix(line, "pass "); ok {
			cur = passNames[name]
			stack = stack[:0]
			continue
		}
		depth := len(line) - len(strings.TrimLeft(line, " "))
		fields := strings.Fields(line)
		k := &keyword{name: fields[0], active: true}
		if len(fields) > 1 {
			k.active = !strings.Contains(fields[1], "-")
			k.valueBlock = strings.Contains(fields[1], "=")
			k.needsArg = strings.Contains(fields[1], "a")
			k.extension = strings.Contains(fields[1], "x")
		}
		stack = stack[:depth-1]
		if depth == 1 {
			k.path = k.name
			trees[cur] = append(trees[cur], k)
		} else {
			parent := stack[depth-2]
			k.path = parent.path + "/" + k.name
			parent.sub = append(parent.sub, k)
		}
		stack = append(stack, k)
	}
	return trees
}
