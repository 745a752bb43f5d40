package apisock

// `set table NAME key K [data.T V]...` creates or changes an entry of a
// stick table (the peers tests and operators seed tables with it).

func init() {
	register("set table", "set table <table> key <k> [data.* <v>]* : update or create a table entry's data", (*session).setTable)
}

func (s *session) setTable(args []string, _ string) string {
	if s.level < LevelOperator {
		return permissionDenied
	}
	t := s.srv.engine.StickTable(arg(args, 2))
	if t == nil {
		return "No such table\n"
	}
	if err := t.SetQuery(args[min(3, len(args)):]); err != nil {
		return err.Error() + "\n"
	}
	return ""
}
