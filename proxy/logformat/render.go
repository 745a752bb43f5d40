package logformat

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"
)

const hexDigits = "0123456789ABCDEF"

// Encoding maps (HAProxy's log.c): captured headers escape '"#{|}' and
// non-printable bytes as '#' and two hex digits; URIs only '"', '#' and
// non-printables.
var hdrEncode, urlEncode [256]bool

func init() {
	for i := range 256 {
		np := i < 32 || i >= 127
		hdrEncode[i], urlEncode[i] = np, np
	}
	for _, c := range []byte("\"#{|}") {
		hdrEncode[c] = true
	}
	for _, c := range []byte("\"#") {
		urlEncode[c] = true
	}
}

// Render appends the line for v to dst and returns it. It allocates
// nothing once dst has grown to a line's size.
func (f *Format) Render(dst []byte, v *Values) []byte {
	lastSpace := true
	for i := range f.nodes {
		n := &f.nodes[i]
		switch n.kind {
		case nodeSeparator:
			if !lastSpace {
				dst = append(dst, ' ')
				lastSpace = true
			}
			continue
		case nodeText:
			dst = append(dst, n.text...)
		case nodeVar:
			before := len(dst)
			dst = appendVar(dst, n.v, n.flags, v)
			if len(dst) == before && isCapture(n.v) {
				continue // an absent capture list leaves the separator pending
			}
		case nodeSample:
			dst = appendSample(dst, n, v)
		}
		lastSpace = false
	}
	return dst
}

func isCapture(x Var) bool {
	return x == VarReqHdrs || x == VarReqHdrsList || x == VarResHdrs || x == VarResHdrsList
}

func appendSample(dst []byte, n *node, v *Values) []byte {
	mark := len(dst)
	if n.flags&Quote != 0 {
		dst = append(dst, '"')
	}
	body := len(dst)
	out, ok := n.sample(dst, v)
	if !ok || len(out) == body {
		return appendAbsent(out[:mark], n.flags)
	}
	dst = out
	if n.flags&Escape != 0 {
		dst = escapeInPlace(dst, body)
	}
	if n.flags&Quote != 0 {
		dst = append(dst, '"')
	}
	return dst
}

// escapeInPlace backslash-escapes '"', '\' and ']' in dst[from:].
func escapeInPlace(dst []byte, from int) []byte {
	extra := 0
	for _, c := range dst[from:] {
		if c == '"' || c == '\\' || c == ']' {
			extra++
		}
	}
	if extra == 0 {
		return dst
	}
	n := len(dst)
	for range extra {
		dst = append(dst, 0)
	}
	w := len(dst)
	for r := n - 1; r >= from; r-- {
		c := dst[r]
		w--
		dst[w] = c
		if c == '"' || c == '\\' || c == ']' {
			w--
			dst[w] = '\\'
		}
	}
	return dst
}

// appendAbsent writes a missing value: "-", or "" when quoted.
func appendAbsent(dst []byte, fl Flags) []byte {
	if fl&Quote != 0 {
		return append(dst, '"', '"')
	}
	return append(dst, '-')
}

// appendText writes a string value with the Quote and Escape modifiers.
func appendText(dst []byte, s string, fl Flags) []byte {
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	if fl&Escape != 0 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c == ']' {
				dst = append(dst, '\\')
			}
			dst = append(dst, s[i])
		}
	} else {
		dst = append(dst, s...)
	}
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	return dst
}

// appendEncoded writes b with the bytes of enc as '#XX', quoted and
// escaped per fl.
func appendEncoded(dst []byte, b []byte, enc *[256]bool, fl Flags) []byte {
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	esc := fl&Escape != 0
	plain := 0 // start of the run of bytes copied as they are
	for i, c := range b {
		switch {
		case enc[c]:
			dst = append(dst, b[plain:i]...)
			dst = append(dst, '#', hexDigits[c>>4], hexDigits[c&15])
			plain = i + 1
		case esc && (c == '"' || c == '\\' || c == ']'):
			dst = append(dst, b[plain:i]...)
			dst = append(dst, '\\', c)
			plain = i + 1
		}
	}
	dst = append(dst, b[plain:]...)
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	return dst
}

