// Package stick implements HAProxy's stick tables: keyed entries holding
// counters, frequency counters and server persistence data, with expiry
// and size-bounded eviction, and the Runtime API's `show table` text.
package stick

import (
	"fmt"
	"strconv"
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
	numTypes
)

var dataTypeNames = [numTypes]string{"server_id", "gpt0", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate",
	"conn_cur", "sess_cnt", "sess_rate", "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate",
	"bytes_in_cnt", "bytes_in_rate", "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate", "server_key"}

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

// Spec is a parsed `stick-table` line.
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

// defaultKeyLen is HAProxy's key length of string and binary tables.
const defaultKeyLen = 32

// ParseSpec reads the arguments of `stick-table` (everything after the
// keyword) for the table called name. Errors carry the reference's
// wording where it has one.
func ParseSpec(name string, args []string) (Spec, error) {
	s := Spec{Name: name, Key: 255, Size: -1}
	for i := 0; i < len(args); i++ {
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("stick-table: missing argument after '%s'.", args[i])
			}
			i++
			return args[i], nil
		}
		switch w := args[i]; w {
		case "type":
			v, err := next()
			if err != nil {
				return s, err
			}
			k, ok := map[string]KeyType{"ip": IP, "ipv6": IPv6, "integer": Integer, "string": String, "binary": Binary}[v]
			if !ok {
				return s, fmt.Errorf("stick-table: unknown type '%s'.", v)
			}
			s.Key = k
			if k == String || k == Binary {
				s.KeyLen = defaultKeyLen
				if i+2 < len(args) && args[i+1] == "len" {
					n, err := strconv.Atoi(args[i+2])
					if err != nil || n <= 0 {
						return s, fmt.Errorf("stick-table: key length must be a positive integer (got '%s').", args[i+2])
					}
					s.KeyLen = n
					i += 2
				}
			}
		case "size":
			v, err := next()
			if err != nil {
				return s, err
			}
			n, ok := parseSize(v)
			if !ok {
				return s, fmt.Errorf("stick-table: unexpected character in argument of 'size' ('%s').", v)
			}
			s.Size = n
		case "expire":
			v, err := next()
			if err != nil {
				return s, err
			}
			d, ok := parseDuration(v)
			if !ok {
				return s, fmt.Errorf("stick-table: invalid time '%s' in argument of 'expire'.", v)
			}
			s.Expire = d
		case "nopurge":
			s.NoPurge = true
		case "peers", "srvkey", "write-to", "recv-only":
			v, err := next()
			if err != nil {
				return s, err
			}
			if w == "peers" {
				s.Peers = v
			}
		case "store":
			v, err := next()
			if err != nil {
				return s, err
			}
			if err := s.parseStore(v); err != nil {
				return s, err
			}
		default:
			return s, fmt.Errorf("stick-table: unknown argument '%s'.", w)
		}
	}
	if s.Key == 255 {
		return s, fmt.Errorf("stick-table: missing type.")
	}
	if s.Size < 0 {
		return s, fmt.Errorf("stick-table: missing size.")
	}
	return s, nil
}

// parseStore reads one `store` list: comma-separated types, rates with a
// period in parentheses.
func (s *Spec) parseStore(list string) error {
	for _, item := range splitTop(list) {
		name, arg, hasArg := strings.Cut(item, "(")
		dt, ok := ParseDataType(name)
		if !ok {
			return fmt.Errorf("stick-table: unknown data type '%s'.", name)
		}
		if dt.IsRate() {
			if !hasArg || !strings.HasSuffix(arg, ")") {
				return fmt.Errorf("stick-table: data type '%s' requires a period (eg: %s(10s)).", name, name)
			}
			d, ok := parseDuration(strings.TrimSuffix(arg, ")"))
			if !ok || d <= 0 {
				return fmt.Errorf("stick-table: invalid period '%s' for data type '%s'.", strings.TrimSuffix(arg, ")"), name)
			}
			s.Period[dt] = d
		} else if hasArg {
			return fmt.Errorf("stick-table: data type '%s' takes no argument.", name)
		}
		s.Stored[dt] = true
	}
	return nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseSize reads a count with an optional k/m/g suffix (powers of 1024).
func parseSize(v string) (int, bool) {
	mul := 1
	switch {
	case strings.HasSuffix(v, "k") || strings.HasSuffix(v, "K"):
		mul = 1 << 10
	case strings.HasSuffix(v, "m") || strings.HasSuffix(v, "M"):
		mul = 1 << 20
	case strings.HasSuffix(v, "g") || strings.HasSuffix(v, "G"):
		mul = 1 << 30
	}
	if mul > 1 {
		v = v[:len(v)-1]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > (1<<31-1)/mul {
		return 0, false
	}
	return n * mul, true
}

// parseDuration reads an HAProxy time (default unit ms).
func parseDuration(v string) (time.Duration, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil || n > 1<<31 {
		return 0, false
	}
	unit, ok := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[v[i:]]
	return time.Duration(n) * unit, ok
}
