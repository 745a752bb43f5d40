package apisock

func init() {
	register("get var", "get var <name>                          : retrieve contents of a process-wide variable", (*session).getVar)
}

// getVar is `get var NAME`: a proc.* variable with its type.
func (s *session) getVar(args []string, _ string) string {
	if s.level < LevelOperator {
		return permissionDenied
	}
	name := arg(args, 2)
	if name == "" {
		return "Missing process-wide variable identifier.\n"
	}
	text, ok := s.srv.engine.ProcVarText(name)
	if !ok {
		return "Variable not found.\n"
	}
	return text // the reference's dump has no empty line after it
}
