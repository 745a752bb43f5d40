package confparse

import "fmt"

// Pos is where a word or line starts in a configuration file. Line and Col
// count from 1; Col is a byte column.
type Pos struct {
	File string
	Line int
	Col  int
}

// String gives "file:line", the form both references print.
func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Severity orders diagnostics from informational to fatal.
type Severity int

const (
	Notice  Severity = iota // informational, never changes the verdict
	Warning                 // reported; the configuration still loads
	Alert                   // an error: the configuration is rejected
)

func (s Severity) String() string {
	switch s {
	case Notice:
		return "NOTICE"
	case Warning:
		return "WARNING"
	case Alert:
		return "ALERT"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Diagnostic is one problem found in a configuration, at a position.
// A zero Pos means the problem has no single place (the reference prints
// some messages without a location).
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string
}

func (d Diagnostic) String() string {
	if d.Pos.File == "" {
		return fmt.Sprintf("%s: %s", d.Severity, d.Message)
	}
	return fmt.Sprintf("%s: [%s] %s", d.Severity, d.Pos, d.Message)
}

// HasAlert reports whether any diagnostic is fatal.
func HasAlert(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == Alert {
			return true
		}
	}
	return false
}
