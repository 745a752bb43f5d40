package sample

import (
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"fulcrum/proxy/tlshello"
)

// The layer-4/5 and internal-state fetches.

func init() {
	for _, f := range []Fetch{
		{Name: "src", Out: Addr, Fn: func(c *Call, out *Sample) Result {
			src, _ := c.Env.Addrs()
			*out = ipSample(src.Addr())
			return Found
		}},
		{Name: "dst", Out: Addr, Fn: func(c *Call, out *Sample) Result {
			_, dst := c.Env.Addrs()
			*out = ipSample(dst.Addr())
			return Found
		}},
		{Name: "src_port", Out: Int, Fn: func(c *Call, out *Sample) Result {
			src, _ := c.Env.Addrs()
			*out = intSample(int64(src.Port()))
			return Found
		}},
		{Name: "dst_port", Out: Int, Fn: func(c *Call, out *Sample) Result {
			_, dst := c.Env.Addrs()
			*out = intSample(int64(dst.Port()))
			return Found
		}},
		{Name: "req.len", Out: Int, Fn: func(c *Call, out *Sample) Result {
			if n, ok := htxLength(c); ok {
				*out = intSample(n)
				return Found
			}
			return bufferedLen(c, out)
		}},
		{Name: "req.payload", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 2, Out: Bin, Check: checkPayload, Fn: payloadOf(requestData)},
		{Name: "req.ssl_sni", Out: Str, Fn: func(c *Call, out *Sample) Result {
			data, final := c.Env.Buffered()
			sni, err := tlshello.SNI(data)
			if r := tlsResult(err, final); r != Found {
				return r
			}
			if sni == "" {
				return Miss
			}
			*out = strSample([]byte(sni))
			return Found
		}},
		{Name: "req.ssl_hello_type", Out: Int, Fn: helloTypeOf(requestData)},
		{Name: "req.ssl_ver", Out: Int, Match: "dotted_ver", Fn: func(c *Call, out *Sample) Result {
			data, final := c.Env.Buffered()
			v, err := tlshello.Version(data)
			r := tlsResult(err, final)
			if r == Found {
				// major<<16 | minor, as HAProxy (3.1 = 0x30001).
				*out = intSample(int64(v))
			}
			return r
		}},
		{Name: "req.rdp_cookie", Args: []ArgType{ArgStr}, Out: Str, Fn: func(c *Call, out *Sample) Result {
			data, final := c.Env.Buffered()
			v, r := RDPCookie(data, c.Args[0].Str, final)
			*out = strSample(v)
			return r
		}},
		{Name: "req.rdp_cookie_cnt", Args: []ArgType{ArgStr}, Out: Int, Fn: func(c *Call, out *Sample) Result {
			data, final := c.Env.Buffered()
			_, r := RDPCookie(data, c.Args[0].Str, final)
			if r == Wait && !final {
				return Wait
			}
			*out = intSample(b2i(r == Found))
			return Found
		}},
		{Name: "wait_end", Out: Bool, Fn: func(c *Call, out *Sample) Result {
			if _, final := c.Env.Buffered(); !final {
				return Wait
			}
			*out = boolSample(true)
			return Found
		}},
		{Name: "always_true", Out: Bool, Fn: func(c *Call, out *Sample) Result { *out = boolSample(true); return Found }},
		{Name: "always_false", Out: Bool, Fn: func(c *Call, out *Sample) Result { *out = boolSample(false); return Found }},
		{Name: "nbsrv", Args: []ArgType{ArgBackend}, Out: Int, Fn: statFetch(StatUsableServers, true)},
		{Name: "be_conn", Args: []ArgType{ArgBackend}, Out: Int, Fn: statFetch(StatBackendConns, true)},
		{Name: "queue", Args: []ArgType{ArgBackend}, Out: Int, Fn: statFetch(StatQueue, true)},
		{Name: "fe_conn", Args: []ArgType{ArgFrontend}, Out: Int, Fn: statFetch(StatFrontendConns, false)},
		{Name: "srv_is_up", Args: []ArgType{ArgServer}, MinArgs: 1, Out: Bool, Fn: srvFetch(StatServerUp, Bool)},
		{Name: "srv_conn", Args: []ArgType{ArgServer}, MinArgs: 1, Out: Int, Fn: srvFetch(StatServerConns, Int)},
		{Name: "srv_queue", Args: []ArgType{ArgServer}, MinArgs: 1, Out: Int, Fn: srvFetch(StatServerQueue, Int)},
		{Name: "fe_name", Out: Str, Fn: func(c *Call, out *Sample) Result {
			fe, _ := c.Env.Proxies()
			*out = strSample([]byte(fe))
			return Found
		}},
		{Name: "be_name", Out: Str, Fn: func(c *Call, out *Sample) Result {
			_, be := c.Env.Proxies()
			if be == "" {
				return Miss
			}
			*out = strSample([]byte(be))
			return Found
		}},
		{Name: "var", Args: []ArgType{ArgVar, ArgStr}, MinArgs: 1, Out: Str, Fn: func(c *Call, out *Sample) Result {
			v, ok := c.Env.Var(c.Args[0].Str)
			if !ok {
				if !c.Args[1].Set {
					return Miss
				}
				v = c.Args[1].Str
			}
			*out = strSample([]byte(v))
			return Found
		}},
		{Name: "env", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Str, Fn: func(c *Call, out *Sample) Result {
			v, ok := os.LookupEnv(c.Args[0].Str)
			if !ok {
				return Miss
			}
			*out = strSample([]byte(v))
			return Found
		}},
		{Name: "date", Args: []ArgType{ArgInt, ArgStr}, Out: Int, Fn: func(c *Call, out *Sample) Result {
			*out = intSample(time.Now().Unix() + c.Args[0].Int)
			return Found
		}},
		{Name: "rand", Args: []ArgType{ArgInt}, Out: Int, Fn: func(c *Call, out *Sample) Result {
			n := rand.Int64N(1 << 32)
			if c.Args[0].Set {
				n = n * c.Args[0].Int >> 32
			}
			*out = intSample(n)
			return Found
		}},
		// Constants.
		{Name: "int", Args: []ArgType{ArgInt}, MinArgs: 1, Out: Int, Fn: func(c *Call, out *Sample) Result {
			*out = intSample(c.Args[0].Int)
			return Found
		}},
		{Name: "bool", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Bool, Check: checkBoolConst, Fn: func(c *Call, out *Sample) Result {
			*out = boolSample(boolConst(c.Args[0].Str))
			return Found
		}},
		{Name: "str", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Str, Fn: func(c *Call, out *Sample) Result {
			*out = strSample([]byte(c.Args[0].Str))
			return Found
		}},
		{Name: "bin", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Bin, Check: func(a []Arg) error {
			_, err := parseHex(a[0].Str)
			return err
		}, Fn: func(c *Call, out *Sample) Result {
			b, _ := parseHex(c.Args[0].Str)
			*out = binSample(b)
			return Found
		}},
		{Name: "ipv4", Args: []ArgType{ArgStr}, MinArgs: 1, Out: IPv4, Check: checkConstIP(IPv4), Fn: constIP(IPv4)},
		{Name: "ipv6", Args: []ArgType{ArgStr}, MinArgs: 1, Out: IPv6, Check: checkConstIP(IPv6), Fn: constIP(IPv6)},
	} {
		RegisterFetch(f)
	}
}

