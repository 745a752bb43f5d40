package sample

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"strings"
)

// Fetches seen in real configurations beyond the core set.

func init() {
	for _, f := range []Fetch{
		{Name: "url_ip", Out: IPv4, HTTP: true, Fn: func(c *Call, out *Sample) Result {
			host, _, r := absoluteHost(c)
			if r != Found {
				return r
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !ip.Is4() {
				return Miss
			}
			*out = ipSample(ip)
			return Found
		}},
		{Name: "url_port", Out: Int, HTTP: true, Fn: func(c *Call, out *Sample) Result {
			_, port, r := absoluteHost(c)
			if r != Found {
				return r
			}
			n, _ := strToInt([]byte(port))
			if port == "" {
				n = 80
			}
			*out = intSample(n)
			return Found
		}},
		{Name: "req.payload_lv", Args: []ArgType{ArgInt, ArgInt, ArgStr}, MinArgs: 2, Out: Bin, Check: checkPayloadLV, Fn: payloadLVOf(requestData)},
		{Name: "uuid", Args: []ArgType{ArgInt}, Out: Str, Check: func(a []Arg) error {
			if a[0].Set && a[0].Int != 4 {
				return fmt.Errorf("unsupported UUID version %d", a[0].Int)
			}
			return nil
		}, Fn: func(c *Call, out *Sample) Result {
			var b [16]byte
			rand.Read(b[:])
			b[6] = b[6]&0x0f | 0x40
			b[8] = b[8]&0x3f | 0x80
			*out = strSample(fmt.Appendf(nil, "%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
			return Found
		}},
	} {
		RegisterFetch(f)
	}
}

// absoluteHost splits the host and port of an absolute request URI
// ("http://host:port/..."); others have none.
func absoluteHost(c *Call) (host, port string, res Result) {
	r, res := request(c)
	if r == nil {
		return "", "", res
	}
	u := string(r.URI)
	i := strings.Index(u, "://")
	if i < 0 {
		return "", "", Miss
	}
	u = u[i+3:]
	if j := strings.IndexAny(u, "/?"); j >= 0 {
		u = u[:j]
	}
	host, port, _ = strings.Cut(u, ":")
	return host, port, Found
}

func checkPayloadLV(a []Arg) error {
	if a[0].Int < 0 || a[1].Int <= 0 || a[1].Int > 4 {
		return fmt.Errorf("length field must be 1 to 4 bytes at a non-negative offset")
	}
	return nil
}

// payloadLVOf is req.payload_lv(offset1,length[,offset2]) and its
// response twin over the bytes src gives: a length
// field of length bytes (big endian) at offset1, then that many bytes
// right after it or at offset2 (relative to offset1+length when it
// starts with + or -).
func payloadLVOf(src dataSource) func(c *Call, out *Sample) Result {
	return func(c *Call, out *Sample) Result {
		data, final := src(c)
		more := Wait
		if final {
			more = Miss
		}
		off, n := int(c.Args[0].Int), int(c.Args[1].Int)
		if off+n > len(data) {
			return more
		}
		size := 0
		for _, b := range data[off : off+n] {
			size = size<<8 | int(b)
		}
		start := off + n
		if s := c.Args[2].Str; s != "" {
			v, _ := strToInt([]byte(strings.TrimPrefix(s, "+")))
			if s[0] == '+' || s[0] == '-' {
				start += int(v)
			} else {
				start = int(v)
			}
		}
		if start < 0 || size < 0 {
			return Miss
		}
		// An empty field is too short, as the reference has it: it
		// may change until the data are final.
		if size == 0 || start+size > len(data) {
			return more
		}
		*out = binSample(data[start : start+size])
		return Found
	}
}
