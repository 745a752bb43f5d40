package haproxy

import "fmt"

// userlistRefs finds, as the reference does before it checks the
// proxies, the first group a user names and the first user a group
// names that its userlist does not define. The reference keeps userlists,
// and the users and groups of each, newest first, and stops at the first
// such error, so the same one is reported here.
func (l *loader) userlistRefs() string {
	for i := len(l.cfg.Others) - 1; i >= 0; i-- {
		s := l.cfg.Others[i]
		if s.Kind != "userlist" || len(s.Args) == 0 {
			continue
		}
		if msg := userlistMissing(s); msg != "" {
			return msg
		}
	}
	return ""
}

// userlistMissing checks one userlist: its users' groups, then its
// groups' users, both newest first.
func userlistMissing(s *Section) string {
	users, groups := map[string]bool{}, map[string]bool{}
	for _, d := range s.Lines {
		if len(d.Args) == 0 {
			continue
		}
		switch d.Keyword {
		case "user":
			users[d.Args[0]] = true
		case "group":
			groups[d.Args[0]] = true
		}
	}
	for _, pass := range []struct{ kw, option, other, what string }{
		{"user", "groups", "group", "user"},
		{"group", "users", "user", "group"},
	} {
		known := groups
		if pass.other == "user" {
			known = users
		}
		for i := len(s.Lines) - 1; i >= 0; i-- {
			d := s.Lines[i]
			if d.Keyword != pass.kw || len(d.Args) == 0 {
				continue
			}
			for _, name := range optionList(d.Args[1:], pass.option) {
				if name != "" && !known[name] { // empty names are skipped, as strtok does
					return fmt.Sprintf("userlist '%s': no such %s '%s' specified in %s '%s'", s.Args[0], pass.other, name, pass.what, d.Args[0])
				}
			}
		}
	}
	return ""
}

// optionList is the comma-separated value of an option among
// "option value" pairs.
func optionList(args []string, option string) []string {
	var out []string
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == option {
			out = append(out, splitComma(args[i+1])...)
		}
	}
	return out
}
