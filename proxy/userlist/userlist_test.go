package userlist

import "testing"

// The vectors are what `openssl passwd -1/-5/-6` and glibc's crypt(3)
// give for these passwords and salts.
func TestCrypt(t *testing.T) {
	for _, tc := range []struct{ desc, password, want string }{
		{"md5", "password", "$1$saltstri$qQY4WxjABChYG1ccLpfkz/"},
		{"sha256", "password", "$5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5"},
		{"sha512", "password", "$6$saltstring$adDbXsJjcDlq2662QPgd.tkSOVmnG9Tt3oXl4HR60SusC3AGjirnDenVZp3DGwLwqy6iYKCzannhaX9DR72nN1"},
		{"sha256 rounds", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
		{"sha512 rounds", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"empty password", "", "$5$salt$HrcUzzoef72uxM/YhTU5BAi419Fblqlq//zyM.rIOG0"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got, ok := Crypt(tc.password, tc.want); !ok || got != tc.want {
				t.Errorf("Crypt = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
	if _, ok := Crypt("x", "ab01FAX.bQRSU"); ok {
		t.Error("DES crypt claimed")
	}
}

func TestCheck(t *testing.T) {
	l := New("L")
	if err := l.AddUser("alice", "$5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5", false, []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	l.AddUser("bob", "secret", true, nil)
	l.AddGroup("dev", []string{"bob"})
	if err := l.AddUser("carol", "ab01FAX.bQRSU", false, nil); err != ErrScheme {
		t.Errorf("DES hash: %v, want ErrScheme", err)
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
