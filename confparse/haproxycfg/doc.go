// Package haproxycfg reads haproxy.cfg text the way HAProxy 2.6 does and
// structures it into sections, with a position on every word.
//
// Reading is two steps. A hand-written line reader (reader.go, lexer.go)
// reproduces HAProxy's parse_line byte for byte: quotes, backslash escapes,
// environment expansion inside double quotes, '#' comments, the 64-word
// limit, the missing-LF and NUL checks, and the `.if/.elif/.else/.endif`
// and `.notice/.warning/.alert/.diag` directives, which the reference also
// applies line by line after lexing (so an unmatched quote in a false
// branch is still fatal). This part is hand written because HAProxy's
// rules are stateful per byte (quote toggles join words, `${NAME[*]}`
// splits them) and its error messages point at byte offsets.
//
// The active lines then become a token stream (a Header token per section
// header line, a Lines token per run of keyword lines) that a participle
// grammar (grammar.go) turns into a Config: keyword lines
// outside any section, then sections each with their header words and
// keyword lines. Keyword meanings live in package haproxy, not here.
//
// Diagnostics carry the reference's wording; their Message is the text the
// reference prints after "config : ", location included, because the
// reference varies the location's form ("parsing [f:l]: ", "parsing [f:l] :
// ", "[f:l] : ", none).
package haproxycfg
