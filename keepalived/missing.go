package keepalived

import (
	"strings"

	kc "fulcrum/confparse/keepalivedconf"
)

// missingArg is what the reference says when a keyword that checks for
// its argument has none (the line is then ignored). Keywords that do not
// check stop the run instead (keyword.needsArg).
func missingArg(p *parser, path string) (string, bool) {
	kw := path[strings.LastIndex(path, "/")+1:]
	switch path {
	case "global_defs/notification_email_from":
		return "emailfrom missing - ignoring", true
	case "global_defs/min_auto_priority_delay":
		return "min_auto_priority_delay requires delay time", true
	case "global_defs/default_interface":
		return "default_interface requires interface name", true
	case "global_defs/lvs_sync_daemon":
		return "lvs_sync_daemon requires interface", true
	case "global_defs/snmp_socket":
		return "SNMP error : snmp socket name missing", true
	case "net_namespace":
		return "net_namespace name missing - ignoring", true
	case "instance":
		return "instance name missing - ignoring", true
	case "global_defs/dbus_service_name":
		return "dbus_service_name missing - ignoring", true
	case "global_defs/vrrp_rx_bufs_policy":
		return "vrrp_rx_bufs_policy missing", true
	case "global_defs/startup_script", "global_defs/shutdown_script":
		return strings.TrimSuffix(kw, "_script") + " script missing", true
	case "global_defs/startup_script_timeout", "global_defs/shutdown_script_timeout":
		return kw + " requires value", true
	case "virtual_server/virtualhost":
		return "virtual server virtualhost missing", true
	case "virtual_server/real_server/virtualhost":
		return "real server virtualhost missing", true
	case "track_file/file", "vrrp_track_file/file":
		return "track file file name missing", true
	case "track_file/weight", "vrrp_track_file/weight":
		return "No weight specified for track file " + p.load.currentName(path) + " - ignoring", true
	case "virtual_server/real_server/FILE_CHECK/weight":
		return "track file weight missing", true
	case "virtual_server/real_server/SMTP_CHECK/helo_name":
		return "SMTP_CHECK helo name missing", true
	case "virtual_server/real_server/HTTP_GET/virtualhost", "virtual_server/real_server/SSL_GET/virtualhost":
		return "HTTP_GET virtualhost name missing", true
	case "virtual_server/real_server/HTTP_GET/url/virtualhost", "virtual_server/real_server/SSL_GET/url/virtualhost":
		return "Missing HTTP_GET virtualhost name", true
	case "virtual_server/real_server/HTTP_GET/http_protocol", "virtual_server/real_server/SSL_GET/http_protocol":
		return "Missing http_protocol version", true
	case "SSL/ca", "SSL/certificate", "SSL/key", "SSL/password":
		what := map[string]string{"ca": "cafile", "certificate": "certfile", "key": "keyfile", "password": "password"}[kw]
		return "SSL " + what + " missing", true
	case "vrrp_track_process/weight":
		return "No weight specified for track process " + p.load.currentName(path) + " - ignoring", true
	}
	if strings.HasPrefix(path, "global_defs/") {
		switch {
		case strings.HasSuffix(kw, "_rcv_bufs"):
			return kw + " size missing", true
		case strings.HasSuffix(kw, "_rt_priority"):
			return "No " + strings.TrimSuffix(kw, "_rt_priority") + " process real-time priority specified", true
		case strings.HasSuffix(kw, "_cpu_affinity"):
			return "No " + strings.TrimSuffix(kw, "_cpu_affinity") + " cpu_id set specified", true
		case strings.HasSuffix(kw, "_priority") && kw != "max_auto_priority" && !strings.HasPrefix(kw, "nftables"):
			return "No " + strings.TrimSuffix(kw, "_priority") + " process priority specified", true
		case strings.HasSuffix(kw, "notify_fifo"):
			return "No " + kw + " name specified", true
		case strings.HasSuffix(kw, "notify_fifo_script"):
			return "No " + kw + " specified", true
		}
	}
	return "", false
}

// checkArg reports a missing argument the reference's way and tells the
// caller whether to go on with the line.
func (p *parser) checkArg(k *keyword, words []string) bool {
	if len(words) >= 2 || ownArgCheck(k.path) {
		return true
	}
	if msg, ok := missingArg(p, k.path); ok {
		p.report(kc.ClassGeneral, msg)
		return false
	}
	if k.needsArg && !k.valueBlock {
		p.arg(words, 1)
	}
	return true
}

// ownArgCheck lists handlers that report something before they look at
// their argument, so the generic check must not run first.
func ownArgCheck(path string) bool {
	return strings.HasSuffix(path, "/nb_get_retry") || path == "vrrp_instance/lvs_sync_daemon_interface" ||
		path == "vrrp_instance/notify_deleted"
}

// currentName is the name of the tracked object being read.
func (l *loader) currentName(path string) string {
	switch {
	case strings.HasPrefix(path, "vrrp_track_process") && l.tproc != nil:
		return l.tproc.Name
	case l.tfile != nil:
		return l.tfile.Name
	}
	return ""
}
