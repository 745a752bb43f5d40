package sample

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fulcrum/haproxy"
	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// diffExprs are evaluated by the reference (as `http-request return
// lf-string "%[EXPR]"`) and by us on the same request; each is written
// as it appears inside the configuration's double quotes.
var diffExprs = []string{
	"path", "pathq", "query", "url", "base", "baseq", "base32", "base32+src,hex", "method", "req.ver",
	"url_param(a)", "urlp(b)", "url_param(zz)", "urlp_val(b)",
	"req.hdr(x-l)", "hdr(x-l,1)", "hdr(x-l,-2)", "req.fhdr(x-l)", "hdr_cnt(x-l)", "req.fhdr_cnt(x-l)",
	"hdr_cnt", "hdr(nope)", "hdr_ip(x-ff)", "hdr_ip(x-ff,1)", "hdr_val(x-num)", "req.hdr_names", "req.hdr_names(;)",
	"req.cook(a)", "cook(b)", "cook_cnt(a)", "cook_val(n)", "cook",
	"src", "dst_port,add(1)", "http_first_req", "req.proto_http",
	"path,lower", "path,upper", "path,field(2,/)", "path,field(-1,/)", "path,field(2,/,2)", "path,field(2,/,0)",
	"path,field(9,/)", "path,field(-9,/)", "str(//a//b/c),word(2,/)", "str(a//b//c),word(-2,/)",
	"str(a//b//c),word(1,/,2)", "str(a b c),word(9, )",
	"path,regsub(/,_)", "path,regsub(/,_,g)", "path,regsub(\\\"^/([a-z]+)/(.*)\\\",\\\"\\\\2-\\\\1\\\")",
	"str(ABC),regsub(b,x,i)", "str(hello),base64", "str(aGVsbG8=),b64dec", "str(AB),hex", "path,length",
	"str(abcdef),bytes(1,3)", "str(abcdef),bytes(2)", "str(abc),bytes(5)",
	"src,ipmask(24)", "src,ipmask(255.255.0.0)", "ipv6(2001:db8::1),ipmask(16,64)",
	"str('a/b\\\"c'),json", "str(tab\there),json",
	"str(a),concat(<,txn.none,>)", "str(abc),sdbm", "str(abc),djb2", "str(abc),crc32", "str(abc),wt6",
	"str(abc),sdbm(1)", "str(abc),crc32(1)", "base,sdbm",
	"int(6),mul(7)", "int(7),div(2)", "int(7),mod(3)", "int(-7),neg", "int(5),and(3)", "int(5),or(3)", "int(5),xor(3)",
	"int(5),cpl", "int(0),not", "int(3),bool", "int(3),odd", "int(3),even", "int(6),div(0)",
	"str(12abc),add(1)", "str(x12),add(1)", "str(-4),add(1)", "bool(1)", "int(-3)", "str(1.2.3.4),ipmask(32)",
	"ipv4(1.2.3.4),add(0)", "ipv6(::ffff:1.2.3.4)", "bin(4142)", "bin(4142),hex",
	"str(  ab ),ltrim( ),rtrim( )", "var(txn.nothing)", "nbsrv(be)", "be_conn(be)", "srv_is_up(be/s)",
	"always_true", "always_false", "fe_name", "ssl_fc", "url_ip", "url_port",
	"path,map_beg(MAPDIR/beg.map)", "path,map_beg(MAPDIR/beg.map,none),upper", "path,map_str(MAPDIR/beg.map,none)",
	"path,map_sub(MAPDIR/beg.map)", "path,map_reg(MAPDIR/reg.map)", "src,map_ip(MAPDIR/ip.map)", "int(1500),map_int(MAPDIR/int.map)",
	"str(a\\r\\nb),cut_crlf", "str(ff),hex2i", "str(-ff),hex2i", "str(zz),hex2i", "int(258),htonl,hex",
	"str(example.com:8080),host_only", "str(example.com:8080),port_only", "str(example.com),port_only",
	"str([::1]:443),host_only", "str([::1]:443),port_only", "str(::1),host_only", "int(1),iif(yes,no)", "int(0),iif(yes,no)",
	"int(1500000000),http_date", "int(1500000000),http_date(3600)", "int(1500000000123),http_date(0,ms)", "int(1500000000123456),http_date(0,us)",
	"str(abc),sha1,hex", "str(abc),sha2,hex", "str(abc),sha2(512),hex", "str(abc),crc32c", "str(abc),crc32c(1)", "str(abc),xxh64", "str(abc),xxh64(7)", "path,xxh64",
	"str(hi?>),ub64enc", "str(aGk_Pg),ub64dec", "str(a%20b+c),url_dec", "str(a%20b+c),url_dec(1)", "str(a%2),url_dec",
}

