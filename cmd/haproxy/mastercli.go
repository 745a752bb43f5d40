package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// masterCLI is the -S socket of master-worker mode: `show proc`,
// `reload`, `show version`, `help`, `prompt`, `quit`, and `@1` / `@!<pid>`
// / `@master` prefixes that send a command to a worker or the master.
type masterCLI struct {
	ln     net.Listener
	reload chan<- chan struct{} // asks the master's loop to reload; closed when started
	show   func() string        // `show proc`
	// forward runs a command line on a worker (`@1`, `@!<pid>`).
	forward func(target, line string) (string, error)
}

// listenMasterCLI opens "-S <addr>[,<option>...]": a unix socket path
// (optionally unix@) or ipv4@/ipv6@ host:port; "mode", "user", "group",
// "uid", "gid" apply to unix sockets.
func listenMasterCLI(spec string, reload chan<- chan struct{}, show func() string, forward func(target, line string) (string, error)) (*masterCLI, []string, error) {
	parts := strings.Split(spec, ",")
	addr := parts[0]
	var notes []string
	network := "unix"
	switch {
	case strings.HasPrefix(addr, "unix@"):
		addr = strings.TrimPrefix(addr, "unix@")
	case strings.HasPrefix(addr, "ipv4@"), strings.HasPrefix(addr, "ipv6@"):
		network, addr = "tcp", addr[5:]
	case !strings.HasPrefix(addr, "/") && strings.Contains(addr, ":"):
		network = "tcp"
	}
	if network == "unix" && !strings.HasPrefix(addr, "fd@") {
		// A stale socket from a previous run is replaced, as HAProxy does.
		if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(addr)
		}
	}
	var ln net.Listener
	var err error
	if n, ok := strings.CutPrefix(addr, "fd@"); ok {
		// A listening socket the caller passed, as test harnesses do.
		network = "fd"
		ln, err = fdListener(n)
	} else {
		ln, err = net.Listen(network, addr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("Cannot create master CLI socket '%s' : %v", spec, err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // the reference leaves the file at exit
	}
	words := strings.Fields(strings.Join(parts[1:], " "))
	for i := 0; i < len(words); i++ {
		val := ""
		if i+1 < len(words) {
			val = words[i+1]
		}
		switch words[i] {
		case "mode":
			if m, err := strconv.ParseUint(val, 8, 32); err == nil && network == "unix" {
				_ = os.Chmod(addr, os.FileMode(m))
			}
			i++
		case "uid", "gid", "user", "group":
			if network == "unix" {
				uid, gid := -1, -1
				switch words[i] {
				case "uid":
					uid, _ = strconv.Atoi(val)
				case "gid":
					gid, _ = strconv.Atoi(val)
				default:
					var err error
					if words[i] == "user" {
						uid, _, err = lookupIDs(val, "")
					} else {
						_, gid, err = lookupIDs("", val)
					}
					if err != nil {
						notes = append(notes, err.Error())
					}
				}
				_ = os.Lchown(addr, uid, gid)
			}
			i++
		default:
			notes = append(notes, fmt.Sprintf("master CLI bind option '%s' is accepted but not acted on yet by Fulcrum.", words[i]))
		}
	}
	m := &masterCLI{ln: ln, reload: reload, show: show, forward: forward}
	go m.serve()
	return m, notes, nil
}

func (m *masterCLI) close() { m.ln.Close() }

func (m *masterCLI) serve() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		go m.session(c)
	}
}

// session reads command lines; without `prompt` it answers one line and
// closes, like HAProxy's CLI.
func (m *masterCLI) session(c net.Conn) {
	defer c.Close()
	rd := bufio.NewReader(c)
	interactive := false
	target := "@master"
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Minute))
		line, err := rd.ReadString('\n')
		if err != nil && line == "" {
			return
		}
		w := bufio.NewWriter(c)
		quit := false
		for _, cmd := range strings.Split(strings.TrimRight(line, "\r\n"), ";") {
			switch words := strings.Fields(cmd); {
			case len(words) == 0:
			case words[0] == "prompt":
				interactive = !interactive
			case words[0] == "quit":
				quit = true
			case strings.HasPrefix(words[0], "@") && len(words) == 1:
				// A prefix alone sends the session's next commands there.
				target = words[0]
			case strings.HasPrefix(words[0], "@"):
				m.route(w, words[0], words[1:])
			default:
				m.route(w, target, words)
			}
		}
		if interactive && !quit {
			w.WriteString("\nmaster> ")
		}
		w.Flush()
		if !interactive || quit || err != nil {
			return
		}
	}
}

// fdListener takes over the listening socket numbered n.
func fdListener(n string) (net.Listener, error) {
	fd, err := strconv.Atoi(n)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("invalid file descriptor '%s'", n)
	}
	f := os.NewFile(uintptr(fd), "fd@"+n)
	defer f.Close()
	return net.FileListener(f)
}

// route runs a command on the master or forwards it to a worker.
func (m *masterCLI) route(w *bufio.Writer, target string, words []string) {
	if target == "@master" {
		m.command(w, words)
		return
	}
	out, err := m.forward(target, strings.Join(words, " "))
	if err != nil {
		w.WriteString(err.Error())
		return
	}
	w.WriteString(out)
}

func uptime(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%dd%02dh%02dm%02ds", s/86400, s/3600%24, s/60%60, s%60)
}

func (m *masterCLI) command(w *bufio.Writer, words []string) {
	switch strings.Join(words, " ") {
	case "show proc":
		w.WriteString(m.show())
	case "reload":
		done := make(chan struct{})
		m.reload <- done
		<-done
	case "show version":
		fmt.Fprintf(w, "%s\n", version)
	case "help":
		w.WriteString(masterHelp)
	default:
		fmt.Fprintf(w, "Unknown command: '%s'\n%s", words[0], masterHelp)
	}
}

const masterHelp = `The following commands are valid at this level:
  @!<pid>                                 : send a command to the <pid> process
  @<relative pid>                         : send a command to the <relative pid> process
  @master                                 : send a command to the master process
  reload                                  : reload haproxy
  show proc                               : show processes status
  show version                            : show version of the current process
  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect

`
