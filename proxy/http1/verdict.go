package http1

// Verdicts runs the codec over a client's byte stream the way the
// reference's front end does and returns, per request, the status the
// proxy would answer: 0 for a request it accepts and forwards, the error's
// status for one it refuses (after which it closes), and StatusTimeout for
// a request still incomplete when the stream ends (the reference answers
// it when `timeout http-request` strikes). It stops after an exchange that
// does not keep the connection alive.
//
// It is what the differential tests compare with the live reference, and a
// compact statement of how an engine uses Request and ChunkedDecoder.
func Verdicts(stream []byte, opts *Options) []int {
	var (
		out  []int
		req  Request
		body Body
	)
	for {
		if len(stream[skipEmptyLines(stream):]) == 0 {
			return out
		}
		n, err := req.Parse(stream, opts)
		if err == ErrIncomplete {
			return append(out, StatusTimeout)
		}
		if e, ok := err.(*Error); ok {
			return append(out, e.Status)
		}
		stream = stream[n:]
		body.StartRequest(&req, opts)
		used, err := body.Consume(stream)
		if err != nil {
			return append(out, err.(*Error).Status)
		}
		if !body.Done() {
			return append(out, StatusTimeout)
		}
		stream = stream[used:]
		out = append(out, 0)
		if !req.KeepAlive() {
			return out
		}
	}
}

// StatusTimeout is what the reference answers a request that is not
// complete when `timeout http-request` expires.
const StatusTimeout = 408

// StatusBadRequest is what the reference answers (and logs) when the
// client closes, or half-closes, before its request is complete.
const StatusBadRequest = 400
