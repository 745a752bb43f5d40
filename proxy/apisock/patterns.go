package apisock

import (
	"fmt"
	"strings"

	"fulcrum/proxy/sample"
)

// The map and ACL commands act on the pattern files the configuration
// loaded (ACL -f files, map converter files) and on the inline patterns
// of each ACL, as the reference's pat_ref commands.

func init() {
	add := register
	add("add acl", "add acl [@<ver>] <acl> <pattern>        : add an acl entry", (*session).addPattern)
	add("add map", "add map [@<ver>] <map> <key> <val>      : add a map entry (payload supported instead of key/val)", (*session).addPattern)
	add("clear acl", "clear acl [@<ver>] <acl>                : clear the contents of this acl", (*session).clearPatterns)
	add("clear map", "clear map [@<ver>] <map>                : clear the contents of this map", (*session).clearPatterns)
	add("del acl", "del acl <acl> [<key>|#<ref>]            : delete acl entries matching <key>", (*session).delPattern)
	add("del map", "del map <map> [<key>|#<ref>]            : delete map entries matching <key>", (*session).delPattern)
	add("set map", "set map <map> [<key>|#<ref>] <value>    : modify a map entry", (*session).setMap)
	add("show acl", "show acl [@<ver>] <acl>]                : report available acls or dump an acl's contents", (*session).showPatterns)
	add("show map", "show map [@ver] [map]                   : report available maps or dump a map's contents", (*session).showPatterns)
}

// patternKind is "map" or "acl" (args[1]) with its names in messages.
func patternKind(args []string) (isMap bool, title string) {
	if arg(args, 1) == "map" {
		return true, "map"
	}
	return false, "ACL"
}

// findRef looks a map or ACL reference up by file name or #id.
func (s *session) findRef(isMap bool, name string) *sample.Ref {
	refs := s.srv.engine.Patterns()
	if refs == nil {
		return nil
	}
	ref := refs.Find(name)
	if ref == nil || (isMap && !ref.Map) || (!isMap && !ref.ACL) {
		return nil
	}
	return ref
}

func unknownRef(title string) string {
	return fmt.Sprintf("Unknown %s identifier. Please use #<id> or <file>.\n", title)
}

// skipVersion drops an "@<ver>" argument at index i: Fulcrum keeps one
// version of each file, the current one.
func skipVersion(args []string, i int) []string {
	if strings.HasPrefix(arg(args, i), "@") {
		return append(append([]string(nil), args[:i]...), args[i+1:]...)
	}
	return args
}

func (s *session) showPatterns(args []string, _ string) string {
	isMap, title := patternKind(args)
	args = skipVersion(args, 2)
	var b strings.Builder
	if name := arg(args, 2); name != "" {
		ref := s.findRef(isMap, name)
		if ref == nil {
			return unknownRef(title)
		}
		for _, e := range ref.Entries() {
			if isMap {
				fmt.Fprintf(&b, "%#x %s %s\n", e.ID, e.Key, e.Value)
			} else {
				fmt.Fprintf(&b, "%#x %s\n", e.ID, e.Key)
			}
		}
		return b.String()
	}
	b.WriteString("# id (file) description\n")
	all := s.srv.engine.Patterns()
	internal := all.InternalIDs()
	for _, ref := range all.List() {
		// Every 2.6 process has its internal HTTP client's two ACLs,
		// numbered between the files of the parsing and the later ones.
		for !isMap && len(internal) > 0 && internal[0] < ref.ID {
			fmt.Fprintf(&b, "%d () acl 'var' file 'httpclient' line 0. curr_ver=0 next_ver=0 entry_cnt=1\n", internal[0])
			internal = internal[1:]
		}
		if (isMap && !ref.Map) || (!isMap && !ref.ACL) {
			continue
		}
		desc := ref.Desc
		if ref.File != "" {
			desc = fmt.Sprintf("pattern loaded from file '%s' used by %s", ref.File, strings.Join(ref.Users(), ", by "))
		}
		fmt.Fprintf(&b, "%d (%s) %s. curr_ver=0 next_ver=0 entry_cnt=%d\n", ref.ID, ref.File, desc, len(ref.Entries()))
	}
	for _, id := range internal {
		if !isMap {
			fmt.Fprintf(&b, "%d () acl 'var' file 'httpclient' line 0. curr_ver=0 next_ver=0 entry_cnt=1\n", id)
		}
	}
	return b.String()
}

func (s *session) addPattern(args []string, payload string) string {
	isMap, title := patternKind(args)
	args = skipVersion(args, 2)
	switch {
	case isMap && ((payload == "" && (arg(args, 2) == "" || arg(args, 3) == "" || arg(args, 4) == "")) || arg(args, 2) == ""):
		return "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"
	case !isMap && (arg(args, 2) == "" || arg(args, 3) == ""):
		return "'add acl' expects two parameters: ACL identifier and pattern.\n"
	}
	ref := s.findRef(isMap, arg(args, 2))
	if ref == nil {
		return unknownRef(title)
	}
	pairs := [][2]string{{arg(args, 3), arg(args, 4)}}
	if payload != "" {
		pairs = nil
		for _, l := range strings.Split(payload, "\n") {
			l = strings.TrimLeft(l, " \t")
			key, val := l, ""
			if i := strings.IndexAny(l, " \t"); i >= 0 {
				key, val = l[:i], strings.TrimLeft(l[i:], " \t")
			}
			if isMap && val == "" {
				return fmt.Sprintf("Missing value for key '%s'.\n", key)
			}
			pairs = append(pairs, [2]string{key, val})
		}
	}
	for _, p := range pairs {
		if !isMap {
			p[1] = ""
		}
		if err := ref.Add(p[0], p[1]); err != nil {
			return err.Error() + ".\n"
		}
	}
	return ""
}

func (s *session) delPattern(args []string, _ string) string {
	isMap, title := patternKind(args)
	if arg(args, 2) == "" || arg(args, 3) == "" {
		return fmt.Sprintf("This command expects two parameters: %s identifier and key.\n", title)
	}
	ref := s.findRef(isMap, arg(args, 2))
	if ref == nil {
		return unknownRef(title)
	}
	if !ref.Del(arg(args, 3)) {
		return "Key not found.\n"
	}
	return ""
}

func (s *session) setMap(args []string, _ string) string {
	if arg(args, 2) == "" || arg(args, 3) == "" || arg(args, 4) == "" {
		return "'set map' expects three parameters: map identifier, key and value.\n"
	}
	ref := s.findRef(true, arg(args, 2))
	if ref == nil {
		return unknownRef("map")
	}
	found, err := ref.Set(arg(args, 3), arg(args, 4))
	switch {
	case err != nil:
		return err.Error() + ".\n"
	case !found:
		return "entry not found.\n"
	}
	return ""
}

func (s *session) clearPatterns(args []string, _ string) string {
	isMap, title := patternKind(args)
	args = skipVersion(args, 2)
	if arg(args, 2) == "" {
		return fmt.Sprintf("Missing %s identifier.\n", title)
	}
	ref := s.findRef(isMap, arg(args, 2))
	if ref == nil {
		return unknownRef(title)
	}
	ref.Clear()
	return ""
}
