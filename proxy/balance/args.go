package balance

import "strconv"

// SetHTTPArgs applies the arguments of the http-mode hashing algorithms:
// `uri [whole] [len N] [depth N] [path-only]`, `url_param <name>
// [check_post]` and `hdr(<name>) [use_domain_only]`; paren is what the
// algorithm's parentheses held. Their shape was checked by the model.
func (c *Config) SetHTTPArgs(paren string, args []string) {
	switch c.Algo {
	case URI:
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "whole":
				c.URIWhole = true
			case "path-only":
				c.URIPathOnly = true
			case "len", "depth":
				if i+1 < len(args) {
					n, _ := strconv.Atoi(args[i+1])
					if args[i] == "len" {
						c.URILen = n
					} else {
						c.URIDepth = n
					}
					i++
				}
			}
		}
	case URLParam:
		if len(args) > 0 {
			c.Param = args[0]
		}
	case Hdr:
		c.Param = paren
		for _, a := range args {
			c.UseDomainOnly = c.UseDomainOnly || a == "use_domain_only"
		}
	}
}
