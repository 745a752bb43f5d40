package keepalived

import (
	"net/netip"
	"time"

	"fulcrum/confparse"
)

// Config is a loaded keepalived.conf.
type Config struct {
	Global          Global                `json:"global"`
	Scripts         []*Script             `json:"vrrp_scripts,omitempty"`
	TrackProcesses  []*TrackProcess       `json:"vrrp_track_processes,omitempty"`
	TrackFiles      []*TrackFile          `json:"track_files,omitempty"`
	Instances       []*Instance           `json:"vrrp_instances,omitempty"`
	SyncGroups      []*SyncGroup          `json:"vrrp_sync_groups,omitempty"`
	StaticAddresses []*Address            `json:"static_ipaddress,omitempty"`
	StaticRoutes    []*Route              `json:"static_routes,omitempty"`
	StaticRules     []*Rule               `json:"static_rules,omitempty"`
	ServerGroups    []*VirtualServerGroup `json:"virtual_server_groups,omitempty"`
	VirtualServers  []*VirtualServer      `json:"virtual_servers,omitempty"`
	BFDInstances    []*BFDInstance        `json:"bfd_instances,omitempty"`
	Unbuilt         []Unbuilt             `json:"-"`
}

// Global is global_defs.
type Global struct {
	RouterID              string        `json:"router_id,omitempty"`
	NotificationEmail     []string      `json:"notification_email,omitempty"`
	NotificationEmailFrom string        `json:"notification_email_from,omitempty"`
	SMTPServer            string        `json:"smtp_server,omitempty"`
	SMTPConnectTimeout    time.Duration `json:"smtp_connect_timeout"`
	EnableScriptSecurity  bool          `json:"enable_script_security,omitempty"`
	ScriptUser            string        `json:"script_user,omitempty"`
	ScriptGroup           string        `json:"script_group,omitempty"`
	VRRPSkipCheckAdvAddr  bool          `json:"vrrp_skip_check_adv_addr,omitempty"`
	VRRPStrict            bool          `json:"vrrp_strict,omitempty"`
	VRRPGarpInterval      time.Duration `json:"vrrp_garp_interval,omitempty"`
	VRRPGnaInterval       time.Duration `json:"vrrp_gna_interval,omitempty"`
	VRRPMcastGroup4       netip.Addr    `json:"vrrp_mcast_group4"`
	VRRPMcastGroup6       netip.Addr    `json:"vrrp_mcast_group6"`
	VRRPVersion           int           `json:"vrrp_version"`
	DefaultInterface      string        `json:"default_interface,omitempty"`
	MaxAutoPriority       int           `json:"max_auto_priority,omitempty"`
	Settings              []Setting     `json:"settings,omitempty"` // every other global keyword, as written

	// StatusHTTPListen is Fulcrum's status endpoint address (status.go).
	StatusHTTPListen string `json:"status_http_listen,omitempty"`
}

// Setting is a keyword kept as written because its engine is not built.
type Setting struct {
	Keyword string    `json:"keyword"`
	Args    []string  `json:"args,omitempty"`
	Block   []Setting `json:"block,omitempty"` // the lines of a { } block, if it is one
}

// Script is a vrrp_script.
type Script struct {
	Pos      confparse.Pos `json:"-"` // where the block opens
	Name     string        `json:"name"`
	Command  []string      `json:"script"`
	Interval time.Duration `json:"interval"`
	Timeout  time.Duration `json:"timeout"`
	Weight   int           `json:"weight"`
	Reverse  bool          `json:"weight_reverse,omitempty"`
	Rise     int           `json:"rise"`
	Fall     int           `json:"fall"`
	User     string        `json:"user,omitempty"`
	Group    string        `json:"group,omitempty"`
	InitFail bool          `json:"init_fail,omitempty"`
	removed  bool
}

// TrackProcess is a vrrp_track_process.
type TrackProcess struct {
	Name      string    `json:"name"`
	Process   []string  `json:"process"`
	Weight    int       `json:"weight"`
	Quorum    int       `json:"quorum"`
	QuorumMax int       `json:"quorum_max"`
	Settings  []Setting `json:"settings,omitempty"`
}

