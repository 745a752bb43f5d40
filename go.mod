module fulcrum

go 1.26.8

require (
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.50.0
)

require github.com/alecthomas/participle/v2 v2.1.4
