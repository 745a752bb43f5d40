package stats

// Field is one column of the 2.6 statistics, in its output position.
type Field int

// The 2.6 statistics fields, in HAProxy's order (ST_F_*); the module
// fields (SSL, H2, H1) follow the standard ones after the "-" column.
const (
	Pxname Field = iota
	Svname
	Qcur
	Qmax
	Scur
	Smax
	Slim
	Stot
	Bin
	Bout
	Dreq
	Dresp
	Ereq
	Econ
	Eresp
	Wretr
	Wredis
	Status
	Weight
	Act
	Bck
	Chkfail
	Chkdown
	Lastchg
	Downtime
	Qlimit
	Pid
	Iid
	Sid
	Throttle
	Lbtot
	Tracked
	Type
	Rate
	RateLim
	RateMax
	CheckStatus
	CheckCode
	CheckDuration
	Hrsp1xx
	Hrsp2xx
	Hrsp3xx
	Hrsp4xx
	Hrsp5xx
	HrspOther
	Hanafail
	ReqRate
	ReqRateMax
	ReqTot
	CliAbrt
	SrvAbrt
	CompIn
	CompOut
	CompByp
	CompRsp
	Lastsess
	LastChk
	LastAgt
	Qtime
	Ctime
	Rtime
	Ttime
	AgentStatus
	AgentCode
	AgentDuration
	CheckDesc
	AgentDesc
	CheckRise
	CheckFall
	CheckHealth
	AgentRise
	AgentFall
	AgentHealth
	Addr
	Cookie
	Mode
	Algo
	ConnRate
	ConnRateMax
	ConnTot
	Intercepted
	Dcon
	Dses
	Wrew
	Connect
	Reuse
	CacheLookups
	CacheHits
	SrvIcur
	SrcIlim
	QtimeMax
	CtimeMax
	RtimeMax
	TtimeMax
	Eint
	IdleConnCur
	SafeConnCur
	UsedConnCur
	NeedConnEst
	Uweight
	AggServerStatus
	AggServerCheckStatus
	AggCheckStatus
	// Module fields.
	SslSess
	SslReusedSess
	SslFailedHandshake
	H2HeadersRcvd
	H2DataRcvd
	H2SettingsRcvd
	H2RstStreamRcvd
	H2GoawayRcvd
	H2DetectedConnProtocolErrors
	H2DetectedStrmProtocolErrors
	H2RstStreamResp
	H2GoawayResp
	H2OpenConnections
	H2BackendOpenStreams
	H2TotalConnections
	H2BackendTotalStreams
	H1OpenConnections
	H1OpenStreams
	H1TotalConnections
	H1TotalStreams
	H1BytesIn
	H1BytesOut
	H1SplicedBytesIn
	H1SplicedBytesOut

	// NumFields counts every field, module fields included.
	NumFields
)

// NumStdFields is the number of standard fields; the CSV prints a "-"
// column after them, then the module fields.
const NumStdFields = SslSess

