// Package haproxy turns a parsed haproxy.cfg into a typed, validated
// configuration model; it opens no sockets.
//
// Load reads the files with confparse/haproxycfg, walks every section and
// applies keyword tables (not a switch): globalKeywords and globalShapes,
// proxyRules (each with the capability it needs, an argument shape shared
// with other keywords, a handler that checks the arguments with the
// reference's wording and fills the model, and whether the model carries
// it for the engines), argsRequired (the message for a keyword without its
// arguments), the bind and server option tables with serverChecks, the
// registered fetch, converter and rule-action names, and the auxiliary
// sections' lists. One rule per argument shape (shapes.go: flag, on/off,
// choice, time, integer range, digits; addresses in addr.go; times in
// timefmt.go) serves many keywords. Keywords with richer arguments have
// their checks beside them: options (optionargs.go), single-valued
// keywords (maxargs.go), timeouts (timeoutargs.go), actions
// (actionargs.go), stick tables and rules (stickargs.go), health-check
// steps, compression and source (checkargs.go; the compression filter's
// rules in compression.go), cookie and stats
// (cookiestats.go), where a keyword may appear (proxycontext.go), ACL
// patterns (aclpatterns.go), global values (globalargs.go, sslopts.go)
// and the auxiliary sections (auxargs.go); the "did you mean" candidates
// are in the reference's order (suggestorder.go).
// After parsing it makes the reference's post-parse checks in the same
// order: backend references and modes, missing timeouts, duplicate
// servers, then server name resolution.
//
// Diagnostics are the reference's stream: each Message is the text the
// reference prints after "config : " (location included, in whichever of
// its forms it uses), in the same order, trailers included ("Error(s)
// found in configuration file", "Fatal errors found in configuration.",
// "Failed to initialize server(s) addr."). Verdict gives the exit status.
//
// Keywords that are accepted but not acted on by the engines yet are NOT
// reported among those diagnostics: the reference prints nothing for
// them, so a warning there would change `haproxy -c` (and make `-dW`
// fail). They are collected in Config.Pending instead, printed as
// warnings when the daemon starts, and by `-c` only when the environment
// variable FULCRUM_SHOW_PENDING=1 is set.
package haproxy