// TrackFile is a track_file (or the older vrrp_track_file).
type TrackFile struct {
	Name     string `json:"name"`
	File     string `json:"file"`
	Weight   int    `json:"weight"`
	Reverse  bool   `json:"weight_reverse,omitempty"`
	InitFile string `json:"init_file,omitempty"`
}

// State is the VRRP state an instance starts in.
type State string

// The initial states.
const (
	StateBackup State = "BACKUP"
	StateMaster State = "MASTER"
)

// AuthType is the VRRPv2 authentication.
type AuthType string

// The authentication types.
const (
	AuthNone AuthType = ""
	AuthPass AuthType = "PASS"
	AuthAH   AuthType = "AH"
)

// Tracked is a tracked object with an optional weight.
type Tracked struct {
	Name    string `json:"name"`
	Weight  int    `json:"weight,omitempty"`
	Reverse bool   `json:"reverse,omitempty"`
}

// Address is one entry of virtual_ipaddress / static_ipaddress:
// ADDR[/PREFIX] [brd X] [dev IF] [scope S] [label L] ...
type Address struct {
	Prefix    netip.Prefix `json:"prefix"`
	Broadcast string       `json:"brd,omitempty"`
	Dev       string       `json:"dev,omitempty"`
	Scope     string       `json:"scope,omitempty"`
	Label     string       `json:"label,omitempty"`
	Peer      string       `json:"peer,omitempty"`
	Options   []string     `json:"options,omitempty"`
}

// Route is one virtual_routes / static_routes entry, kept as its words
// (the route engine is not built yet).
type Route struct {
	Words []string `json:"words"`
	Dev   string   `json:"dev,omitempty"`
}

// Rule is one virtual_rules / static_rules entry.
type Rule struct {
	Words []string `json:"words"`
}

// Instance is a vrrp_instance: everything the VRRP engine needs, typed.
type Instance struct {
	Name                    string                   `json:"name"`
	State                   State                    `json:"state"`
	Interface               string                   `json:"interface,omitempty"`
	VRID                    int                      `json:"virtual_router_id"`
	Priority                int                      `json:"priority"`
	AdvertInt               time.Duration            `json:"advert_int"`
	Version                 int                      `json:"version"`
	AuthType                AuthType                 `json:"auth_type,omitempty"`
	AuthPass                []byte                   `json:"auth_pass,omitempty"` // 8 bytes, zero padded
	VIPs                    []*Address               `json:"virtual_ipaddress,omitempty"`
	ExcludedVIPs            []*Address               `json:"virtual_ipaddress_excluded,omitempty"`
	Routes                  []*Route                 `json:"virtual_routes,omitempty"`
	Rules                   []*Rule                  `json:"virtual_rules,omitempty"`
	TrackInterfaces         []Tracked                `json:"track_interface,omitempty"`
	TrackScripts            []Tracked                `json:"track_script,omitempty"`
	TrackFiles              []Tracked                `json:"track_file,omitempty"`
	TrackProcesses          []Tracked                `json:"track_process,omitempty"`
	Preempt                 bool                     `json:"preempt"`
	PreemptDelay            time.Duration            `json:"preempt_delay,omitempty"`
	UnicastSrcIP            netip.Addr               `json:"unicast_src_ip"`
	UnicastPeers            []netip.Addr             `json:"unicast_peer,omitempty"`
	UnicastTTL              *int                     `json:"unicast_ttl,omitempty"` // nil: 255
	McastSrcIP              netip.Addr               `json:"mcast_src_ip"`
	GarpMasterDelay         time.Duration            `json:"garp_master_delay"`
	GarpMasterRepeat        int                      `json:"garp_master_repeat"`
	GarpMasterRefresh       time.Duration            `json:"garp_master_refresh,omitempty"`
	GarpMasterRefreshRepeat int                      `json:"garp_master_refresh_repeat,omitempty"`
	GarpLowerPrioDelay      *time.Duration           `json:"garp_lower_prio_delay,omitempty"`  // nil: as garp_master_delay (0 in strict mode)
	GarpLowerPrioRepeat     *int                     `json:"garp_lower_prio_repeat,omitempty"` // nil: as garp_master_repeat (0 in strict mode)
	LowerPrioNoAdvert       *bool                    `json:"lower_prio_no_advert,omitempty"`   // nil: global default (true in strict mode)
	HigherPrioSendAdvert    *bool                    `json:"higher_prio_send_advert,omitempty"`
	Notify                  map[string]*NotifyScript `json:"notify,omitempty"` // notify, notify_master, ...
	SMTPAlert               bool                     `json:"smtp_alert,omitempty"`
	UseVMAC                 string                   `json:"use_vmac,omitempty"`
	VMACXmitBase            bool                     `json:"vmac_xmit_base,omitempty"`
	NativeIPv6              bool                     `json:"native_ipv6,omitempty"`
	DontTrackPrimary        bool                     `json:"dont_track_primary,omitempty"`
	Accept                  bool                     `json:"accept,omitempty"`
	StrictMode              bool                     `json:"strict_mode,omitempty"`
	Settings                []Setting                `json:"settings,omitempty"`

	fam               int // 4 or 6 once an address fixed it
	ver               int // VRRP version set or deduced while reading
	strictGiven       bool
	unicastConfigured bool
	syncGroup         *SyncGroup
	faultNoPeer       bool // unicast_fault_no_peer: no peers means FAULT, not multicast
	priorityGiven     bool
	stateGiven        bool
	// Pos is where the block opens, for the engine's own messages.
	Pos confparse.Pos `json:"-"`
}

