// Package sample is HAProxy's sample model: typed samples and the casts
// between them, the registry of sample fetches (layer 4 and HTTP),
// converter chains (`fetch(args),conv1(args),conv2`), pattern matching
// with every `-m` method, ACL expressions with HAProxy's keyword
// variants (`path_beg` = path -m beg, `hdr_dom`, ...), and `%[expr]`
// templates.
//
// The package does not know the engine: fetches read a connection
// through the small Env interface, which the engine's Session
// implements. Everything is compiled once, at configuration time, and
// evaluation of the common fetches does not allocate.
//
// Using it from other parts of the engine:
//
//	// A value (set-header, log-format %[...], stick on EXPR):
//	x, err := sample.ParseExpr("req.hdr(host),lower", &sample.Options{ReadFile: os.ReadFile})
//	var s sample.Sample
//	if x.Eval(sess, &s) == sample.Found { key := s.AppendText(nil) }
//
//	// A string with %[...] parts (use_backend be_%[...], header values):
//	t, err := sample.ParseTemplate("be_%[path,field(2,/)]", opts)
//	name := t.Append(buf[:0], sess)
//
//	// An ACL: "FETCH [flags] [patterns]" as the config words.
//	a, err := sample.ParseACL([]string{"path_beg", "-i", "/api"}, opts)
//	switch a.Match(sess) { case sample.Found, sample.Miss, sample.Wait: }
//
// New fetches (stick-table sc_*, src_* ...) are added with RegisterFetch
// from an init function; a fetch needing more than Env offers
// type-asserts c.Env to its own interface, which the Session implements.
// Errors name the problem in HAProxy's words; an *UnknownError marks a
// fetch or converter the registry does not have.
package sample
