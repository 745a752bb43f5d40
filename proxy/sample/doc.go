// Package sample is HAProxy's sample model: typed samples and the casts
// between them, the registry of sample fetches (layer 4 and HTTP),
// converter chains (`fetch(args),conv1(args),conv2`), pattern matching
// with every `-m` method, ACL expressions with HAProxy's keyword
// variants (`path_beg` = path -m beg, `hdr_dom`, ...), and `%[expr]`
// templates.
//
// The package does not know the engine: fetches read a connection
// through the small Env interface, which the engine's session
// implements. Parsing happens once at configuration time (ParseExpr,
// ParseACL, ParseTemplate); evaluation does not allocate for fetches
// that read the request in place.
package sample
