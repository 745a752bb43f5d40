package proxy

import (
	"strconv"
	"time"
)

// HTTPRecord is what an access log knows of one HTTP request beyond the
// connection fields of Record.
type HTTPRecord struct {
	Start   time.Time     // %tr: when the request began
	TReq    time.Duration // %TR: time to receive the request head; -1 if never complete
	TResp   time.Duration // %Tr: server's time to the response head; -1 if none
	TActive time.Duration // %Ta: from Start to the end of the response
	Status  int           // %ST
	// Request is the request line (%r), "<BADREQ>" for one refused as
	// malformed; valid during the AccessLog call only.
	Request []byte
	// Cookie is the persistence cookie's state (the last two %tsc
	// characters: the client's cookie, the server's); "--" without
	// cookie persistence.
	Cookie [2]byte
}

// HTTPLog formats r (an http-mode record) as HAProxy's `option httplog`:
//
//	%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r
func HTTPLog(r *Record) string {
	return string(AppendHTTPLog(nil, r))
}

// AppendHTTPLog appends HTTPLog's line to dst without allocating beyond it.
func AppendHTTPLog(dst []byte, r *Record) []byte {
	h := r.HTTP
	be, srv := r.Backend, r.Server
	if be == "" {
		be = r.Frontend
	}
	if srv == "" {
		srv = "<NOSRV>"
	}
	dst = r.Client.Addr().Unmap().AppendTo(dst)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(r.Client.Port()), 10)
	dst = append(dst, " ["...)
	dst = h.Start.AppendFormat(dst, "02/Jan/2006:15:04:05.000")
	dst = append(dst, "] "...)
	dst = append(dst, r.Frontend...)
	dst = append(dst, ' ')
	dst = append(dst, be...)
	dst = append(dst, '/')
	dst = append(dst, srv...)
	dst = append(dst, ' ')
	for i, d := range [...]time.Duration{h.TReq, r.TQueue, r.TConnect, h.TResp, h.TActive} {
		if i > 0 {
			dst = append(dst, '/')
		}
		dst = strconv.AppendInt(dst, ms(d), 10)
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(h.Status), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, r.BytesOut, 10)
	dst = append(dst, " - - "...)
	dst = append(dst, r.Term[0], r.Term[1], cookieFlag(h.Cookie[0]), cookieFlag(h.Cookie[1]), ' ')
	for i, n := range [...]int64{r.ActConn, r.FeConn, r.BeConn, r.SrvConn} {
		if i > 0 {
			dst = append(dst, '/')
		}
		dst = strconv.AppendInt(dst, n, 10)
	}
	dst = append(dst, '/')
	if r.Redispath {
		dst = append(dst, '+')
	}
	dst = strconv.AppendInt(dst, int64(r.Retries), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(r.SrvQueue), 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, int64(r.BeQueue), 10)
	dst = append(dst, ' ', '"')
	dst = append(dst, h.Request...)
	return append(dst, '"')
}
