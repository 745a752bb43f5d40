// Command keepalived is Fulcrum's drop-in replacement for the keepalived
// binary.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "keepalived (Fulcrum): no mode is built yet; see README.md for what works today")
	os.Exit(1)
}
