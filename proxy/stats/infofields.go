package stats

// InfoField is one `show info` field, in 2.6's order (INF_*).
type InfoField int

// The 2.6 `show info` fields.
const (
	InfoName InfoField = iota
	InfoVersion
	InfoReleaseDate
	InfoNbthread
	InfoNbproc
	InfoProcessNum
	InfoPid
	InfoUptime
	InfoUptimeSec
	InfoMemmaxMB
	InfoPoolAllocMB
	InfoPoolUsedMB
	InfoPoolFailed
	InfoUlimitN
	InfoMaxsock
	InfoMaxconn
	InfoHardMaxconn
	InfoCurrConns
	InfoCumConns
	InfoCumReq
	InfoMaxSslConns
	InfoCurrSslConns
	InfoCumSslConns
	InfoMaxpipes
	InfoPipesUsed
	InfoPipesFree
	InfoConnRate
	InfoConnRateLimit
	InfoMaxConnRate
	InfoSessRate
	InfoSessRateLimit
	InfoMaxSessRate
	InfoSslRate
	InfoSslRateLimit
	InfoMaxSslRate
	InfoSslFrontendKeyRate
	InfoSslFrontendMaxKeyRate
	InfoSslFrontendSessionReusePct
	InfoSslBackendKeyRate
	InfoSslBackendMaxKeyRate
	InfoSslCacheLookups
	InfoSslCacheMisses
	InfoCompressBpsIn
	InfoCompressBpsOut
	InfoCompressBpsRateLim
	InfoZlibMemUsage
	InfoMaxZlibMemUsage
	InfoTasks
	InfoRunQueue
	InfoIdlePct
	InfoNode
	InfoDescription
	InfoStopping
	InfoJobs
	InfoUnstoppableJobs
	InfoListeners
	InfoActivePeers
	InfoConnectedPeers
	InfoDroppedLogs
	InfoBusyPolling
	InfoFailedResolutions
	InfoTotalBytesOut
	InfoTotalSplicdedBytesOut
	InfoBytesOutRate
	InfoDebugCommandsIssued
	InfoCumRecvLogs
	InfoBuildInfo
	InfoMemmaxBytes
	InfoPoolAllocBytes
	InfoPoolUsedBytes
	InfoStartTimeSec
	InfoTainted

	// NumInfoFields counts the fields.
	NumInfoFields
)

// infoSpecs names each info field with its typed-output tags and type.
var infoSpecs = [NumInfoFields]struct{ name, tags, typ string }{
	{"Name", "POS", "str"},
	{"Version", "POS", "str"},
	{"Release_date", "POS", "str"},
	{"Nbthread", "CGS", "u32"},
	{"Nbproc", "CGS", "u32"},
	{"Process_num", "KGP", "u32"},
	{"Pid", "SGP", "u32"},
	{"Uptime", "MDP", "str"},
	{"Uptime_sec", "MDP", "u32"},
	{"Memmax_MB", "CLP", "u32"},
	{"PoolAlloc_MB", "MGP", "u32"},
	{"PoolUsed_MB", "MGP", "u32"},
	{"PoolFailed", "MCP", "u32"},
	{"Ulimit-n", "CLP", "u32"},
	{"Maxsock", "CLP", "u32"},
	{"Maxconn", "CLP", "u32"},
	{"Hard_maxconn", "CLP", "u32"},
	{"CurrConns", "MGP", "u32"},
	{"CumConns", "MCP", "u32"},
	{"CumReq", "MCP", "u32"},
	{"MaxSslConns", "MMP", "u32"},
	{"CurrSslConns", "MGP", "u32"},
	{"CumSslConns", "MCP", "u32"},
	{"Maxpipes", "CLP", "u32"},
	{"PipesUsed", "MGP", "u32"},
	{"PipesFree", "MGP", "u32"},
	{"ConnRate", "MRP", "u32"},
	{"ConnRateLimit", "CLP", "u32"},
	{"MaxConnRate", "MMP", "u32"},
	{"SessRate", "MRP", "u32"},
	{"SessRateLimit", "CLP", "u32"},
	{"MaxSessRate", "MRP", "u32"},
	{"SslRate", "MRP", "u32"},
	{"SslRateLimit", "CLP", "u32"},
	{"MaxSslRate", "MMP", "u32"},
	{"SslFrontendKeyRate", "MGP", "u32"},
	{"SslFrontendMaxKeyRate", "MMP", "u32"},
	{"SslFrontendSessionReuse_pct", "MGP", "u32"},
	{"SslBackendKeyRate", "MRP", "u32"},
	{"SslBackendMaxKeyRate", "MMP", "u32"},
	{"SslCacheLookups", "MCP", "u32"},
	{"SslCacheMisses", "MCP", "u32"},
	{"CompressBpsIn", "MRP", "u32"},
	{"CompressBpsOut", "MRP", "u32"},
	{"CompressBpsRateLim", "CLP", "u32"},
	{"ZlibMemUsage", "MGP", "u32"},
	{"MaxZlibMemUsage", "CLP", "u32"},
	{"Tasks", "MGP", "u32"},
	{"Run_queue", "MGP", "u32"},
	{"Idle_pct", "MaP", "u32"},
	{"node", "COS", "str"},
	{"description", "COS", "str"},
	{"Stopping", "MGP", "u32"},
	{"Jobs", "MGP", "u32"},
	{"Unstoppable Jobs", "MGP", "u32"},
	{"Listeners", "MGP", "u32"},
	{"ActivePeers", "MGP", "u32"},
	{"ConnectedPeers", "MGP", "u32"},
	{"DroppedLogs", "MGP", "u32"},
	{"BusyPolling", "MGP", "u32"},
	{"FailedResolutions", "MGP", "u32"},
	{"TotalBytesOut", "MGP", "u64"},
	{"TotalSplicdedBytesOut", "MGP", "u64"},
	{"BytesOutRate", "MRP", "u64"},
	{"DebugCommandsIssued", "MGP", "u32"},
	{"CumRecvLogs", "MCP", "u32"},
	{"Build info", "POS", "str"},
	{"Memmax_bytes", "CLP", "u32"},
	{"PoolAlloc_bytes", "MGP", "u64"},
	{"PoolUsed_bytes", "MGP", "u64"},
	{"Start_time_sec", "MDP", "u32"},
	{"Tainted", "SGP", "str"},
}
