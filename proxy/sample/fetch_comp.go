package sample

// CompressionEnv is an Env that knows whether the response is being
// compressed (the compression filter's fetches).
type CompressionEnv interface {
	// ResponseCompression returns the algorithm compressing the
	// response (its configuration name) and whether there is one.
	ResponseCompression() (algo []byte, on bool)
}

func init() {
	for _, f := range []Fetch{
		// res.comp is always found: false without compression.
		{Name: "res.comp", Out: Bool, Fn: func(c *Call, out *Sample) Result {
			e, ok := c.Env.(CompressionEnv)
			on := false
			if ok {
				_, on = e.ResponseCompression()
			}
			*out = boolSample(on)
			return Found
		}},
		{Name: "res.comp_algo", Out: Str, Fn: func(c *Call, out *Sample) Result {
			e, ok := c.Env.(CompressionEnv)
			if !ok {
				return Miss
			}
			algo, on := e.ResponseCompression()
			if !on {
				return Miss
			}
			*out = strSample(algo)
			return Found
		}},
	} {
		f.HTTP = true
		RegisterFetch(f)
	}
}