// fetchAliases are the older names HAProxy still accepts.
var fetchAliases = map[string]string{
	"req_len": "req.len", "req_ssl_sni": "req.ssl_sni", "req_ssl_hello_type": "req.ssl_hello_type",
	"req_ssl_ver": "req.ssl_ver", "rep_ssl_hello_type": "res.ssl_hello_type",
	"rdp_cookie": "req.rdp_cookie", "rdp_cookie_cnt": "req.rdp_cookie_cnt", "req.ssl_st_ext": "",
	"hdr": "req.hdr", "hdr_cnt": "req.hdr_cnt", "hdr_ip": "req.hdr_ip", "hdr_val": "req.hdr_val",
	"cook": "req.cook", "cook_cnt": "req.cook_cnt", "cook_val": "req.cook_val",
	"shdr": "res.hdr", "shdr_cnt": "res.hdr_cnt", "shdr_ip": "res.hdr_ip", "shdr_val": "res.hdr_val",
	"scook": "res.cook", "scook_cnt": "res.cook_cnt", "scook_val": "res.cook_val",
	"req_ver": "req.ver", "resp_ver": "res.ver", "urlp": "url_param", "req_proto_http": "req.proto_http",
}

func init() {
	for k, v := range fetchAliases {
		if v == "" {
			delete(fetchAliases, k)
		}
	}
}

func checkPayload(a []Arg) error {
	if a[0].Int < 0 || a[1].Int < 0 {
		return errors.New("offset and length must not be negative")
	}
	return nil
}

