package sample

import (
	"bytes"
	"encoding/base64"
)

// The http_auth fetches read HTTP Basic credentials from the first
// Authorization header.

func init() {
	for _, f := range []Fetch{
		{Name: "http_auth", Args: []ArgType{ArgUserlist}, MinArgs: 1, Out: Bool, Fn: func(c *Call, out *Sample) Result {
			user, pass, r := basicAuth(c)
			if r != Found {
				return r
			}
			*out = boolSample(c.Args[0].Users.Check(string(user), string(pass)))
			return Found
		}},
		// http_auth_group gives the user name when the credentials are
		// valid; its ACL patterns are group names (see ACL.Match).
		{Name: "http_auth_group", Args: []ArgType{ArgUserlist}, MinArgs: 1, Out: Str, Match: matchAuthGroup,
			Fn: func(c *Call, out *Sample) Result {
				user, pass, r := basicAuth(c)
				if r != Found {
					return r
				}
				if !c.Args[0].Users.Check(string(user), string(pass)) {
					return Miss
				}
				*out = strSample(user)
				return Found
			}},
		{Name: "http_auth_type", Out: Str, Fn: func(c *Call, out *Sample) Result {
			r, res := request(c)
			if r == nil {
				return res
			}
			v, ok := r.Headers.Get("authorization")
			if !ok {
				return Miss
			}
			scheme, _, _ := bytes.Cut(v, []byte(" "))
			*out = strSample(scheme)
			return Found
		}},
		{Name: "http_auth_user", Out: Str, Fn: func(c *Call, out *Sample) Result {
			user, _, r := basicAuth(c)
			*out = strSample(user)
			return r
		}},
		{Name: "http_auth_pass", Out: Str, Fn: func(c *Call, out *Sample) Result {
			_, pass, r := basicAuth(c)
			*out = strSample(pass)
			return r
		}},
	} {
		f.HTTP = true
		RegisterFetch(f)
	}
}

// basicAuth decodes "Authorization: Basic base64(user:pass)".
func basicAuth(c *Call) (user, pass []byte, res Result) {
	r, res := request(c)
	if r == nil {
		return nil, nil, res
	}
	v, ok := r.Headers.Get("authorization")
	if !ok {
		return nil, nil, Miss
	}
	scheme, cred, _ := bytes.Cut(v, []byte(" "))
	if !equalFoldStr(scheme, "basic") {
		return nil, nil, Miss
	}
	dec := make([]byte, base64.StdEncoding.DecodedLen(len(cred)))
	n, err := base64.StdEncoding.Decode(dec, trimLWS(cred))
	if err != nil {
		return nil, nil, Miss
	}
	user, pass, ok = bytes.Cut(dec[:n], []byte(":"))
	if !ok {
		return nil, nil, Miss
	}
	return user, pass, Found
}
