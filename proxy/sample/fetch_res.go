package sample

// The response-content fetches of tcp mode (res.len, res.payload,
// res.payload_lv, res.ssl_hello_type), and payload and payload_lv, which
// read the request or the response by where they run.

// ResponseData is what an Env has of a tcp-mode response read for
// inspection (tcp-response rules, stick store-response). An Env without
// it has no response bytes.
type ResponseData interface {
	// ResBuffered returns the response bytes read so far and whether no
	// more can arrive (the inspect delay expired, the buffer is full or
	// the server closed).
	ResBuffered() (data []byte, final bool)
	// InResponse reports whether the expression runs on the response:
	// payload and payload_lv then read it, as in HAProxy.
	InResponse() bool
}

// A dataSource gives the bytes a content fetch reads and whether no more
// can arrive.
type dataSource func(c *Call) ([]byte, bool)

func requestData(c *Call) ([]byte, bool) { return c.Env.Buffered() }

func responseData(c *Call) ([]byte, bool) {
	if r, ok := c.Env.(ResponseData); ok {
		return r.ResBuffered()
	}
	return nil, true
}

// directionData is the response's bytes where the expression runs on the
// response, else the request's.
func directionData(c *Call) ([]byte, bool) {
	if r, ok := c.Env.(ResponseData); ok && r.InResponse() {
		return r.ResBuffered()
	}
	return c.Env.Buffered()
}

func init() {
	for _, f := range []Fetch{
		{Name: "res.len", Out: Int, Fn: lenOf(responseData)},
		{Name: "res.payload", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 2, Out: Bin, Check: checkPayload, Fn: payloadOf(responseData)},
		{Name: "res.payload_lv", Args: []ArgType{ArgInt, ArgInt, ArgStr}, MinArgs: 2, Out: Bin, Check: checkPayloadLV, Fn: payloadLVOf(responseData)},
		{Name: "res.ssl_hello_type", Out: Int, Fn: helloTypeOf(responseData)},
		{Name: "payload", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 2, Out: Bin, Check: checkPayload, Fn: payloadOf(directionData)},
		{Name: "payload_lv", Args: []ArgType{ArgInt, ArgInt, ArgStr}, MinArgs: 2, Out: Bin, Check: checkPayloadLV, Fn: payloadLVOf(directionData)},
	} {
		RegisterFetch(f)
	}
}
