package apisock

import (
	"bytes"
	"strings"
)

// `show table` and `clear table` act on the stick tables of the running
// configuration, printed by the stick package as the reference does.

func init() {
	add := register
	add("clear table", "clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)", (*session).clearTable)
	add("show table", "show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)", (*session).showTable)
}

const (
	showTableArgs  = "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n"
	clearTableArgs = "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n"
)

func (s *session) showTable(args []string, _ string) string {
	e := s.srv.engine
	name := arg(args, 2)
	if name == "" {
		// The reference lists its tables last declared first.
		tables := e.StickTables()
		var b strings.Builder
		for i := len(tables) - 1; i >= 0; i-- {
			b.WriteString(tables[i].Header())
			b.WriteByte('\n')
		}
		return b.String()
	}
	t := e.StickTable(name)
	if t == nil {
		return "No such table\n"
	}
	if a := arg(args, 3); a != "" && a != "key" && !strings.HasPrefix(a, "data.") {
		return showTableArgs
	}
	q, err := t.ParseQuery(args[min(3, len(args)):], false)
	if err != nil {
		return err.Error() + "\n"
	}
	if q.HasKey {
		if s.level < LevelOperator {
			return permissionDenied
		}
		if t.Lookup(q.Key) == nil {
			return ""
		}
	}
	if s.level < LevelOperator {
		return t.Header() + "\n# contents not dumped due to insufficient privileges\n"
	}
	var b bytes.Buffer
	t.Show(&b, q)
	return b.String()
}

func (s *session) clearTable(args []string, _ string) string {
	e := s.srv.engine
	name := arg(args, 2)
	if name == "" {
		return clearTableArgs
	}
	t := e.StickTable(name)
	if t == nil {
		return "No such table\n"
	}
	if a := arg(args, 3); a != "" && a != "key" && !strings.HasPrefix(a, "data.") {
		return clearTableArgs
	}
	q, err := t.ParseQuery(args[min(3, len(args)):], true)
	if err != nil {
		return err.Error() + "\n"
	}
	switch {
	case q.HasKey && s.level < LevelOperator:
		return permissionDenied
	case s.level < LevelOperator:
		// The reference's dump-and-clear pass removes nothing then.
		return ""
	}
	t.ClearQuery(q)
	return ""
}
