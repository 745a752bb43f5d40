package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// envConfig changes the environment in the global section and shows the
// result three ways: `.notice` lines and a `.if defined()` read after the
// changes, the listening address taken from a variable the section sets,
// and the env() fetch at run time.
const envConfig = `global
	setenv FT_A "a b"
	presetenv FT_HOME /not/taken
	presetenv FT_NEW new
	setenv FT_B "${FT_A}-x"
	setenv FT_LISTEN 127.0.0.1:%s
	unsetenv FT_A
.if defined(FT_A)
	.notice "FT_A defined"
.else
	.notice "FT_A undefined"
.endif
	.notice "B=${FT_B} HOME=${FT_HOME} NEW=${FT_NEW}"
	resetenv FT_B FT_LISTEN FT_OTHER
	.notice "after reset B=${FT_B} HOME=${FT_HOME} NEW=${FT_NEW} KEEP=${FT_KEEP}"
defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen a
	bind "${FT_LISTEN}"
	http-request return status 200 content-type text/plain lf-string "B=%%[env(FT_B)] HOME=%%[env(FT_HOME)] KEEP=%%[env(FT_KEEP)] NEW=%%[env(FT_NEW)]"
`

// TestGlobalSetenvMatchesReference: the global setenv family changes the
// environment as each line is read, for the later lines of the file and
// for the running process, as the reference's does.
func TestGlobalSetenvMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	env := []string{"FT_HOME=/home/ft", "FT_KEEP=kept"}
	path := filepath.Join(t.TempDir(), "env.cfg") // one path: -c prints it
	run := func(bin string) (string, string) {
		port := freePort(t)
		if err := os.WriteFile(path, []byte(fmt.Sprintf(envConfig, port)), 0o644); err != nil {
			t.Fatal(err)
		}
		check := reftest.Run(t, bin, reftest.Options{Env: env, Isolate: true}, "-c", "-f", path)
		p := startBin(t, bin, env, "-db", "-f", path)
		var answer string
		waitFor(t, "an answer from "+bin, func() bool {
			var err error
			answer, err = getBody("127.0.0.1:" + port)
			return err == nil
		})
		p.signal(t, 15)
		return reftest.Normalize(check.Stderr) + check.Stdout, answer
	}
	refCheck, refAnswer := run(ref)
	ourCheck, ourAnswer := run(ours)
	if !strings.Contains(refCheck, "FT_A undefined") {
		t.Fatalf("the reference did not read the configuration as expected:\n%s", refCheck)
	}
	if refCheck != ourCheck {
		t.Errorf("-c output:\nref\n%s\nours\n%s", refCheck, ourCheck)
	}
	if refAnswer != ourAnswer {
		t.Errorf("env() at run time: ref %q, ours %q", refAnswer, ourAnswer)
	}
}

// getBody sends one GET / and returns the body of the answer.
func getBody(addr string) (string, error) { return getBodyPath(addr, "/") }

// getBodyPath sends one GET of path and returns the body of the answer.
func getBodyPath(addr, path string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path)
	rd := bufio.NewReader(c)
	var body strings.Builder
	inBody := false
	for {
		line, err := rd.ReadString('\n')
		if inBody {
			body.WriteString(line)
		} else if line == "\r\n" {
			inBody = true
		}
		if err != nil {
			break
		}
	}
	if !inBody {
		return "", fmt.Errorf("no answer")
	}
	return body.String(), nil
}
