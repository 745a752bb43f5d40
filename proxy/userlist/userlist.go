// Package userlist holds HAProxy's `userlist` sections: users with plain
// or crypt(3) passwords and their groups, checked by the http_auth
// fetches and the auth action.
package userlist

import (
	"crypto/subtle"
	"errors"

	"fulcrum/proxy/crypt"
)

// List is one userlist.
type List struct {
	Name   string
	users  map[string]*user
	groups map[string]map[string]bool // group -> users
}

type user struct {
	password string // the crypt(3) string, or the plain text with insecure
	insecure bool
}

// New returns an empty userlist.
func New(name string) *List {
	return &List{Name: name, users: map[string]*user{}, groups: map[string]map[string]bool{}}
}

// ErrScheme is returned for a password hash whose scheme is not built
// (NT hash, Sun MD5, scrypt $7$...): the user exists but cannot log in.
var ErrScheme = errors.New("password hash scheme not supported in Fulcrum (" + crypt.Schemes + " are)")

// AddUser adds a user with a crypt(3) password (insecure: a plain one)
// and the groups it belongs to. A hash scheme Check cannot verify is
// reported with ErrScheme; the user is still added and never matches.
func (l *List) AddUser(name, password string, insecure bool, groups []string) error {
	l.users[name] = &user{password: password, insecure: insecure}
	for _, g := range groups {
		l.addMember(g, name)
	}
	if !insecure && !supported(password) {
		return ErrScheme
	}
	return nil
}

// AddGroup declares a group and users belonging to it.
func (l *List) AddGroup(name string, users []string) {
	if l.groups[name] == nil {
		l.groups[name] = map[string]bool{}
	}
	for _, u := range users {
		l.addMember(name, u)
	}
}

func (l *List) addMember(group, user string) {
	if l.groups[group] == nil {
		l.groups[group] = map[string]bool{}
	}
	l.groups[group][user] = true
}

// Check reports whether user exists and password is its password.
func (l *List) Check(name, password string) bool {
	u := l.users[name]
	if u == nil {
		return false
	}
	want := u.password
	got := password
	if !u.insecure {
		var err error
		if got, err = crypt.Crypt(password, u.password); err != nil {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// InGroup reports whether user belongs to group.
func (l *List) InGroup(name, group string) bool { return l.groups[group][name] }

// supported reports whether a hash's scheme can be verified.
func supported(hash string) bool { return crypt.Supported(hash) }
