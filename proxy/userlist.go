package proxy

import (
	"bytes"
	"encoding/base64"
	"strings"

	"fulcrum/proxy/crypt"
)

// Userlist is a `userlist` section: users with their passwords (plain or
// crypt(3) hashes) and groups, for http_auth and `http-request auth`.
type Userlist struct {
	Name   string
	Users  map[string]*User
	Groups map[string]bool
}

// User is one `user` line.
type User struct {
	Name     string
	Password string
	// Hashed: Password is a crypt(3) hash (`password`), not the
	// password itself (`insecure-password`).
	Hashed bool
	Groups []string
}

func (ul *Userlist) user(name string) *User {
	u := ul.Users[name]
	if u == nil {
		u = &User{Name: name}
		ul.Users[name] = u
	}
	return u
}

// Check reports whether user exists and password is hers.
func (ul *Userlist) Check(user, password string) bool {
	u := ul.Users[user]
	if u == nil {
		return false
	}
	if !u.Hashed {
		return u.Password == password
	}
	ok, err := crypt.Check(password, u.Password)
	return ok && err == nil
}

// InGroup tells whether user belongs to one of groups.
func (ul *Userlist) InGroup(user string, groups ...string) bool {
	u := ul.Users[user]
	if u == nil {
		return false
	}
	for _, g := range u.Groups {
		for _, want := range groups {
			if g == want {
				return true
			}
		}
	}
	return false
}

// basicAuth decodes the request's "Authorization: Basic" credentials.
func (s *Session) basicAuth() (user, password string, ok bool) {
	req := s.HTTPRequest()
	if req == nil {
		return "", "", false
	}
	v, found := req.Headers.Get("authorization")
	if !found {
		return "", "", false
	}
	scheme, cred, _ := bytes.Cut(bytes.TrimSpace(v), []byte(" "))
	if !strings.EqualFold(string(scheme), "basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(cred)))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

// userlist finds a userlist of the running configuration.
func (s *Session) userlist(name string) *Userlist {
	if s.Engine == nil {
		return nil
	}
	rt := s.Engine.rt.Load()
	if rt == nil {
		return nil
	}
	return rt.cfg.Userlists[name]
}

// HTTPAuth is the http_auth(userlist) fetch: the request carries Basic
// credentials valid in the userlist.
func (s *Session) HTTPAuth(list string) bool {
	ul := s.userlist(list)
	user, pw, ok := s.basicAuth()
	return ok && ul != nil && ul.Check(user, pw)
}

// HTTPAuthGroup is http_auth_group(userlist) matched against groups: the
// credentials are valid and the user is in one of the groups.
func (s *Session) HTTPAuthGroup(list string, groups ...string) bool {
	ul := s.userlist(list)
	user, pw, ok := s.basicAuth()
	return ok && ul != nil && ul.Check(user, pw) && ul.InGroup(user, groups...)
}
