package stats

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Info is the process-wide `show info` fields; empty ones are not shown.
type Info [NumInfoFields]Value

// Format selects an output form of `show info` and `show stat`.
type Format int

// Output forms.
const (
	Plain Format = iota // "Name: value" lines / CSV
	Typed               // `typed`
	JSON                // `json`
)

// Process is what the engine and its host know of the process, from
// which NewInfo builds the `show info` fields.
type Process struct {
	Version, ReleaseDate string
	Pid                  int
	Start                time.Time
	Now                  time.Time
	Nbthread             int
	MaxConn              int // global maxconn (0 = the reference's computed default)
	UlimitN              int
	MaxSock              int
	MaxPipes             int
	CurrConns, CumConns  int64
	CumReq               int64
	Node, Description    string
	Stopping             bool
	Jobs, Listeners      int
	TotalBytesOut        int64
	ConnRate, SessRate   int64
	MaxConnRate          int64
	MaxSessRate          int64

	// ConnRateLimit and SessRateLimit are maxconnrate and maxsessrate.
	ConnRateLimit, SessRateLimit int
}

// NewInfo fills the info fields from p. Pools, SSL, pipes and
// compression do not exist in this engine and read zero, as in a
// reference process that never used them.
func NewInfo(p Process) *Info {
	var in Info
	for f := range in {
		switch infoSpecs[f].typ {
		case "u64":
			in[f] = U64(0)
		case "str":
		default:
			in[f] = U32(0)
		}
	}
	up := p.Now.Sub(p.Start)
	if up < 0 {
		up = 0
	}
	secs := int64(up / time.Second)
	in[InfoName] = Str("HAProxy")
	in[InfoVersion] = Str(p.Version)
	in[InfoReleaseDate] = Str(p.ReleaseDate)
	in[InfoNbthread] = U32(int64(max(p.Nbthread, 1)))
	in[InfoNbproc] = U32(1)
	in[InfoProcessNum] = U32(1)
	in[InfoPid] = U32(int64(p.Pid))
	in[InfoUptime] = Str(fmt.Sprintf("%dd %dh%02dm%02ds", secs/86400, secs/3600%24, secs/60%60, secs%60))
	in[InfoUptimeSec] = U32(secs)
	in[InfoUlimitN] = U32(int64(p.UlimitN))
	in[InfoMaxsock] = U32(int64(p.MaxSock))
	in[InfoMaxpipes] = U32(int64(p.MaxPipes))
	in[InfoMaxconn] = U32(int64(p.MaxConn))
	in[InfoHardMaxconn] = U32(int64(p.MaxConn))
	in[InfoCurrConns] = U32(p.CurrConns)
	in[InfoCumConns] = U32(p.CumConns)
	in[InfoCumReq] = U32(p.CumReq)
	in[InfoConnRate] = U32(p.ConnRate)
	in[InfoMaxConnRate] = U32(p.MaxConnRate)
	in[InfoSessRate] = U32(p.SessRate)
	in[InfoConnRateLimit] = U32(int64(p.ConnRateLimit))
	in[InfoSessRateLimit] = U32(int64(p.SessRateLimit))
	in[InfoMaxSessRate] = U32(p.MaxSessRate)
	in[InfoIdlePct] = U32(100)
	in[InfoNode] = Str(p.Node)
	in[InfoZlibMemUsage] = Value{}
	in[InfoMaxZlibMemUsage] = Value{}
	if p.Description != "" {
		in[InfoDescription] = Str(p.Description)
	}
	if p.Stopping {
		in[InfoStopping] = U32(1)
	}
	in[InfoJobs] = U32(int64(p.Jobs))
	in[InfoListeners] = U32(int64(p.Listeners))
	in[InfoTotalBytesOut] = U64(p.TotalBytesOut)
	in[InfoBuildInfo] = Str(p.Version)
	in[InfoStartTimeSec] = U32(p.Start.Unix())
	in[InfoTainted] = Str("0")
	return &in
}

// Name is the field's name as `show info` prints it.
func (f InfoField) Name() string { return infoSpecs[f].name }

// WriteInfo writes the info fields in the given form, as `show info`,
// `show info typed` and `show info json` do (without the CLI's final
// empty line).
func WriteInfo(w io.Writer, in *Info, format Format) error {
	bw := bufio.NewWriter(w)
	if format == JSON {
		bw.WriteByte('[')
	}
	first := true
	for f := InfoField(0); f < NumInfoFields; f++ {
		v := in[f]
		if v.IsEmpty() {
			continue
		}
		spec := infoSpecs[f]
		switch format {
		case Plain:
			bw.WriteString(spec.name + ": " + v.String() + "\n")
		case Typed:
			bw.WriteString(strconv.Itoa(int(f)) + "." + spec.name + ".1:" + spec.tags + ":" + spec.typ + ":" + v.String() + "\n")
		case JSON:
			if !first {
				bw.WriteByte(',')
			}
			bw.WriteString(`{"field":{"pos":` + strconv.Itoa(int(f)) + `,"name":"` + spec.name + `"},`)
			writeJSONTail(bw, spec.tags, spec.typ, v)
		}
		first = false
	}
	if format == JSON {
		bw.WriteString("]\n")
	}
	return bw.Flush()
}