// fieldSpecs names each field and, per object type, its tags and type as
// `show stat typed` prints them ("F:MCP:u64" = frontend, Metric, Counter,
// Process scope, unsigned 64 bits).
var fieldSpecs = [NumFields]struct{ name, tags string }{
	{"pxname", "B:KNS:str F:KNS:str S:KNS:str L:KNS:str"},
	{"svname", "B:KNS:str F:KNS:str S:KNS:str L:KNS:str"},
	{"qcur", "B:MGP:u32 S:MGP:u32"},
	{"qmax", "B:MMP:u32 S:MMP:u32"},
	{"scur", "B:MGP:u32 F:MGP:u32 S:MGP:u32 L:MGP:u32"},
	{"smax", "B:MMP:u32 F:MMP:u32 S:MMP:u32 L:MMP:u32"},
	{"slim", "B:CLP:u32 F:CLP:u32 S:CLP:u32 L:CLP:u32"},
	{"stot", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"bin", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"bout", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"dreq", "B:MCP:u64 F:MCP:u64 L:MCP:u64"},
	{"dresp", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"ereq", "F:MCP:u64 L:MCP:u64"},
	{"econ", "B:MCP:u64 S:MCP:u64"},
	{"eresp", "B:MCP:u64 S:MCP:u64"},
	{"wretr", "B:MCP:u64 S:MCP:u64"},
	{"wredis", "B:MCP:u64 S:MCP:u64"},
	{"status", "B:SGP:str F:SGP:str S:SGP:str L:SGP:str"},
	{"weight", "B:MaP:u32 S:MaP:u32"},
	{"act", "B:MGP:u32 S:SGP:u32"},
	{"bck", "B:MGP:u32 S:SGP:u32"},
	{"chkfail", "S:MCP:u64"},
	{"chkdown", "B:MCP:u64 S:MCP:u64"},
	{"lastchg", "B:MAP:u32 S:MAP:u32"},
	{"downtime", "B:MCP:u32 S:MCP:u32"},
	{"qlimit", "S:CGS:u32"},
	{"pid", "B:KGP:u32 F:KGP:u32 S:KGP:u32 L:KGP:u32"},
	{"iid", "B:KGS:u32 F:KGS:u32 S:KGS:u32 L:KGS:u32"},
	{"sid", "B:KGS:u32 F:KGS:u32 S:KGS:u32 L:KGS:u32"},
	{"throttle", "S:MaP:u32"},
	{"lbtot", "B:MCP:u64 S:MCP:u64"},
	{"tracked", "S:CNS:str"},
	{"type", "B:CGS:u32 F:CGS:u32 S:CGS:u32 L:CGS:u32"},
	{"rate", "B:MGP:u32 F:MRP:u32 S:MRP:u32"},
	{"rate_lim", "F:CLP:u32"},
	{"rate_max", "B:MGP:u32 F:MMP:u32 S:MMP:u32"},
	{"check_status", "S:MOP:str"},
	{"check_code", "S:MOP:u32"},
	{"check_duration", "S:MDP:u64"},
	{"hrsp_1xx", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"hrsp_2xx", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"hrsp_3xx", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"hrsp_4xx", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"hrsp_5xx", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"hrsp_other", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"hanafail", "S:MCP:u64"},
	{"req_rate", "F:MRP:u32"},
	{"req_rate_max", "F:MMP:u32"},
	{"req_tot", "B:MCP:u64 F:MCP:u64 S:MCP:u64"},
	{"cli_abrt", "B:MCP:u64 S:MCP:u64"},
	{"srv_abrt", "B:MCP:u64 S:MCP:u64"},
	{"comp_in", "B:MCP:u64 F:MCP:u64"},
	{"comp_out", "B:MCP:u64 F:MCP:u64"},
	{"comp_byp", "B:MCP:u64 F:MCP:u64"},
	{"comp_rsp", "B:MCP:u64 F:MCP:u64"},
	{"lastsess", "B:MAP:s32 S:MAP:s32"},
	{"last_chk", "S:MOP:str"},
	{"last_agt", "S:MOP:str"},
	{"qtime", "B:MaP:u32 S:MaP:u32"},
	{"ctime", "B:MaP:u32 S:MaP:u32"},
	{"rtime", "B:MaP:u32 S:MaP:u32"},
	{"ttime", "B:MaP:u32 S:MaP:u32"},
	{"agent_status", "S:MOP:str"},
	{"agent_code", "S:MOP:u32"},
	{"agent_duration", "S:MDP:u64"},
	{"check_desc", "S:MOP:str"},
	{"agent_desc", "S:MOP:str"},
	{"check_rise", "S:CGS:u32"},
	{"check_fall", "S:CGS:u32"},
	{"check_health", "S:CGS:u32"},
	{"agent_rise", "S:CGS:u32"},
	{"agent_fall", "S:CGS:u32"},
	{"agent_health", "S:CGS:u32"},
	{"addr", "S:CGS:str L:CGS:str"},
	{"cookie", "B:CNS:str S:CNS:str"},
	{"mode", "B:CGS:str F:CGS:str S:CGS:str L:CGS:str"},
	{"algo", "B:CGS:str"},
	{"conn_rate", "F:MRP:u32"},
	{"conn_rate_max", "F:MMP:u32"},
	{"conn_tot", "F:MCP:u64"},
	{"intercepted", "F:MCP:u64"},
	{"dcon", "F:MCP:u64 L:MCP:u64"},
	{"dses", "F:MCP:u64 L:MCP:u64"},
	{"wrew", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"connect", "B:MCP:u64 S:MCP:u64"},
	{"reuse", "B:MCP:u64 S:MCP:u64"},
	{"cache_lookups", "B:MCP:u64 F:MCP:u64"},
	{"cache_hits", "B:MCP:u64 F:MCP:u64"},
	{"srv_icur", "S:MGP:u32"},
	{"src_ilim", "S:MGP:u32"},
	{"qtime_max", "B:MMP:u32 S:MMP:u32"},
	{"ctime_max", "B:MMP:u32 S:MMP:u32"},
	{"rtime_max", "B:MMP:u32 S:MMP:u32"},
	{"ttime_max", "B:MMP:u32 S:MMP:u32"},
	{"eint", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"idle_conn_cur", "S:MGP:u32"},
	{"safe_conn_cur", "S:MGP:u32"},
	{"used_conn_cur", "S:MGP:u32"},
	{"need_conn_est", "S:MGP:u32"},
	{"uweight", "B:MaP:u32 S:MaP:u32"},
	{"agg_server_status", "B:MGP:u32"},
	{"agg_server_check_status", "B:MGP:u32"},
	{"agg_check_status", "B:MGP:u32"},
	{"ssl_sess", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"ssl_reused_sess", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"ssl_failed_handshake", "B:MCP:u64 F:MCP:u64 S:MCP:u64 L:MCP:u64"},
	{"h2_headers_rcvd", "B:MCP:u64 F:MCP:u64"},
	{"h2_data_rcvd", "B:MCP:u64 F:MCP:u64"},
	{"h2_settings_rcvd", "B:MCP:u64 F:MCP:u64"},
	{"h2_rst_stream_rcvd", "B:MCP:u64 F:MCP:u64"},
	{"h2_goaway_rcvd", "B:MCP:u64 F:MCP:u64"},
	{"h2_detected_conn_protocol_errors", "B:MCP:u64 F:MCP:u64"},
	{"h2_detected_strm_protocol_errors", "B:MCP:u64 F:MCP:u64"},
	{"h2_rst_stream_resp", "B:MCP:u64 F:MCP:u64"},
	{"h2_goaway_resp", "B:MCP:u64 F:MCP:u64"},
	{"h2_open_connections", "B:MGP:u64 F:MGP:u64"},
	{"h2_backend_open_streams", "B:MGP:u64 F:MGP:u64"},
	{"h2_total_connections", "B:MCP:u64 F:MCP:u64"},
	{"h2_backend_total_streams", "B:MCP:u64 F:MCP:u64"},
	{"h1_open_connections", "B:MGP:u64 F:MGP:u64"},
	{"h1_open_streams", "B:MGP:u64 F:MGP:u64"},
	{"h1_total_connections", "B:MCP:u64 F:MCP:u64"},
	{"h1_total_streams", "B:MCP:u64 F:MCP:u64"},
	{"h1_bytes_in", "B:MCP:u64 F:MCP:u64"},
	{"h1_bytes_out", "B:MCP:u64 F:MCP:u64"},
	{"h1_spliced_bytes_in", "B:MCP:u64 F:MCP:u64"},
	{"h1_spliced_bytes_out", "B:MCP:u64 F:MCP:u64"},
}
