package proxy

import (
	"strconv"

	"fulcrum/haproxy"
	"fulcrum/proxy/h2"
)

// h2Settings reads the global tune.h2.* values (the model validated
// their ranges) over HAProxy's defaults.
func h2Settings(g *haproxy.Global) h2.Settings {
	s := h2.DefaultSettings()
	for kw, dst := range map[string]*uint32{
		"tune.h2.max-concurrent-streams": &s.MaxConcurrentStreams,
		"tune.h2.initial-window-size":    &s.InitialWindowSize,
		"tune.h2.max-frame-size":         &s.MaxFrameSize,
		"tune.h2.header-table-size":      &s.HeaderTableSize,
	} {
		if v, err := strconv.ParseUint(g.Arg(kw), 10, 32); err == nil && v > 0 {
			*dst = uint32(v)
		}
	}
	return s
}
