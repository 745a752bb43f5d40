package userlist

import "testing"

func TestCheck(t *testing.T) {
	l := New("L")
	if err := l.AddUser("alice", "$5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5", false, []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	l.AddUser("bob", "secret", true, nil)
	l.AddGroup("dev", []string{"bob"})
	if err := l.AddUser("carol", "$gy$j9T$abcd$8EKZJqa5mDKNpXR4KEucecPqe2hRxdXDdOMYyaX62E4", false, nil); err != ErrScheme {
		t.Errorf("gost-yescrypt hash: %v, want ErrScheme", err)
	}
	for _, tc := range []struct {
		desc, user, pass string
		want             bool
	}{
		{"hashed ok", "alice", "password", true},
		{"hashed wrong", "alice", "Password", false},
		{"plain ok", "bob", "secret", true},
		{"plain wrong", "bob", "secret2", false},
		{"unknown user", "eve", "password", false},
		{"unsupported scheme", "carol", "x", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := l.Check(tc.user, tc.pass); got != tc.want {
				t.Errorf("Check(%s, %s) = %v", tc.user, tc.pass, got)
			}
		})
	}
	if !l.InGroup("alice", "admin") || !l.InGroup("bob", "dev") || l.InGroup("bob", "admin") {
		t.Error("group membership wrong")
	}
}
