package sample

// The fetches of the PROXY header a connection started with (bind
// accept-proxy).

// ProxyEnv is an Env whose client connection may have sent a PROXY
// header.
type ProxyEnv interface {
	// ProxyHeader reports whether one was received, and the value of its
	// v2 TLV of type t (ok false without one).
	ProxyHeader(t byte) (received bool, value []byte, ok bool)
}

// The v2 TLV types the fetches read.
const (
	ppAuthority byte = 0x02
	ppUniqueID  byte = 0x05
)

func init() {
	for _, f := range []Fetch{
		{Name: "fc_rcvd_proxy", Out: Bool, Fn: func(c *Call, out *Sample) Result {
			pe, ok := c.Env.(ProxyEnv)
			rcvd := false
			if ok {
				rcvd, _, _ = pe.ProxyHeader(0)
			}
			*out = boolSample(rcvd)
			return Found
		}},
		{Name: "fc_pp_authority", Out: Str, Fn: ppTLV(ppAuthority)},
		{Name: "fc_pp_unique_id", Out: Str, Fn: ppTLV(ppUniqueID)},
	} {
		RegisterFetch(f)
	}
}

// ppTLV fetches the value of the PROXY header's TLV of type t; none
// without a header or without that TLV.
func ppTLV(t byte) func(c *Call, out *Sample) Result {
	return func(c *Call, out *Sample) Result {
		pe, ok := c.Env.(ProxyEnv)
		if !ok {
			return Miss
		}
		if _, v, ok := pe.ProxyHeader(t); ok {
			*out = strSample(v)
			return Found
		}
		return Miss
	}
}
