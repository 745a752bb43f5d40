package http1

// Limits mirror the tune.* settings that bound a message head.
type Limits struct {
	BufSize    int // tune.bufsize: the whole buffer a head must fit in
	MaxRewrite int // tune.maxrewrite: room kept free for header rewrites
	MaxHeaders int // tune.http.maxhdr: a head with this many headers is refused
}

// DefaultLimits are HAProxy 2.6's defaults.
func DefaultLimits() Limits {
	return Limits{BufSize: 16384, MaxRewrite: 1024, MaxHeaders: 101}
}

// htxOverhead is what the reference's internal message representation
// (HTX) spends of the buffer besides the blocks themselves; measured
// against the reference: a head whose blocks cost one byte more than
// BufSize-MaxRewrite-htxOverhead is refused.
const htxOverhead = 49

// Per-block costs of the reference's HTX representation: every start line,
// header and end-of-headers marker is one block with an 8-byte descriptor,
// and the start line carries a 20-byte fixed part.
const (
	htxBlock     = 8
	htxStartLine = 20
)

// headBudget is the largest head cost that fits, or no bound when the
// limits are unset.
func (l *Limits) headBudget() int {
	if l.BufSize <= 0 {
		return int(^uint(0) >> 1)
	}
	return l.BufSize - l.MaxRewrite - htxOverhead
}

// Options select the strictness of a parse.
type Options struct {
	Limits Limits
	// AcceptInvalid is `option accept-invalid-http-request` (for requests)
	// or `option accept-invalid-http-response` (for responses).
	AcceptInvalid bool
}

// DefaultOptions are the reference's defaults: strict, default limits.
func DefaultOptions() Options { return Options{Limits: DefaultLimits()} }
