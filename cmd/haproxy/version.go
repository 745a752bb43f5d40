package main

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"fulcrum/haproxy"
)

// version is the reference version we are compatible with; tools parse it.
const version = "2.6.12-1+deb12u4"

func printBanner() {
	fmt.Printf("HAProxy version %s 2026/10/17 - https://haproxy.org/\n", version)
	fmt.Println("Status: long-term supported branch - will stop receiving fixes around Q2 2027.")
	fmt.Println("Known bugs: http://www.haproxy.org/bugs/bugs-2.6.12.html")
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		fmt.Printf("Running on: %s %s %s %s\n", unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]),
			unix.ByteSliceToString(u.Version[:]), unix.ByteSliceToString(u.Machine[:]))
	}
}

// printVersion is -v (banner) and -vv (banner and build details, in the
// reference's shape: tools read "Feature list :" and "Available services :").
func printVersion(level int) {
	printBanner()
	if level < 2 {
		return
	}
	b := haproxy.DefaultBuild()
	fmt.Println("Build options :")
	fmt.Println("  TARGET  = Fulcrum (Go); the feature list is the reference build's, so that")
	fmt.Println("            configurations testing it with '.if feature(...)' read the same")
	fmt.Println()
	fmt.Println("Feature list : " + strings.Join(b.Features, " "))
	fmt.Println()
	fmt.Println("Default settings :")
	fmt.Println("  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200")
	fmt.Println()
	fmt.Println("Available polling systems :")
	fmt.Println("      epoll : pref=300,  test result OK")
	fmt.Println("Total: 1 (1 usable), will use epoll.")
	fmt.Println()
	fmt.Println("Available multiplexer protocols :")
	fmt.Println("(protocols marked as <default> cannot be specified using 'proto' keyword)")
	fmt.Println("  <default> : mode=HTTP  side=FE|BE  mux=H1    flags=HTX")
	fmt.Println("  <default> : mode=TCP   side=FE|BE  mux=PASS  flags=")
	fmt.Println()
	fmt.Println("Available services : none")
	fmt.Println("Available filters :")
	fmt.Println("\t[COMP] compression")
}
