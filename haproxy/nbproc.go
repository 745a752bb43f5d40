package haproxy

// nbproc is refused as the reference 2.6 refuses it (a fatal alert, see
// globalKeywords["nbproc"]): nothing is left for an engine to act on, so
// it is no "accepted but not acted on" keyword.
func init() { globalBuilt["nbproc"] = true }
