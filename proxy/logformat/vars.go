package logformat

// Var is one of HAProxy 2.6's log-format variables (%ci, %Tw, ...).
type Var uint8

// The variables, in the 2.6 manual's order (section 8.2.4).
const (
	varNone       Var = iota
	VarGlobalOpts     // %o: flags for every later node
	VarClientIP
	VarClientPort
	VarFrontendIP
	VarFrontendPort
	VarBackendSrcIP // %bi: our source address towards the server
	VarBackendSrcPort
	VarServerIP
	VarServerPort
	VarAcceptDate      // %t
	VarRequestDate     // %tr
	VarRequestDateGMT  // %trg
	VarRequestDateLoc  // %trl
	VarAcceptDateGMT   // %T
	VarAcceptDateLocal // %Tl
	VarAcceptTS        // %Ts
	VarAcceptMS        // %ms
	VarFrontendXprt    // %ft
	VarFrontend        // %f
	VarBackend         // %b
	VarServer          // %s
	VarTh
	VarTi
	VarTR
	VarTq
	VarTw
	VarTc
	VarTr
	VarTa
	VarTt
	VarTu
	VarTd
	VarBytesOut // %B
	VarBytesIn  // %U
	VarStatus   // %ST
	VarReqCookie
	VarResCookie
	VarTermCookie // %tsc
	VarTerm       // %ts
	VarActConn
	VarFeConn
	VarBeConn
	VarSrvConn
	VarRetries
	VarSrvQueue
	VarBeQueue
	VarReqHdrs     // %hr
	VarReqHdrsList // %hrl
	VarResHdrs     // %hs
	VarResHdrsList // %hsl
	VarRequest     // %r
	VarMethod      // %HM
	VarPath        // %HP
	VarPathOnly    // %HPO
	VarQuery       // %HQ
	VarURI         // %HU
	VarVersion     // %HV
	VarUniqueID    // %ID
	VarPID
	VarHostname // %H
	VarReqCount // %rt
	VarLogCount // %lc
	VarSSLCipher
	VarSSLVersion
	varCount
)

// varInfo describes a variable: its name in formats and whether only
// http-mode proxies may use it.
type varInfo struct {
	name     string
	httpOnly bool
}

var vars = [varCount]varInfo{
	VarGlobalOpts: {"o", false}, VarClientIP: {"ci", false}, VarClientPort: {"cp", false},
	VarFrontendIP: {"fi", false}, VarFrontendPort: {"fp", false},
	VarBackendSrcIP: {"bi", false}, VarBackendSrcPort: {"bp", false},
	VarServerIP: {"si", false}, VarServerPort: {"sp", false},
	VarAcceptDate: {"t", false}, VarRequestDate: {"tr", true}, VarRequestDateGMT: {"trg", true},
	VarRequestDateLoc: {"trl", true}, VarAcceptDateGMT: {"T", false}, VarAcceptDateLocal: {"Tl", false},
	VarAcceptTS: {"Ts", false}, VarAcceptMS: {"ms", false},
	VarFrontendXprt: {"ft", false}, VarFrontend: {"f", false}, VarBackend: {"b", false}, VarServer: {"s", false},
	VarTh: {"Th", false}, VarTi: {"Ti", true}, VarTR: {"TR", true}, VarTq: {"Tq", true},
	VarTw: {"Tw", false}, VarTc: {"Tc", false}, VarTr: {"Tr", true}, VarTa: {"Ta", true},
	VarTt: {"Tt", false}, VarTu: {"Tu", false}, VarTd: {"Td", false},
	VarBytesOut: {"B", false}, VarBytesIn: {"U", false}, VarStatus: {"ST", false},
	VarReqCookie: {"CC", true}, VarResCookie: {"CS", true}, VarTermCookie: {"tsc", false}, VarTerm: {"ts", false},
	VarActConn: {"ac", false}, VarFeConn: {"fc", false}, VarBeConn: {"bc", false}, VarSrvConn: {"sc", false},
	VarRetries: {"rc", false}, VarSrvQueue: {"sq", false}, VarBeQueue: {"bq", false},
	VarReqHdrs: {"hr", false}, VarReqHdrsList: {"hrl", false}, VarResHdrs: {"hs", false}, VarResHdrsList: {"hsl", false},
	VarRequest: {"r", true}, VarMethod: {"HM", true}, VarPath: {"HP", true}, VarPathOnly: {"HPO", true},
	VarQuery: {"HQ", true}, VarURI: {"HU", true}, VarVersion: {"HV", true},
	VarUniqueID: {"ID", false}, VarPID: {"pid", false}, VarHostname: {"H", false},
	VarReqCount: {"rt", false}, VarLogCount: {"lc", false},
	VarSSLCipher: {"sslc", false}, VarSSLVersion: {"sslv", false},
}

// varByName finds a variable by its name as written after '%'.
var varByName = func() map[string]Var {
	m := make(map[string]Var, varCount)
	for v := Var(1); v < varCount; v++ {
		m[vars[v].name] = v
	}
	return m
}()

// Name is the variable's name as written after '%'.
func (v Var) Name() string {
	if v >= varCount {
		return ""
	}
	return vars[v].name
}
