package proxy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Family is the kind of socket a ListenAddr names.
type Family int

// Socket families of bind addresses.
const (
	FamilyAny  Family = iota // "*:80", ":80": IPv4 wildcard (HAProxy binds 0.0.0.0)
	FamilyIPv4               // ipv4@ or a literal IPv4 address
	FamilyIPv6               // ipv6@, "::" or a literal IPv6 address
	FamilyUnix               // unix@/path or a path starting with '/'
	FamilyABNS               // abns@name: Linux abstract namespace
	FamilyFD                 // fd@N: an inherited listening socket
)

// ListenAddr is one bind address as HAProxy understands it. A port range
// expands into one listener per port.
type ListenAddr struct {
	Family   Family
	Host     netip.Addr // invalid for the wildcard
	PortLow  uint16
	PortHigh uint16 // == PortLow for a single port
	Path     string // unix socket path or abstract name
	FD       int    // FamilyFD
}

// pathName prints the non-IP families; false for IP addresses.
func (a ListenAddr) pathName() (string, bool) {
	switch a.Family {
	case FamilyUnix:
		return "unix@" + a.Path, true
	case FamilyABNS:
		return "abns@" + a.Path, true
	case FamilyFD:
		return "fd@" + strconv.Itoa(a.FD), true
	}
	return "", false
}

// Key names the socket for reload matching: same key, same socket.
func (a ListenAddr) Key() string {
	if name, ok := a.pathName(); ok {
		return name
	}
	host := "*"
	if a.Host.IsValid() {
		host = a.Host.String()
	}
	return fmt.Sprintf("%d/%s:%d-%d", a.Family, host, a.PortLow, a.PortHigh)
}

// String prints the address in bind syntax.
func (a ListenAddr) String() string {
	if name, ok := a.pathName(); ok {
		return name
	}
	host := ""
	switch {
	case a.Host.IsValid() && a.Host.Is6():
		host = "[" + a.Host.String() + "]"
	case a.Host.IsValid():
		host = a.Host.String()
	case a.Family == FamilyIPv6:
		host = "[::]"
	}
	ports := strconv.Itoa(int(a.PortLow))
	if a.PortHigh != a.PortLow {
		ports += "-" + strconv.Itoa(int(a.PortHigh))
	}
	return host + ":" + ports
}

// ParseListenAddrs splits a `bind` address word (comma-separated list,
// optional family prefix, port ranges) into addresses. env resolves
// fd@${VAR} style names already expanded by the configuration reader: the
// word here holds the number itself.
func ParseListenAddrs(word string) ([]ListenAddr, error) {
	var out []ListenAddr
	for _, part := range strings.Split(word, ",") {
		a, err := parseListenAddr(part)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func parseListenAddr(s string) (ListenAddr, error) {
	var a ListenAddr
	if s == "" {
		return a, fmt.Errorf("missing address")
	}
	fam := FamilyAny
	if i := strings.Index(s, "@"); i >= 0 {
		prefix := s[:i]
		rest := s[i+1:]
		switch prefix {
		case "ipv4":
			fam = FamilyIPv4
		case "ipv6":
			fam = FamilyIPv6
		case "unix":
			if rest == "" {
				return a, fmt.Errorf("missing unix socket path in '%s'", s)
			}
			return ListenAddr{Family: FamilyUnix, Path: rest}, nil
		case "abns":
			if rest == "" {
				return a, fmt.Errorf("missing abstract socket name in '%s'", s)
			}
			return ListenAddr{Family: FamilyABNS, Path: rest}, nil
		case "fd":
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 {
				return a, fmt.Errorf("invalid file descriptor in '%s'", s)
			}
			return ListenAddr{Family: FamilyFD, FD: n}, nil
		default:
			return a, fmt.Errorf("unsupported address family '%s' in '%s'", prefix, s)
		}
		s = rest
	}
	if strings.HasPrefix(s, "/") {
		return ListenAddr{Family: FamilyUnix, Path: s}, nil
	}
	colon := strings.LastIndexByte(s, ':')
	if colon < 0 {
		return a, fmt.Errorf("missing port number: '%s'", s)
	}
	host, ports := s[:colon], s[colon+1:]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	a.Family = fam
	switch host {
	case "", "*":
	case "::":
		a.Family = FamilyIPv6
	default:
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return a, fmt.Errorf("invalid address: '%s'", host)
		}
		a.Host = ip
		if ip.Is4() {
			if fam == FamilyIPv6 {
				return a, fmt.Errorf("IPv4 address '%s' with ipv6@", host)
			}
			a.Family = FamilyIPv4
		} else {
			if fam == FamilyIPv4 {
				return a, fmt.Errorf("IPv6 address '%s' with ipv4@", host)
			}
			a.Family = FamilyIPv6
		}
	}
	lo, hi, ok := strings.Cut(ports, "-")
	plo, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || plo == 0 {
		return a, fmt.Errorf("invalid port '%s'", lo)
	}
	phi := plo
	if ok {
		phi, err = strconv.ParseUint(hi, 10, 16)
		if err != nil || phi < plo {
			return a, fmt.Errorf("invalid port range '%s'", ports)
		}
	}
	a.PortLow, a.PortHigh = uint16(plo), uint16(phi)
	return a, nil
}
