package haproxy

import (
	"fmt"
	"strings"
)

// balanceAlgos are the algorithms "balance" takes.
var balanceAlgos = setOf("roundrobin", "static-rr", "leastconn", "first", "source", "uri", "url_param", "hdr", "random", "rdp-cookie", "hash")

// balanceProblem checks the arguments of a known balance algorithm as the
// reference does (args[0] is the algorithm as written); "" when fine.
func balanceProblem(args []string) string {
	algo := args[0]
	base, paren, hasParen := strings.Cut(algo, "(")
	name, _, closed := strings.Cut(paren, ")") // what follows ")" is not looked at
	switch base {
	case "uri":
		return uriBalanceProblem(args[1:])
	case "url_param":
		switch {
		case len(args) < 2:
			return "balance url_param requires an URL parameter name."
		case len(args) > 2 && args[2] != "check_post":
			return fmt.Sprintf("balance url_param only accepts 'check_post' modifier (got '%s').", args[2])
		}
	case "hdr":
		switch {
		case !closed || name == "":
			return "balance hdr requires an http header field name."
		case len(args) > 1 && args[1] != "use_domain_only":
			return fmt.Sprintf("balance %s only accepts 'use_domain_only' modifier (got '%s').", algo, args[1])
		}
	case "rdp-cookie":
		if hasParen && (!closed || name == "") {
			return "balance rdp-cookie : missing cookie name."
		}
	case "random":
		return randomBalanceProblem(hasParen, closed, name)
	case "hash":
		switch {
		case len(args) < 2:
			return "balance hash requires a sample expression."
		case len(args) > 2:
			return fmt.Sprintf("balance hash takes no other argument (got '%s').", args[2])
		}
	}
	return ""
}

// uriBalanceProblem checks "balance uri [len N] [depth N] [path-only]
// [whole]": each number must read as a positive integer.
func uriBalanceProblem(opts []string) string {
	for i := 0; i < len(opts); i++ {
		switch o := opts[i]; o {
		case "len", "depth":
			v := ""
			if i+1 < len(opts) {
				v = opts[i+1]
			}
			if atoi(v) <= 0 {
				return fmt.Sprintf("balance uri : '%s' expects a positive integer (got '%s').", o, v)
			}
			i++
		case "path-only", "whole":
		default:
			return fmt.Sprintf("balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '%s').", o)
		}
	}
	return ""
}

// randomBalanceProblem checks "random[(DRAWS)]".
func randomBalanceProblem(hasParen, closed bool, draws string) string {
	switch {
	case !hasParen || draws == "" && closed:
		return ""
	case !closed:
		return "balance random : missing closing parenthesis."
	case strings.TrimLeft(draws, "0123456789") != "":
		return fmt.Sprintf("balance random : unexpected character '%c' after argument.", strings.TrimLeft(draws, "0123456789")[0])
	case atoi(draws) < 1:
		return "balance random : number of draws must be at least 1."
	}
	return ""
}
