package proxy

import "strings"

func init() { actedKeywords["description"] = true }

// proxyDescriptions maps each proxy that has a `description` line to its
// text (the words joined by spaces): the statistics page shows it beside
// the proxy's name.
func (a *adapter) proxyDescriptions() map[string]string {
	descs := map[string]string{}
	for _, px := range a.hc.Proxies {
		if px.Section == nil {
			continue
		}
		for _, d := range px.Section.Lines {
			if d.Keyword == "description" && len(d.Args) > 0 {
				descs[px.Name] = strings.Join(d.Args, " ")
			}
		}
	}
	return descs
}
