package apisock

import (
	"bytes"

	"fulcrum/proxy"
	"fulcrum/proxy/stats"
)

// `show info` and `show stat` render the engine's statistics with the
// stats package, as the stats page does.

func init() {
	add := register
	add("show info", "show info [desc|json|typed|float]*      : report information about the running process", (*session).showInfo)
	add("show stat", "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server", (*session).showStat)
}

// format reads the typed/json words of args from index i.
func format(args []string, i int) stats.Format {
	f := stats.Plain
	for _, a := range args[min(i, len(args)):] {
		switch a {
		case "typed":
			f = stats.Typed
		case "json":
			f = stats.JSON
		}
	}
	return f
}

func (s *session) showInfo(args []string, _ string) string {
	var b bytes.Buffer
	stats.WriteInfo(&b, s.srv.engine.Info(proxy.Version, proxy.ReleaseDate), format(args, 2))
	return b.String()
}

func (s *session) showStat(args []string, _ string) string {
	i := 2
	if arg(args, i) == "domain" {
		i++
		switch arg(args, i) {
		case "proxy":
			i++
		case "resolvers":
			// Not built: the resolvers counters are in `show resolvers`.
			return ""
		default:
			return "Invalid statistics domain.\n"
		}
	}
	opts := stats.Options{ProxyID: -1, ServerID: -1}
	if arg(args, i) != "" && arg(args, i+1) != "" && arg(args, i+2) != "" {
		id, ok := s.srv.engine.ProxyIDs()[arg(args, i)]
		if !ok {
			id = atoi(arg(args, i))
		}
		if id == 0 {
			return "No such proxy.\n"
		}
		opts.ProxyID = id
		if t := atoi(arg(args, i+1)); t != -1 {
			opts.Types = t
		}
		opts.ServerID = atoi(arg(args, i+2))
		i += 3
	}
	for _, a := range args[min(i, len(args)):] {
		switch a {
		case "no-maint":
			opts.NoMaint = true
		case "up":
			opts.Up = true
		}
	}
	snap := s.srv.engine.Snapshot()
	var b bytes.Buffer
	switch format(args, i) {
	case stats.Typed:
		stats.WriteTyped(&b, snap, opts)
	case stats.JSON:
		stats.WriteJSON(&b, snap, opts)
	default:
		stats.WriteCSV(&b, snap, opts)
	}
	return b.String()
}
