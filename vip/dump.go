package vip

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"fulcrum/vip/elect"
	"fulcrum/vip/vrrp"
)

// The field names and order of Keepalived's /tmp/keepalived.json (written
// on SIGRTMIN+2), so that exporters reading it read ours.
type jsonInstance struct {
	Data  jsonData  `json:"data"`
	Stats jsonStats `json:"stats"`
}

type jsonData struct {
	Iname                string   `json:"iname"`
	DontTrackPrimary     int      `json:"dont_track_primary"`
	SkipCheckAdvAddr     int      `json:"skip_check_adv_addr"`
	StrictMode           int      `json:"strict_mode"`
	VMACIfname           string   `json:"vmac_ifname"`
	IfpIfname            string   `json:"ifp_ifname"`
	MasterPriority       int      `json:"master_priority"`
	LastTransition       float64  `json:"last_transition"`
	GARPDelay            float64  `json:"garp_delay"`
	GARPRefresh          float64  `json:"garp_refresh"`
	GARPRep              int      `json:"garp_rep"`
	GARPRefreshRep       int      `json:"garp_refresh_rep"`
	GARPLowerPrioDelay   float64  `json:"garp_lower_prio_delay"`
	GARPLowerPrioRep     int      `json:"garp_lower_prio_rep"`
	LowerPrioNoAdvert    int      `json:"lower_prio_no_advert"`
	HigherPrioSendAdvert int      `json:"higher_prio_send_advert"`
	VRID                 int      `json:"vrid"`
	BasePriority         int      `json:"base_priority"`
	EffectivePriority    int      `json:"effective_priority"`
	VIPSet               bool     `json:"vipset"`
	PromoteSecondaries   bool     `json:"promote_secondaries"`
	AdverInt             float64  `json:"adver_int"`
	MasterAdverInt       float64  `json:"master_adver_int"`
	Accept               int      `json:"accept"`
	NoPreempt            bool     `json:"nopreempt"`
	PreemptDelay         float64  `json:"preempt_delay"`
	State                int      `json:"state"`
	WantState            int      `json:"wantstate"`
	Version              int      `json:"version"`
	SMTPAlert            bool     `json:"smtp_alert"`
	NotifyDeleted        bool     `json:"notify_deleted"`
	VIPs                 []string `json:"vips"`
	AuthType             int      `json:"auth_type"`
	AuthData             *string  `json:"auth_data,omitempty"`
}

type jsonStats struct {
	AdvertRcvd        uint64 `json:"advert_rcvd"`
	AdvertSent        uint64 `json:"advert_sent"`
	BecomeMaster      uint64 `json:"become_master"`
	ReleaseMaster     uint64 `json:"release_master"`
	PacketLenErr      uint64 `json:"packet_len_err"`
	AdvertIntervalErr uint64 `json:"advert_interval_err"`
	IPTTLErr          uint64 `json:"ip_ttl_err"`
	InvalidTypeRcvd   uint64 `json:"invalid_type_rcvd"`
	AddrListErr       uint64 `json:"addr_list_err"`
	InvalidAuthtype   uint64 `json:"invalid_authtype"`
	AuthtypeMismatch  uint64 `json:"authtype_mismatch"`
	AuthFailure       uint64 `json:"auth_failure"`
	PriZeroRcvd       uint64 `json:"pri_zero_rcvd"`
	PriZeroSent       uint64 `json:"pri_zero_sent"`
}

// stateCode is Keepalived's number for a state in its dumps.
func stateCode(s elect.State) int {
	switch s {
	case elect.Backup:
		return 1
	case elect.Master:
		return 2
	case elect.Fault:
		return 3
	case elect.Stopped:
		return 98
	}
	return 0
}

// WriteJSON writes the instances as Keepalived's /tmp/keepalived.json.
func WriteJSON(w io.Writer, insts ...*Instance) error {
	out := make([]jsonInstance, 0, len(insts))
	for _, i := range insts {
		out = append(out, i.jsonDump())
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	// Keepalived's JSON writer escapes every slash.
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	_, err = w.Write(append(b, '\n'))
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func (i *Instance) jsonDump() jsonInstance {
	c, s := &i.cfg, i.Stats()
	vmacName := ""
	if i.vmac != nil {
		vmacName = i.vmac.Name
	}
	state := s.State
	want := stateCode(state)
	if state == elect.Init && c.InitialMaster {
		want = stateCode(elect.Master)
	}
	vipset := state == elect.Master
	var vips []string
	for _, v := range i.vips {
		line := v.Prefix.String() + " dev " + v.Dev + " scope global"
		if vipset {
			line += " set"
		}
		vips = append(vips, line)
	}
	d := jsonData{
		Iname: c.Name, DontTrackPrimary: boolInt(c.DontTrackPrimary), SkipCheckAdvAddr: boolInt(c.SkipCheckAdvAddr),
		StrictMode: boolInt(c.Strict), VMACIfname: vmacName, IfpIfname: c.Interface,
		MasterPriority: int(i.masterPriority.Load()), LastTransition: float64(i.lastTransition.Load()) / 1e9,
		GARPDelay: seconds(c.GARPDelay), GARPRefresh: seconds(c.GARPRefresh), GARPRep: c.GARPRepeat,
		GARPRefreshRep: c.GARPRefreshRepeat, GARPLowerPrioDelay: seconds(c.GARPDelay), GARPLowerPrioRep: c.GARPRepeat,
		LowerPrioNoAdvert: boolInt(c.Strict), VRID: int(c.VRID), BasePriority: int(c.Priority),
		EffectivePriority: int(i.effectivePriority.Load()), VIPSet: vipset, AdverInt: seconds(c.Interval),
		MasterAdverInt: seconds(c.Interval), Accept: boolInt(!c.Strict), NoPreempt: c.NoPreempt,
		PreemptDelay: seconds(c.PreemptDelay), State: stateCode(state), WantState: want, Version: c.Version,
		VIPs: vips, AuthType: int(i.expect.AuthType),
	}
	if i.expect.AuthType == vrrp.AuthPass {
		pass := string(bytes.TrimRight(i.expect.AuthData[:], "\x00"))
		d.AuthData = &pass
	}
	r := s.Reasons
	return jsonInstance{Data: d, Stats: jsonStats{
		AdvertRcvd: s.Received, AdvertSent: s.Sent, BecomeMaster: s.BecameMaster, ReleaseMaster: s.ReleasedMaster,
		PacketLenErr: r[vrrp.ReasonLength] + r[vrrp.ReasonTotalLength], AdvertIntervalErr: r[vrrp.ReasonInterval],
		IPTTLErr: r[vrrp.ReasonTTL], InvalidTypeRcvd: r[vrrp.ReasonType], AddrListErr: r[vrrp.ReasonAddrList],
		AuthtypeMismatch: r[vrrp.ReasonAuthType], AuthFailure: r[vrrp.ReasonPassword],
		PriZeroRcvd: s.PriorityZeroReceived, PriZeroSent: s.PriorityZeroSent,
	}}
}