func appendHex(dst []byte, n uint64, width int) []byte {
	var buf [16]byte
	i := len(buf)
	for n > 0 || i > len(buf)-width {
		i--
		buf[i] = hexDigits[n&15]
		n >>= 4
		if i == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

func appendIP(dst []byte, ap netip.AddrPort, fl Flags) []byte {
	if !ap.IsValid() {
		return appendAbsent(dst, fl)
	}
	a := ap.Addr().Unmap()
	if fl&Hex != 0 {
		for _, b := range a.AsSlice() {
			dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
		}
		return dst
	}
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	dst = a.AppendTo(dst)
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	return dst
}

func appendPort(dst []byte, ap netip.AddrPort, fl Flags) []byte {
	if !ap.IsValid() {
		return appendAbsent(dst, fl)
	}
	if fl&Hex != 0 {
		return appendHex(dst, uint64(ap.Port()), 4)
	}
	return strconv.AppendUint(dst, uint64(ap.Port()), 10)
}

func appendMS(dst []byte, d time.Duration) []byte {
	if d < 0 {
		return append(dst, '-', '1')
	}
	return strconv.AppendInt(dst, d.Milliseconds(), 10)
}

// appendCounter writes a counter in decimal, or as %04X with Hex.
func appendCounter(dst []byte, n uint64, fl Flags) []byte {
	if fl&Hex != 0 {
		return appendHex(dst, n, 4)
	}
	return strconv.AppendUint(dst, n, 10)
}

// Date layouts of the reference: %t/%tr keep milliseconds, %T/%Tl/%trg/
// %trl carry the zone offset.
const (
	layoutMillis = "02/Jan/2006:15:04:05.000"
	layoutZone   = "02/Jan/2006:15:04:05 -0700"
)

// appendCaptures writes %hr/%hs ('{a|b}') or, with list, %hrl/%hsl
// ('a b', absent ones as '-').
func appendCaptures(dst []byte, caps [][]byte, none bool, list bool, fl Flags) []byte {
	if none || len(caps) == 0 {
		return dst
	}
	if list {
		for i, c := range caps {
			if i > 0 {
				dst = append(dst, ' ')
			}
			if c == nil {
				dst = appendAbsent(dst, fl)
			} else {
				dst = appendEncoded(dst, c, &hdrEncode, fl)
			}
		}
		return dst
	}
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	dst = append(dst, '{')
	for i, c := range caps {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = appendEncoded(dst, c, &hdrEncode, fl&^Quote)
	}
	dst = append(dst, '}')
	if fl&Quote != 0 {
		dst = append(dst, '"')
	}
	return dst
}

var badReq = []byte("<BADREQ>")

// requestPart splits the request line for %HM, %HU, %HP, %HPO, %HQ, %HV.
func requestPart(line []byte, v Var) []byte {
	if bytes.Equal(line, badReq) {
		return badReq
	}
	method, rest, _ := bytes.Cut(line, []byte{' '})
	uri, version := rest, []byte(nil)
	if i := bytes.LastIndexByte(rest, ' '); i >= 0 {
		uri, version = rest[:i], rest[i+1:]
	}
	switch v {
	case VarMethod:
		return method
	case VarVersion:
		return version
	case VarURI:
		return uri
	}
	path, query := uri, []byte(nil)
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		path, query = uri[:i], uri[i:]
	}
	switch v {
	case VarQuery:
		return query
	case VarPathOnly:
		// An absolute URI loses its scheme and authority.
		if i := bytes.Index(path, []byte("://")); i >= 0 {
			p := path[i+3:]
			if j := bytes.IndexByte(p, '/'); j >= 0 {
				return p[j:]
			}
			return []byte("/")
		}
	}
	return path
}

func appendVar(dst []byte, x Var, fl Flags, v *Values) []byte {
	switch x {
	case VarClientIP:
		return appendIP(dst, v.Client, fl)
	case VarClientPort:
		return appendPort(dst, v.Client, fl)
	case VarFrontendIP:
		return appendIP(dst, v.Frontend, fl)
	case VarFrontendPort:
		return appendPort(dst, v.Frontend, fl)
	case VarBackendSrcIP:
		return appendIP(dst, v.BackendSrc, fl)
	case VarBackendSrcPort:
		return appendPort(dst, v.BackendSrc, fl)
	case VarServerIP:
		return appendIP(dst, v.Server, fl)
	case VarServerPort:
		return appendPort(dst, v.Server, fl)
	case VarAcceptDate:
		return v.Accept.AppendFormat(dst, layoutMillis)
	case VarRequestDate:
		return v.reqStart().AppendFormat(dst, layoutMillis)
	case VarRequestDateGMT:
		return v.reqStart().UTC().AppendFormat(dst, layoutZone)
	case VarRequestDateLoc:
		return v.reqStart().AppendFormat(dst, layoutZone)
	case VarAcceptDateGMT:
		return v.Accept.UTC().AppendFormat(dst, layoutZone)
	case VarAcceptDateLocal:
		return v.Accept.AppendFormat(dst, layoutZone)
	case VarAcceptTS:
		if fl&Hex != 0 {
			return appendHex(dst, uint64(v.Accept.Unix()), 8)
		}
		return strconv.AppendInt(dst, v.Accept.Unix(), 10)
	case VarAcceptMS:
		ms := uint64(v.Accept.Nanosecond() / 1e6)
		if fl&Hex != 0 {
			return appendHex(dst, ms, 2)
		}
		return append(dst, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	case VarFrontendXprt:
		if fl&Quote != 0 {
			dst = append(dst, '"')
		}
		dst = appendText(dst, v.FrontendName, fl&^Quote)
		if v.SSL {
			dst = append(dst, '~')
		}
		if fl&Quote != 0 {
			dst = append(dst, '"')
		}
		return dst
	case VarFrontend:
		return appendText(dst, v.FrontendName, fl)
	case VarBackend:
		if v.BackendName == "" {
			return appendText(dst, v.FrontendName, fl)
		}
		return appendText(dst, v.BackendName, fl)
	case VarServer:
		if v.ServerName == "" {
			return appendText(dst, "<NOSRV>", fl)
		}
		return appendText(dst, v.ServerName, fl)
	case VarTh:
		return appendMS(dst, v.Th)
	case VarTi:
		return appendMS(dst, v.Ti)
	case VarTR:
		return appendMS(dst, v.TR)
	case VarTq:
		return appendMS(dst, v.tq())
	case VarTw:
		return appendMS(dst, v.Tw)
	case VarTc:
		return appendMS(dst, v.Tc)
	case VarTr:
		return appendMS(dst, v.Tr)
	case VarTa:
		return appendMS(partial(dst, v), v.ta())
	case VarTt:
		return appendMS(partial(dst, v), v.Tt)
	case VarTu:
		return appendMS(partial(dst, v), v.Tt-max(v.Ti, 0))
	case VarTd:
		return appendMS(dst, v.td())
	case VarBytesOut:
		return strconv.AppendInt(partial(dst, v), v.BytesOut, 10)
	case VarBytesIn:
		return strconv.AppendInt(dst, v.BytesIn, 10)
	case VarStatus:
		return strconv.AppendInt(dst, int64(v.Status), 10)
	case VarReqCookie, VarResCookie:
		// No cookie capture: absent, as in the reference without one.
		return appendAbsent(dst, fl)
	case VarSSLCipher, VarSSLVersion:
		s := v.SSLCipher
		if x == VarSSLVersion {
			s = v.SSLVersion
		}
		if s == "" {
			return appendAbsent(dst, fl)
		}
		return appendText(dst, s, fl)
	case VarTermCookie:
		return append(dst, orDash(v.Term[0]), orDash(v.Term[1]), orDash(v.Cookie[0]), orDash(v.Cookie[1]))
	case VarTerm:
		return append(dst, orDash(v.Term[0]), orDash(v.Term[1]))
	case VarActConn:
		return strconv.AppendInt(dst, v.ActConn, 10)
	case VarFeConn:
		return strconv.AppendInt(dst, v.FeConn, 10)
	case VarBeConn:
		return strconv.AppendInt(dst, v.BeConn, 10)
	case VarSrvConn:
		return strconv.AppendInt(dst, v.SrvConn, 10)
	case VarRetries:
		if v.Redispatched {
			dst = append(dst, '+')
		}
		return strconv.AppendInt(dst, int64(v.Retries), 10)
	case VarSrvQueue:
		return strconv.AppendInt(dst, int64(v.SrvQueue), 10)
	case VarBeQueue:
		return strconv.AppendInt(dst, int64(v.BeQueue), 10)
	case VarReqHdrs, VarReqHdrsList:
		return appendCaptures(dst, v.ReqCaptures, v.NoStream, x == VarReqHdrsList, fl)
	case VarResHdrs, VarResHdrsList:
		return appendCaptures(dst, v.ResCaptures, v.NoStream, x == VarResHdrsList, fl)
	case VarRequest:
		return appendEncoded(dst, v.Request, &urlEncode, fl)
	case VarMethod, VarVersion:
		return appendEncoded(dst, requestPart(v.Request, x), &noEncode, fl)
	case VarURI, VarPath, VarPathOnly, VarQuery:
		return appendEncoded(dst, requestPart(v.Request, x), &urlEncode, fl)
	case VarUniqueID:
		if v.UniqueID == nil {
			return appendAbsent(dst, fl)
		}
		return appendEncoded(dst, v.UniqueID, &noEncode, fl)
	case VarPID:
		return appendCounter(dst, uint64(v.PID), fl)
	case VarHostname:
		return appendText(dst, v.Hostname, fl)
	case VarReqCount:
		return appendCounter(dst, v.ReqCount, fl)
	case VarLogCount:
		return appendCounter(dst, v.LogCount, fl)
	}
	return dst
}

var noEncode [256]bool

func orDash(c byte) byte {
	if c == 0 {
		return '-'
	}
	return c
}

func (v *Values) reqStart() time.Time {
	if v.RequestStart.IsZero() {
		return v.Accept
	}
	return v.RequestStart
}

// tq is %Tq = Th + Ti + TR, -1 when the request never completed.
func (v *Values) tq() time.Duration {
	if v.TR < 0 {
		return -1
	}
	return max(v.Th, 0) + max(v.Ti, 0) + v.TR
}

// ta is %Ta: Tt without the handshake and idle times.
func (v *Values) ta() time.Duration {
	if v.Ta >= 0 {
		return v.Ta
	}
	return v.Tt - max(v.Th, 0) - max(v.Ti, 0)
}

// td is %Td = Tt - (Tq + Tw + Tc + Tr): the data transfer time, -1 when
// the transfer never started (no response in http, no connection in tcp;
// tcp-mode Values carry Tr 0 once connected).
func (v *Values) td() time.Duration {
	if v.Tc < 0 || v.Tr < 0 {
		return -1
	}
	return max(v.Tt-max(v.tq(), 0)-max(v.Tw, 0)-v.Tc-max(v.Tr, 0), 0)
}
