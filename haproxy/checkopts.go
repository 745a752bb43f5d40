package haproxy

import "fmt"

// agentPort refuses an agent-check without agent-port, as the reference.
func (l *loader) agentPort(d line, s *Server, who string) bool {
	_, on := s.Options["agent-check"]
	_, port := s.Options["agent-port"]
	if on && !port {
		l.alertBare(d.pos, fmt.Sprintf("%s : server %s does not have agent port. Agent check has been disabled.", who, s.Name))
		return false
	}
	return true
}

// mysqlCheckArgs validates `option mysql-check [user <name> [<version>]]`
// with the reference's wording. It also takes a later HAProxy's
// "post-80" (which HAProxy 2.6 refuses), as the engine implements it.
func (l *loader) mysqlCheckArgs(d line) bool {
	switch {
	case d.arg(1) == "":
		return true
	case d.arg(1) != "user":
		l.alert(d.pos, fmt.Sprintf("'option mysql-check' only supports optional values: 'user' (got '%s').", d.arg(1)))
		return false
	case d.arg(2) == "":
		l.alert(d.pos, "'option mysql-check user' expects <username> as argument.")
		return false
	}
	switch v := d.arg(3); v {
	case "", "post-41", "pre-41", "post-80":
		return true
	default:
		l.alert(d.pos, fmt.Sprintf("keyword 'user' only supports 'post-41' and 'pre-41' (got '%s').", v))
		return false
	}
}
