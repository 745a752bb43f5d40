// Package stick implements HAProxy's stick tables: keyed entries holding
// counters, frequency counters and server persistence data, with expiry
// and size-bounded eviction, and the Runtime API's `show table` text.
//
// For the Runtime API: `show table` without a name prints each table's
// Header line (the reference lists them last declared first); `show
// table NAME [args]` is ParseQuery(args, false) then Show; `clear table
// NAME [args]` is ParseQuery(args, true) then ClearQuery; `set table NAME
// key K [data.T V]...` is SetQuery. Their errors are the reference's
// messages, and every response ends with the blank line the API adds.
package stick

import (
	"strings"
	"time"
)

// KeyType is a table's `type`.
type KeyType uint8

// Key types.
const (
	IP KeyType = iota
	IPv6
	Integer
	String
	Binary
)

var keyTypeNames = [...]string{IP: "ip", IPv6: "ipv6", Integer: "integer", String: "string", Binary: "binary"}

func (k KeyType) String() string { return keyTypeNames[k] }

// DataType is one `store` data type. The order is HAProxy's, which is
// also the order `show table` prints them in.
type DataType uint8

// Data types.
const (
	ServerID DataType = iota
	GPT0
	GPC0
	GPC0Rate
	ConnCnt
	ConnRate
	ConnCur
	SessCnt
	SessRate
	HTTPReqCnt
	HTTPReqRate
	HTTPErrCnt
	HTTPErrRate
	BytesInCnt
	BytesInRate
	BytesOutCnt
	BytesOutRate
	GPC1
	GPC1Rate
	ServerKey
	HTTPFailCnt
	HTTPFailRate
	numTypes
)

var dataTypeNames = [numTypes]string{"server_id", "gpt0", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate",
	"conn_cur", "sess_cnt", "sess_rate", "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate",
	"bytes_in_cnt", "bytes_in_rate", "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate", "server_key",
	"http_fail_cnt", "http_fail_rate"}

func (d DataType) String() string { return dataTypeNames[d] }

// IsRate tells whether the type is a frequency counter taking a period.
func (d DataType) IsRate() bool { return strings.HasSuffix(dataTypeNames[d], "_rate") }

// ParseDataType reads a data type name as `store` and `data.<type>` use it.
func ParseDataType(name string) (DataType, bool) {
	for i, n := range dataTypeNames {
		if n == name {
			return DataType(i), true
		}
	}
	return 0, false
}

// Spec is a table's definition, as a `stick-table` line gives it.
type Spec struct {
	Name    string
	Key     KeyType
	KeyLen  int // bytes of a string or binary key
	Size    int
	Expire  time.Duration // 0 = never
	NoPurge bool
	Peers   string
	// Stored tells which data types the table keeps; Period is the
	// period of each rate type.
	Stored [numTypes]bool
	Period [numTypes]time.Duration
}

// DefaultKeyLen is HAProxy's key length of string and binary tables.
const DefaultKeyLen = 32

// Store adds a data type to the table (period is for rate types).
func (s *Spec) Store(d DataType, period time.Duration) {
	s.Stored[d] = true
	if d.IsRate() {
		s.Period[d] = period
	}
}