const diffRequest = "GET /api/v1/users?a=1&b=22&a=3 HTTP/1.1\r\n" +
	"Host: www.Example.com\r\n" +
	"X-L: a, b ,c\r\n" +
	"X-L: d\r\n" +
	"X-FF: 192.168.1.2, 10.0.0.1\r\n" +
	"X-Num: -12abc\r\n" +
	"Cookie: a=x; b=y; n=7\r\n" +
	"Cookie: a=z\r\n"

func TestExprDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s"}})
	port := difftest.FreePort(t)
	mapDir := t.TempDir()
	for name, body := range map[string]string{
		"beg.map": "/api old\n/api/v1 new\n/api/v1/users exact\n/ap short\n",
		"reg.map": "^/api first\n^/api/v1 second\n",
		"ip.map":  "127.0.0.0/8 eight\n127.0.0.0/24 twentyfour\n0.0.0.0/0 any\n",
		"int.map": "1000:2000 range\n1500 exact\n",
	} {
		if err := os.WriteFile(filepath.Join(mapDir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "defaults\n\tmode http\n\ttimeout connect 2s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
		"frontend fe\n\tbind 127.0.0.1:%d\n", port)
	for i, x := range diffExprs {
		x = strings.ReplaceAll(x, "MAPDIR", mapDir)
		fmt.Fprintf(&sb, "\thttp-request return status 200 content-type text/plain lf-string \"[%%[%s]]\" if { req.hdr(x-n) %d }\n", x, i)
	}
	fmt.Fprintf(&sb, "\tdefault_backend be\nbackend be\n\tserver s %s\n", be.Addr("s"))
	cfgText := sb.String()
	difftest.StartReferenceConfig(t, bin, cfgText)

	// Our side reads the same configuration through the haproxy model,
	// so that the expressions are the words its lexer produces.
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, _ := haproxy.Load(path)
	var words []string
	for _, px := range hc.Proxies {
		for _, d := range px.Section.Lines {
			if d.Keyword == "http-request" && len(d.Args) > 7 {
				words = append(words, d.Args[6])
			}
		}
	}
	if len(words) != len(diffExprs) {
		t.Fatalf("model read %d rules, want %d", len(words), len(diffExprs))
	}
	for i, x := range diffExprs {
		raw := diffRequest + fmt.Sprintf("X-N: %d\r\nConnection: close\r\n\r\n", i)
		ref := refAnswer(t, fmt.Sprintf("127.0.0.1:%d", port), raw)
		e := httpEnv(t, raw)
		e.src = netip.MustParseAddrPort("127.0.0.1:40000")
		e.dst = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
		e.vars = nil
		e.stats = map[string]int{"0be/": 1, "1be/": 0, "4be/s": 1}
		tm, err := ParseTemplate(words[i], &Options{ReadFile: os.ReadFile})
		if err != nil {
			t.Errorf("%s: reference %q, ours refused: %v", x, ref, err)
			continue
		}
		ours := string(tm.Append(nil, e))
		if ours != ref {
			t.Errorf("%s: reference %q, ours %q", x, ref, ours)
		}
	}
}

// refAnswer sends raw and returns the response body (the head when it
// is not a 200).
func refAnswer(t *testing.T, addr, raw string) string {
	head, body, err := difftest.RawHTTP(addr, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(head, "HTTP/1.1 200") {
		return head
	}
	return body
}
