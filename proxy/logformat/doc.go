// Package logformat compiles HAProxy 2.6 log-format strings (`%ci`,
// `%{+Q}r`, `%[src]`, literal text) and renders them into a reused byte
// buffer from the values of one connection or request.
//
// It knows nothing of the engine: the caller fills a Values, and sample
// expressions (`%[...]`) come compiled from a function given at compile
// time, so the sample-fetch package can be plugged in by the adapter.
package logformat
