package proxy

import "fulcrum/proxy/http1"

// eraseRequest drops the request's target and header fields before a
// tarpit's answer is built, as the reference drains the request channel
// then: the answer's samples (an lf-string, hdr values, an http-error
// page) find no path, query or header; the method, which the reference
// keeps in the transaction, stays, and so do the flags the connection's
// fate depends on. The log line uses what was recorded at parse time.
func (h *httpConn) eraseRequest() {
	h.req.URI = nil
	h.req.Headers = h.req.Headers[:0]
}

// dropEmptyComputed removes the answer's hdr fields whose computed value
// came out empty: the reference does not add them.
func dropEmptyComputed(hs http1.Headers, tmpls []hdrTemplate) http1.Headers {
	empty := false
	for _, ht := range tmpls {
		if len(hs[ht.index].Value) == 0 {
			empty = true
		}
	}
	if !empty {
		return hs
	}
	out := hs[:0:0]
	for i := range hs {
		drop := false
		for _, ht := range tmpls {
			if ht.index == i && len(hs[i].Value) == 0 {
				drop = true
			}
		}
		if !drop {
			out = append(out, hs[i])
		}
	}
	return out
}
