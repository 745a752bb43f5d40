package haproxy

import (
	"fmt"

	"fulcrum/confparse"
	"os"
	"strings"
)

// bindLine reads "bind ADDR[,ADDR...] [options]".
func (l *loader) bindLine(px *Proxy, d line) {
	b := &Bind{Spec: d.args[0], Options: map[string]string{}, Pos: d.pos}
	for _, a := range strings.Split(d.args[0], ",") {
		addr, msg := l.parseAddr(a, addrBind)
		if msg != "" {
			l.alert(d.pos, "'bind' : "+msg)
			return
		}
		b.Addrs = append(b.Addrs, addr)
	}
	where := fmt.Sprintf("'bind %s' in section '%s'", d.args[0], px.Kind)
	opts := d.args[1:]
	for i := 0; i < len(opts); i++ {
		kw := opts[i]
		n, ok := bindOptions[kw]
		if !ok {
			l.alert(d.pos, fmt.Sprintf("%s: unknown keyword '%s'.", where, kw))
			return
		}
		val := ""
		if n > 0 {
			if i+1 >= len(opts) {
				msg, ok := bindMissing[kw]
				if !ok {
					msg = fmt.Sprintf("'%s' : missing value.", kw)
				}
				l.alert(d.pos, fmt.Sprintf("%s : %s", where, msg))
				return
			}
			val = opts[i+1]
			i++
		}
		if check := bindChecks[kw]; check != nil {
			if msg := check(val); msg != "" {
				l.alert(d.pos, fmt.Sprintf("%s : %s", where, msg))
				return
			}
		}
		if kw == "process" {
			l.warn(d.pos, fmt.Sprintf("%s : 'process %s' on 'bind' lines is deprecated and will be removed in 2.7.", where, val))
		}
		if msg := l.bindFile(kw, val); msg != "" {
			if kw == "ca-file" {
				l.emit(confparse.Alert, d.pos, fmt.Sprintf("Couldn't open the ca-file '%s' (No such file or directory).", val))
			}
			l.alert(d.pos, fmt.Sprintf("%s : %s", where, msg))
			return
		}
		b.Options[kw] = val
	}
	px.Binds = append(px.Binds, b)
}

// bindFile checks the files a bind option names, like the reference does
// while parsing. It returns the reference's error text or "".
func (l *loader) bindFile(kw, val string) string {
	switch kw {
	case "crt":
		path := l.basePath("crt-base", val)
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Sprintf("unable to stat SSL certificate from file '%s' : No such file or directory.", path)
		}
		if st.Mode().IsRegular() {
			return pemCertAndKey(path)
		}
	case "crt-list":
		if !fileExists(val) {
			return fmt.Sprintf("'crt-list' : cannot open file '%s' : No such file or directory", val)
		}
	case "ca-file", "ca-verify-file", "crl-file":
		path := l.basePath("ca-base", val)
		if !fileExists(path) || !pemHas(path, "CERTIFICATE", "X509 CRL") {
			if kw == "crl-file" {
				return fmt.Sprintf("'crl-file' : unable to load %s", path)
			}
			return fmt.Sprintf("'%s' : unable to load %s", kw, path)
		}
	}
	return ""
}

// basePath applies global crt-base/ca-base to a relative path.
func (l *loader) basePath(key, p string) string { return l.cfg.Global.BasePath(key, p) }

// serverLine reads "server NAME ADDR [options]".
func (l *loader) serverLine(px *Proxy, d line) {
	if len(d.args) < 2 {
		l.alertBare(d.pos, "'server' expects <name> and <addr>[:<port>] as arguments.")
		return
	}
	if s := l.newServer(px, d, 1, d.args[0]); s != nil {
		px.Servers = append(px.Servers, s)
		l.noteResolvers(px, s, s.Name)
	}
}

// serverTemplate reads "server-template PREFIX NUM|RANGE ADDR [options]":
// its servers are resolved at run time through a resolvers section. The
// reference has not named them yet when it prepares their resolution,
// hence "(null)" in its message.
func (l *loader) serverTemplate(px *Proxy, d line) {
	if len(d.args) < 3 {
		l.alertBare(d.pos, "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.")
		return
	}
	if !templateRangeOK(d.args[1]) {
		l.alertBare(d.pos, fmt.Sprintf("Wrong server-template number or range arg '%s'.", d.args[1]))
		return
	}
	if s := l.newServer(px, d, 2, "(null)"); s != nil {
		for _, name := range templateNames(d.args[0], d.args[1]) {
			l.noteResolvers(px, s, name)
		}
	}
}

