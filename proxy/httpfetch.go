package proxy

// Ready-made HTTP conditions for engine users that build a Config in
// code; the adapter compiles configuration ACLs with the sample package.

// PathBeg is `path_beg PREFIX...`.
func PathBeg(prefixes ...string) Cond {
	return mustACL(append([]string{"path_beg", "--"}, prefixes...)...)
}

// HdrIs is `hdr(NAME) [-i] VALUE...`: any value of the header equals one
// of values (ASCII case-insensitively with ignoreCase). For Host, a port
// is part of the value, as in HAProxy.
func HdrIs(name string, ignoreCase bool, values ...string) Cond {
	words := []string{"hdr(" + name + ")"}
	if ignoreCase {
		words = append(words, "-i")
	}
	return mustACL(append(append(words, "--"), values...)...)
}
