package haproxy

import (
	"fmt"
	"slices"
	"strconv"

	"fulcrum/confparse"
)

// errorfilesChecks checks, for every proxy, the http-errors sections its
// errorfiles lines and http-error ... errorfiles options name (its
// defaults' lines first), as the reference does once all is read: an
// unknown section is fatal; a status the section does not declare is a
// warning.
func (l *loader) errorfilesChecks(alert func(confparse.Pos, string)) {
	sections := map[string]map[int]bool{}
	for _, sec := range l.cfg.Others {
		if sec.Kind != "http-errors" || len(sec.Args) == 0 {
			continue
		}
		codes := map[int]bool{}
		for _, d := range sec.Lines {
			if d.Keyword == "errorfile" && len(d.Args) > 0 {
				n, _ := strconv.Atoi(d.Args[0])
				codes[n] = true
			}
		}
		sections[sec.Args[0]] = codes
	}
	for _, p := range l.cfg.Proxies {
		if p.Section == nil {
			continue
		}
		for _, d := range append(append([]Directive(nil), p.inheritedLines...), p.Section.Lines...) {
			name, statuses := errorfilesUse(d)
			if name == "" {
				continue
			}
			at := fmt.Sprintf("(at %s:%d).", d.Pos.File, d.Pos.Line)
			codes, ok := sections[name]
			if !ok {
				alert(confparse.Pos{}, fmt.Sprintf("proxy '%s': unknown http-errors section '%s' %s", p.Name, name, at))
				continue
			}
			// The reference goes through its table of statuses, in
			// ascending order, each once.
			var nums []int
			for _, st := range statuses {
				if n, err := strconv.Atoi(st); err == nil && !slices.Contains(nums, n) {
					nums = append(nums, n)
				}
			}
			slices.Sort(nums)
			for _, n := range nums {
				if !codes[n] {
					l.emit(confparse.Warning, confparse.Pos{}, fmt.Sprintf("config: proxy '%s' : status '%d' not declared in http-errors section '%s' %s", p.Name, n, name, at))
				}
			}
		}
	}
}

// errorfilesUse reads the http-errors section a line names and the
// statuses it takes from it ("" when the line names none).
func errorfilesUse(d Directive) (name string, statuses []string) {
	switch d.Keyword {
	case "errorfiles":
		if len(d.Args) > 0 {
			return d.Args[0], d.Args[1:]
		}
	case "http-error":
		status := ""
		for i := 0; i+1 < len(d.Args); i++ {
			switch d.Args[i] {
			case "status":
				status = d.Args[i+1]
			case "errorfiles":
				name = d.Args[i+1]
			}
		}
		if name != "" && status != "" {
			return name, []string{status}
		}
	}
	return "", nil
}