// newServer reads the address at d.args[addrAt] and the options after
// it, on top of the default-server settings; nil after an error.
func (l *loader) newServer(px *Proxy, d line, addrAt int, dnsName string) *Server {
	s := &Server{Name: d.args[0], Options: make(map[string]string, len(px.DefaultServer)+len(d.args)/2), Pos: d.pos}
	for k, v := range px.DefaultServer {
		s.Options[k] = v
	}
	who := fmt.Sprintf("'server %s/%s'", px.Name, s.Name)
	addr, msg := l.parseAddr(d.args[addrAt], addrServer)
	if msg != "" {
		l.alertBare(d.pos, who+" : "+msg)
		return nil
	}
	s.Addr = addr
	if !l.serverOptions(px, d, d.args[addrAt+1:], s.Options, who, s.Name) || !l.checkResolvable(px, d, dnsName, s) || !l.agentPort(d, s, who) {
		return nil
	}
	s.Typed = s.Params()

	return s
}

// checkResolvable refuses a name a resolvers section could not query:
// the reference turns it into DNS labels while parsing, and an empty or
// over-long label fails (an unset variable in "$A.example" leaves one).
func (l *loader) checkResolvable(px *Proxy, d line, name string, s *Server) bool {
	if _, ok := s.Options["resolvers"]; !ok || isIPOrAny(s.Addr.Host) || s.Addr.Path != "" {
		return true
	}
	labels := strings.Split(strings.TrimSuffix(s.Addr.Host, "."), ".")
	for _, lab := range labels {
		if lab == "" || len(lab) > 63 {
			l.alertBare(d.pos, fmt.Sprintf("'server %s/%s' : Can't create DNS resolution for server '%s'", px.Name, name, name))
			return false
		}
	}
	return true
}

// serverOptions reads server or default-server options into opts.
func (l *loader) serverOptions(px *Proxy, d line, args []string, opts map[string]string, who, name string) bool {
	l.srvUnlocated = false
	for i := 0; i < len(args); i++ {
		kw := args[i]
		n, ok := serverOptions[kw]
		if ok && who == "" && notInDefaultServer[kw] {
			l.refuseInDefaultServer(d, kw)
			i += n // its value, when given, is skipped
			continue
		}
		if !ok {
			msg := fmt.Sprintf("unknown keyword '%s'.", kw)
			if who == "" {
				msg += " Hint: no address was expected for this server."
			}
			l.serverAlert(d.pos, who, msg)
			return false
		}
		val := ""
		if n != 0 {
			if i+1 >= len(args) && serverEmptyValueOK[kw] {
				// The reference reads the missing value as an empty
				// one (a resolvers section named "" is looked for, and
				// not found, after reading).
				opts[kw] = ""
				continue
			}
			if i+1 >= len(args) {
				msg, ok := serverMissing[kw]
				if !ok {
					msg = fmt.Sprintf("'%s' expects an argument.", kw)
				}
				l.serverAlert(d.pos, who, msg)
				return false
			}
			val = args[i+1]
			i++
		}
		// "source ADDR [usesrc ADDR] [interface NAME]"
		for n < 0 && i+1 < len(args) && (args[i+1] == "usesrc" || args[i+1] == "interface") {
			if i+2 >= len(args) { // left for serverSource to refuse
				val += " " + args[i+1]
				i++
				break
			}
			val += " " + args[i+1] + " " + args[i+2]
			i += 2
		}
		if kw == "source" && !l.serverSource(d, who, strings.Fields(val)) {
			return false
		}
		if kw == "addr" {
			// resolved while parsing, unlike the server's own address
			if _, msg := l.parseAddr(val, addrLog); msg != "" {
				l.serverAlert(d.pos, who, fmt.Sprintf("'addr' : %s.", msg))
				return false
			}
		}
		if check := serverChecks[kw]; check != nil {
			if msg := check(name, kw, val); msg != "" {
				l.serverAlert(d.pos, who, msg)
				return false
			}
		}
		if path := l.basePath("ca-base", val); (kw == "ca-file" || kw == "crl-file") && !pemHas(path, "CERTIFICATE", "X509 CRL") {
			// sic: the reference says "ca-file" for both
			reason := "no certificate or crl found"
			if !fileExists(path) {
				reason = "No such file or directory"
			}
			l.serverAlert(d.pos, who, fmt.Sprintf("Couldn't open the ca-file '%s' (%s).", path, reason))
			l.emit(confparse.Alert, confparse.Pos{}, fmt.Sprintf("'%s' : unable to load %s.", kw, path))
			return false
		}
		if strings.HasPrefix(kw, "no-") {
			delete(opts, strings.TrimPrefix(kw, "no-"))
		}
		opts[kw] = val
	}
	return true
}

// pemHas tells whether a file holds a PEM block of one of these types.
func pemHas(path string, types ...string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, t := range types {
		if strings.Contains(string(data), "-----BEGIN "+t+"-----") {
			return true
		}
	}
	return false
}

// pemCertAndKey checks a certificate file the way the reference loads
// it: a certificate, and a private key in the file or in FILE.key.
func pemCertAndKey(path string) string {
	if !pemHas(path, "CERTIFICATE", "TRUSTED CERTIFICATE") {
		return fmt.Sprintf("unable to load certificate from file '%s'.", path)
	}
	keys := []string{"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}
	if !pemHas(path, keys...) && !pemHas(path+".key", keys...) {
		return fmt.Sprintf("No Private Key found in '%s.key'.", path)
	}
	return ""
}