// SyncGroup is a vrrp_sync_group.
type SyncGroup struct {
	Name      string                   `json:"name"`
	Group     []string                 `json:"group"`
	Notify    map[string]*NotifyScript `json:"notify,omitempty"`
	Settings  []Setting                `json:"settings,omitempty"`
	groupSeen bool
	// trackingWeight: global_tracking or sync_group_tracking_weight, so
	// members keep their tracking weights.
	trackingWeight bool
}

// VirtualServerGroup is a virtual_server_group.
type VirtualServerGroup struct {
	Name    string     `json:"name"`
	Entries [][]string `json:"entries"`
}

// VirtualServer is an LVS virtual_server.
type VirtualServer struct {
	Address    string        `json:"address"` // "IP PORT", "fwmark N" or "group NAME"
	Settings   []Setting     `json:"settings,omitempty"`
	Reals      []*RealServer `json:"real_servers,omitempty"`
	Sorry      string        `json:"sorry_server,omitempty"`
	hasProto   bool
	kind       string
	fwmark     bool
	proto      string
	port       string // "" for none or 0
	persistent bool   // a valid persistence_timeout was given
	quorum     uint64
	hysteresis uint64
}

// RealServer is a real_server of a virtual_server.
type RealServer struct {
	ip, port string // port "" for none or 0
	kind     string
	weight   uint64
	Address  string     `json:"address"`
	Settings []Setting  `json:"settings,omitempty"`
	Checkers []*Checker `json:"checkers,omitempty"`
}

// Checker is a health checker (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK,
// SMTP_CHECK, DNS_CHECK, BFD_CHECK, ...).
type Checker struct {
	Type     string    `json:"type"`
	Settings []Setting `json:"settings,omitempty"`
}

// BFDInstance is a bfd_instance.
type BFDInstance struct {
	Name     string    `json:"name"`
	Settings []Setting `json:"settings,omitempty"`
}

// Unbuilt is a keyword we read and keep but whose engine behaviour is not
// built yet. It never changes `-t` output (the reference has nothing to
// say about it); the daemon prints these when it starts.
type Unbuilt struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Keyword string `json:"keyword"`
}

// family is the instance's address family: 4 or 6.
func (in *Instance) family() int {
	if in.fam == 0 {
		return 4
	}
	return in.fam
}

// NotifyScript is a notify* command with the user and group it runs as
// ("" for the default script user).
type NotifyScript struct {
	Command []string `json:"command,omitempty"`
	User    string   `json:"user,omitempty"`
	Group   string   `json:"group,omitempty"`
}