// payloadOf is req.payload(offset,length) and its response twin over
// the bytes src gives; length 0 means to the end of what is buffered.
func payloadOf(src dataSource) func(c *Call, out *Sample) Result {
	return func(c *Call, out *Sample) Result {
		data, final := src(c)
		off, n := int(c.Args[0].Int), int(c.Args[1].Int)
		end := len(data)
		if n > 0 {
			end = off + n
		}
		if end > len(data) || off > len(data) {
			if final {
				return Miss
			}
			return Wait
		}
		*out = binSample(data[off:end])
		return Found
	}
}

// bufferedLen is req.len in tcp mode, made once.
var bufferedLen = lenOf(requestData)

// lenOf is req.len and its response twin: how many bytes src holds,
// a value that may grow until they are final.
func lenOf(src dataSource) func(c *Call, out *Sample) Result {
	return func(c *Call, out *Sample) Result {
		data, final := src(c)
		*out = intSample(int64(len(data)))
		if !final {
			return Wait
		}
		return Found
	}
}

// helloTypeOf is req.ssl_hello_type and its response twin over the
// bytes src gives.
func helloTypeOf(src dataSource) func(c *Call, out *Sample) Result {
	return func(c *Call, out *Sample) Result {
		data, final := src(c)
		t, err := tlshello.HelloType(data)
		r := tlsResult(err, final)
		if r == Found {
			*out = intSample(int64(t))
		}
		return r
	}
}

// tlsResult maps a tlshello error onto a Result.
func tlsResult(err error, final bool) Result {
	switch {
	case err == nil:
		return Found
	case errors.Is(err, tlshello.ErrNeedMore) && !final:
		return Wait
	}
	return Miss
}

// RDPCookie is req.rdp_cookie(name): the value of an RDP connection
// request's "Cookie: name=value" line (any name when name is ""), read
// as HAProxy's fetch_rdp_cookie_name: after the 11-byte TPKT and X.224
// headers.
func RDPCookie(data []byte, name string, final bool) ([]byte, Result) {
	more := Wait
	if final {
		more = Miss
	}
	d := data
	if len(d) <= 11 {
		return nil, more
	}
	d = d[11:]
	if len(d) <= 7 {
		return nil, more
	}
	if !strings.EqualFold(string(d[:7]), "Cookie:") {
		return nil, Miss
	}
	d = d[7:]
	for len(d) > 0 && d[0] == ' ' {
		d = d[1:]
	}
	if name != "" {
		if len(d) <= len(name) {
			return nil, more
		}
		if d[len(name)] != '=' || !strings.EqualFold(string(d[:len(name)]), name) {
			return nil, Miss
		}
		d = d[len(name)+1:]
	} else {
		for len(d) > 0 && d[0] != '=' {
			if d[0] == '\r' || d[0] == '\n' {
				return nil, Miss
			}
			d = d[1:]
		}
		if len(d) < 1 {
			return nil, more
		}
		d = d[1:]
	}
	end := 0
	for end < len(d) && d[end] != '\r' {
		end++
	}
	if len(d)-end < 2 {
		return nil, more
	}
	if d[end+1] != '\n' {
		return nil, Miss
	}
	return d[:end], Found
}

// statFetch reads a proxy figure; without an argument the current
// backend (or, before one is chosen, the frontend: a listen section).
func statFetch(what Stat, backend bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		name := c.Args[0].Str
		if name == "" {
			fe, be := c.Env.Proxies()
			name = fe
			if backend && be != "" {
				name = be
			}
		}
		n, _ := c.Env.Stat(what, name, "")
		*out = intSample(int64(n))
		return Found
	}
}

func srvFetch(what Stat, t Type) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		be := c.Args[0].Proxy
		if be == "" {
			fe, cur := c.Env.Proxies()
			be = cur
			if be == "" {
				be = fe
			}
		}
		n, ok := c.Env.Stat(what, be, c.Args[0].Str)
		if !ok {
			return Miss
		}
		*out = intSample(int64(n))
		if t == Bool {
			*out = boolSample(n != 0)
		}
		return Found
	}
}

func boolConst(s string) bool {
	n, err := strconv.Atoi(s)
	if err == nil {
		return n != 0
	}
	return strings.EqualFold(s, "true")
}

func checkBoolConst(a []Arg) error {
	if _, err := strconv.Atoi(a[0].Str); err == nil || strings.EqualFold(a[0].Str, "true") || strings.EqualFold(a[0].Str, "false") {
		return nil
	}
	return errors.New("expects a boolean")
}
