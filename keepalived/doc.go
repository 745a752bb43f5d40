// Package keepalived turns a keepalived.conf into a typed, validated
// configuration model, reproducing what Keepalived 2.2.7's `-t` reports;
// it opens no sockets.
//
// Reading follows the reference: the file is read four times, by the
// parent (global_defs), then as the checker, VRRP and BFD processes do,
// each pass with its own active keywords (keywords.txt, derived from the
// reference's registrations and checked against the binary by
// TestKeywordTableMatchesReference). The walker reproduces the reference's
// block handling, including its quirks (an unknown block's `{` is
// "Unexpected '{' - ignoring" and its `}` closes the enclosing block).
//
// The keyword table maps a keyword path ("vrrp_instance/priority") to a
// handler; handlers share one rule per argument shape (readInt,
// readUnsigned, readDecimal, parseIP, address, valueBlock). Keywords
// without a dedicated handler are kept as Settings of the object they
// belong to, so nothing is dropped and Print can write them back.
//
// Not built yet: a keyword whose engine behaviour does not exist yet (the
// LVS/checker engine, BFD, most global tuning) is recorded in
// Config.Unbuilt with its file and line. It never changes `-t` output or
// exit code (the reference has nothing to say about it); Load returns
// these as Notice diagnostics ("WARNING: '...' is read but not built yet
// in Fulcrum") and cmd/keepalived prints them when the daemon starts.
//
// The vrrp_instance model (Instance) is what the VRRP engine consumes:
// net/netip addresses, time.Duration intervals, int priorities, the auth
// type and the 8 zero-padded password bytes, tracked objects with weights.
package keepalived
