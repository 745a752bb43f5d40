package proxy

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"fulcrum/confparse"
	"fulcrum/proxy/userlist"
)

// cryptUsers are userlist users with a hash of each crypt scheme, all made
// by libxcrypt (proxy/crypt/testdata/gen_libxcrypt.py): name, password,
// hash.
var cryptUsers = [][3]string{
	{"md5", "correct horse", "$1$abcdefgh$y6iHhJNbuC0xpbk0w9pm80"},
	{"sha512", "hello", "$6$saltsalt$YTeBOLnmm3CoeJTzBuijUEtOEWCqrw/nQ8/AeMmON4LGp3k0ZiMjC1OdqzWFUAfDQBvYkOch9BWtQTBcZ1E/p0"},
	{"yescrypt", "password", "$y$j9T$SALTSALTSALT$c7qJThgvzbf/MJT5cKrk5HKlSdX5b.dsfarFTpS3bc/"},
	{"yescrypt-p2t2", "password", "$y$j750./$AAAABBBBCCCC$h7cen4.qgZcNw6yojrqpD2Ry/E1ISmLVj8oZivg9dX3"},
	{"des", "password", "BMLJnzh2VXLJo"},
	{"bigcrypt", "correct horse battery staple", "abhfCpXqd4GrIatlJWV.Y872j79ay.DzBsAH3LRqLoARLU"},
	{"bsdi", "correct horse battery staple", "_....abcdgcwd5.C2FQM"},
	{"nt", "password", "$3$$8846f7eaee8fb117ad06bdd830b7586c"},
	{"sha1", "password", "$sha1$40000$jtNX3nZ2$hBNaIXkt4wBI2o5rsi8KejSjNqIq"},
	{"scrypt", "correct horse battery staple", "$7$8/....1....SodiumChloride$hdMA86tloxqysd3Zgw5Z3R/ke3esIgrZ3E0S0P0UX03"},
	{"bcrypt-2a", "password", "$2a$04$j4IrsKNM0cRt8eSOEwWvN.20h8gnjsVcPFgBd.6UeOxj5Yv9x8B/2"},
	{"bcrypt-2b", "correct horse battery staple", "$2b$05$2cx1.eyWGw23PC7YXV/5feJxBIF72/7Q5kJCK.SPZu2APphX3qili"},
}

// basicAuth is an Authorization header line for user:pass.
func basicAuth(user, pass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// cryptCases: each user with its password, a wrong one, and the password
// of another user, through http-request auth.
func cryptCases() []actCase {
	var cases []actCase
	rule := "http-request auth realm crypt unless { http_auth(cu) }"
	for i, u := range cryptUsers {
		other := cryptUsers[(i+1)%len(cryptUsers)]
		cases = append(cases,
			actCase{u[0] + " right", rule, []string{get("/", basicAuth(u[0], u[1]))}},
			actCase{u[0] + " wrong", rule, []string{get("/", basicAuth(u[0], u[1]+"!"))}},
			actCase{u[0] + " other's", rule, []string{get("/", basicAuth(u[0], other[1]+"?"))}},
		)
	}
	return cases
}

// cryptConfigText is actConfigText's layout with the crypt userlist.
func cryptConfigText(cases []actCase) func(dir string, ports []int, s1, s2 string) string {
	return func(dir string, ports []int, s1, s2 string) string {
		var b strings.Builder
		b.WriteString("defaults\n\tmode http\n\tlog stdout format raw local0\n\toption httplog\n" +
			"\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\nuserlist cu\n")
		for _, u := range cryptUsers {
			fmt.Fprintf(&b, "\tuser %s password %s\n", u[0], u[2])
		}
		for i, c := range cases {
			fmt.Fprintf(&b, "listen k%d\n\tbind 127.0.0.1:%d\n\t%s\n\tserver s1 %s\n", i, ports[i], c.lines, s1)
		}
		return b.String()
	}
}

// TestCryptAuthDifferential: for a user of every crypt scheme, the right
// password, a wrong one and another's get the reference's answer (200 or
// 401 with its page), and our adapter warns about none of the hashes.
func TestCryptAuthDifferential(t *testing.T) {
	cases := cryptCases()
	runListenDiff(t, t.TempDir(), listenDiff{cases: cases, prefix: "k", config: cryptConfigText(cases), run: runActCase,
		logRE: httplogRE, maskLog: maskHTTPLog})
}

// TestUserlistHashWarnings: a hash of a scheme we do not build (SunMD5,
// gost-yescrypt) is warned about at its line; the schemes we build are
// not.
func TestUserlistHashWarnings(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\nuserlist cu\n")
	for _, u := range cryptUsers {
		fmt.Fprintf(&b, "\tuser %s password %s\n", u[0], u[2])
	}
	first := 7 + len(cryptUsers) // line of the first unsupported user
	b.WriteString("\tuser sun password $md5,rounds=904$Vc3VgyFx$$QLrdfI7gVmXEia9t4ElAA0\n" +
		"\tuser gost password $gy$j9T$abcd$8EKZJqa5mDKNpXR4KEucecPqe2hRxdXDdOMYyaX62E4\n" +
		"listen l\n\tbind 127.0.0.1:8080\n\thttp-request auth unless { http_auth(cu) }\n\tserver s 127.0.0.1:1\n")
	_, diags := adapt(t, b.String())
	var got []string
	for _, d := range diags {
		if d.Severity == confparse.Warning && strings.Contains(d.Message, "cannot log in") {
			_, msg, _ := strings.Cut(d.Message, "] : ") // after "parsing [file:line]"
			got = append(got, fmt.Sprintf("%d %s", d.Pos.Line, msg))
		}
	}
	want := []string{
		fmt.Sprintf("%d userlist 'cu' user 'sun' : %v; this user cannot log in.", first, userlist.ErrScheme),
		fmt.Sprintf("%d userlist 'cu' user 'gost' : %v; this user cannot log in.", first+1, userlist.ErrScheme),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
