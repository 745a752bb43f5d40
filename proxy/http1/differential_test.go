package http1

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

type diffCase struct {
	desc string
	raw  string
}

const h = "Host: a\r\n"

// smugglingTable is the malformed-input and request-smuggling suite. No
// row says what the answer is: the live reference decides.
func smugglingTable() []diffCase {
	big := func(n int) string { return strings.Repeat("a", n) }
	hdrs := func(n int) string { return strings.Repeat("X: a\r\n", n) }
	ws := "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	return []diffCase{
		{"plain GET", "GET / HTTP/1.1\r\n" + h + "\r\n"},
		{"no Host in 1.1", "GET / HTTP/1.1\r\n\r\n"},
		{"HTTP/1.0 no Host", "GET / HTTP/1.0\r\n\r\n"},
		{"no version (0.9)", "GET /\r\n\r\n"},
		{"no version POST", "POST /\r\n" + h + "\r\n"},
		{"version HTTP/1.1 lowercase x", "GET / HTTP/1.1x\r\n" + h + "\r\n"},
		{"version digits only", "GET / 1.1\r\n" + h + "\r\n"},
		{"no version with headers", "GET /\r\n" + h + "\r\n"},
		{"version 1.2", "GET / HTTP/1.2\r\n" + h + "\r\n"},
		{"version 2.0", "GET / HTTP/2.0\r\n" + h + "\r\n"},
		{"version 0.9 spelled", "GET / HTTP/0.9\r\n" + h + "\r\n"},
		{"version trailing space", "GET / HTTP/1.1 \r\n" + h + "\r\n"},
		{"version lowercase", "GET / http/1.1\r\n" + h + "\r\n"},
		{"version two digits", "GET / HTTP/11\r\n" + h + "\r\n"},
		{"version HTTP/", "GET / HTTP/\r\n" + h + "\r\n"},
		{"version HTTP/x.y", "GET / HTTP/x.y\r\n" + h + "\r\n"},
		{"version HTTP/1.1x", "GET / HTTP/1.1x\r\n" + h + "\r\n"},
		{"version HTTX/1.1", "GET / HTTX/1.1\r\n" + h + "\r\n"},
		{"version 1.10", "GET / HTTP/1.10\r\n" + h + "\r\n"},
		{"double space after method", "GET  / HTTP/1.1\r\n" + h + "\r\n"},
		{"double space before version", "GET /  HTTP/1.1\r\n" + h + "\r\n"},
		{"tab separators", "GET\t/\tHTTP/1.1\r\n" + h + "\r\n"},
		{"leading space", " GET / HTTP/1.1\r\n" + h + "\r\n"},
		{"leading CRLF", "\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"leading LFs", "\n\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"method with (", "G(T / HTTP/1.1\r\n" + h + "\r\n"},
		{"method with NUL", "G\x00T / HTTP/1.1\r\n" + h + "\r\n"},
		{"lowercase method", "get / HTTP/1.1\r\n" + h + "\r\n"},
		{"odd token method", "M-!#$%&'*+.^_`|~ / HTTP/1.1\r\n" + h + "\r\n"},
		{"space in URI", "GET /a b HTTP/1.1\r\n" + h + "\r\n"},
		{"SOH in URI", "GET /\x01 HTTP/1.1\r\n" + h + "\r\n"},
		{"NUL in URI", "GET /\x00 HTTP/1.1\r\n" + h + "\r\n"},
		{"DEL in URI", "GET /\x7f HTTP/1.1\r\n" + h + "\r\n"},
		{"0x80 in URI", "GET /\x80 HTTP/1.1\r\n" + h + "\r\n"},
		{"0xff in URI", "GET /\xff HTTP/1.1\r\n" + h + "\r\n"},
		{"fragment in URI", "GET /#x HTTP/1.1\r\n" + h + "\r\n"},
		{"unsafe but visible URI chars", "GET /\"<>\\^`{|} HTTP/1.1\r\n" + h + "\r\n"},
		{"asterisk", "OPTIONS * HTTP/1.1\r\n" + h + "\r\n"},
		{"bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n"},
		{"bare CR line ends", "GET / HTTP/1.1\rHost: a\r\r\n"},
		{"CR inside value", "GET / HTTP/1.1\r\n" + h + "X: a\rb\r\n\r\n"},
		{"CR CR LF", "GET / HTTP/1.1\r\n" + h + "X: a\r\r\n\r\n"},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"},
		{"no colon", "GET / HTTP/1.1\r\n" + h + "X-A b\r\n\r\n"},
		{"empty header name", "GET / HTTP/1.1\r\n" + h + ": b\r\n\r\n"},
		{"paren in name", "GET / HTTP/1.1\r\n" + h + "X(A: b\r\n\r\n"},
		{"NUL in name", "GET / HTTP/1.1\r\n" + h + "X\x00A: b\r\n\r\n"},
		{"SOH in name", "GET / HTTP/1.1\r\n" + h + "X\x01A: b\r\n\r\n"},
		{"0x80 in name", "GET / HTTP/1.1\r\n" + h + "X\x80A: b\r\n\r\n"},
		{"NUL in value", "GET / HTTP/1.1\r\n" + h + "X-A: b\x00c\r\n\r\n"},
		{"SOH in value", "GET / HTTP/1.1\r\n" + h + "X-A: b\x01c\r\n\r\n"},
		{"DEL in value", "GET / HTTP/1.1\r\n" + h + "X-A: b\x7fc\r\n\r\n"},
		{"0xff in value", "GET / HTTP/1.1\r\n" + h + "X-A: \xff\r\n\r\n"},
		{"tab in value", "GET / HTTP/1.1\r\n" + h + "X-A: b\tc\r\n\r\n"},
		{"empty value", "GET / HTTP/1.1\r\n" + h + "X:\r\n\r\n"},
		{"obs-fold", "GET / HTTP/1.1\r\n" + h + "X-A: b\r\n c\r\n\r\n"},
		{"obs-fold with tab", "GET / HTTP/1.1\r\n" + h + "X-A: b\r\n\tc\r\n\r\n"},
		{"obs-fold first line", "GET / HTTP/1.1\r\n c\r\n" + h + "\r\n"},
		{"obs-fold of Content-Length", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1\r\n 2\r\n\r\nab"},
		{"final CR without LF", "GET / HTTP/1.1\r\n" + h + "\rX"},

		{"duplicate equal Host", "GET / HTTP/1.1\r\n" + h + h + "\r\n"},
		{"duplicate Host case", "GET / HTTP/1.1\r\n" + h + "host: A\r\n\r\n"},
		{"duplicate different Host", "GET / HTTP/1.1\r\n" + h + "Host: b\r\n\r\n"},
		{"duplicate Host one empty", "GET / HTTP/1.1\r\n" + h + "Host:\r\n\r\n"},
		{"Host list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"},
		{"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n"},
		{"absolute URI same host", "GET http://a/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI other host", "GET http://b/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI no Host", "GET http://b/ HTTP/1.1\r\n\r\n"},
		{"absolute URI port 80", "GET http://a:80/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI port 81", "GET http://a:81/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI empty port", "GET http://a:/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute http port 443", "GET http://a:443/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute https vs :443", "GET https://a/ HTTP/1.1\r\nHost: a:443\r\n\r\n"},
		{"absolute https vs :80", "GET https://a/ HTTP/1.1\r\nHost: a:80\r\n\r\n"},
		{"absolute URI userinfo", "GET http://u@a/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI uppercase", "GET HTTP://A/ HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI no path", "GET http://a HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute URI query no path", "GET http://a?x HTTP/1.1\r\n" + h + "\r\n"},
		{"absolute IPv6", "GET http://[::1]/ HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"},
		{"ftp scheme", "GET ftp://a/ HTTP/1.1\r\n" + h + "\r\n"},
		{"scheme single slash", "GET http:/a/ HTTP/1.1\r\n" + h + "\r\n"},
		{"scheme single slash no Host", "GET http:/a/ HTTP/1.1\r\n\r\n"},
		{"relative without slash", "GET a/ HTTP/1.1\r\n" + h + "\r\n"},
		{"network-path", "GET //b/ HTTP/1.1\r\n" + h + "\r\n"},
		{"CONNECT same", "CONNECT a:443 HTTP/1.1\r\n" + h + "\r\n"},
		{"CONNECT :80", "CONNECT a:80 HTTP/1.1\r\n" + h + "\r\n"},
		{"CONNECT :81", "CONNECT a:81 HTTP/1.1\r\n" + h + "\r\n"},
		{"CONNECT no port", "CONNECT a HTTP/1.1\r\n" + h + "\r\n"},
		{"CONNECT no port no Host", "CONNECT a HTTP/1.1\r\n\r\n"},
		{"CONNECT other host", "CONNECT b:443 HTTP/1.1\r\n" + h + "\r\n"},

		{"CL", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc"},
		{"CL 0", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n"},
		{"CL leading zeros", "POST / HTTP/1.1\r\n" + h + "Content-Length: 003\r\n\r\nabc"},
		{"CL duplicate equal", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
		{"CL duplicate different", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
		{"CL list equal", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3, 3\r\n\r\nabc"},
		{"CL list three", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3,3,3\r\n\r\nabc"},
		{"CL list different", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3,4\r\n\r\nabcd"},
		{"CL list trailing comma", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3,\r\n\r\nabc"},
		{"CL list empty element", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3,,3\r\n\r\nabc"},
		{"CL plus sign", "POST / HTTP/1.1\r\n" + h + "Content-Length: +3\r\n\r\nabc"},
		{"CL negative", "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\nabc"},
		{"CL hex", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x3\r\n\r\nabc"},
		{"CL inner space", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1 2\r\n\r\nabc"},
		{"CL empty", "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n"},
		{"CL tabs", "POST / HTTP/1.1\r\n" + h + "Content-Length:\t3\t\r\n\r\nabc"},
		{"CL overflow", "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999\r\n\r\n"},
		{"CL short body", "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\n\r\nab"},
		{"CL then pipelined", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"CL.TE", "POST / HTTP/1.1\r\n" + h + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"TE.CL", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\nContent-Type: x\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n"},
		{"TE.CL smuggled tail", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"},
		{"CL body is a request", "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"TE with bad CL", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n0\r\n\r\n"},
		{"TE with conflicting CLs", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"chunked uppercase", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"chunked trailing space", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n"},
		{"TE gzip, chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
		{"GET 1.0 with chunked body", "GET / HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"GET 1.0 with CL body", "GET / HTTP/1.0\r\n" + h + "Content-Length: 3\r\n\r\nabc"},
		{"POST 1.0 with CL body", "POST / HTTP/1.0\r\n" + h + "Content-Length: 3\r\n\r\nabc"},
		{"PUT 1.0 chunked", "PUT / HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"GET 1.0 TE gzip", "GET / HTTP/1.0\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n"},
		{"GET 1.0 with CL 0", "GET / HTTP/1.0\r\n" + h + "Content-Length: 0\r\n\r\n"},
		{"HEAD 1.0 with CL body", "HEAD / HTTP/1.0\r\n" + h + "Content-Length: 3\r\n\r\nabc"},
		{"DELETE 1.0 with CL body", "DELETE / HTTP/1.0\r\n" + h + "Content-Length: 3\r\n\r\nabc"},
		{"GET 1.1 with CL body", "GET / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc"},
		{"GET 1.0 TE gzip, chunked", "GET / HTTP/1.0\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
		{"TE gzip,chunked 1.0", "POST / HTTP/1.0\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
		{"TE gzip then chunked headers", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"TE chunked, gzip", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
		{"TE gzip only", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n"},
		{"TE gzip only 1.0", "POST / HTTP/1.0\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n"},
		{"TE identity", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n"},
		{"TE empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n\r\n"},
		{"TE chunked twice", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"},
		{"TE chunked two headers", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"TE xchunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
		{"TE chunked param", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"},
		{"TE leading comma", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n"},
		{"TE two trailing commas", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked,,\r\n\r\n0\r\n\r\n"},
		{"TE empty middle", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip,,chunked\r\n\r\n0\r\n\r\n"},
		{"TE trailing comma", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n"},
		{"TE chunked 1.0", "POST / HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"TE obs-fold", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
		{"TE vertical tab", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n"},
		{"chunk size z", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nz\r\nabc\r\n0\r\n\r\n"},
		{"chunk size empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n"},
		{"chunk size leading space", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n"},
		{"chunk size trailing space", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n"},
		{"chunk size trailing tab", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\t\r\nabc\r\n0\r\n\r\n"},
		{"chunk size 0x prefix", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n"},
		{"chunk size leading zeros", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0003\r\nabc\r\n0\r\n\r\n"},
		{"chunk size uppercase hex", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"},
		{"chunk size overflow", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n"},
		{"chunk size 2^56", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n100000000000000\r\nabc\r\n0\r\n\r\n"},
		{"chunk size negative", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n"},
		{"chunk ext", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n"},
		{"chunk ext empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n"},
		{"chunk ext quoted", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3 ; a=\"x\"\r\nabc\r\n0\r\n\r\n"},
		{"chunk ext control", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3;a\x01\r\nabc\r\n0\r\n\r\n"},
		{"chunk size bare CR", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n"},
		{"chunk data too long", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"},
		{"chunk data bad end", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\n0\r\n\r\n"},
		{"chunk data CR without LF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n"},
		{"chunk bare LFs", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"},
		{"chunk trailers", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"},
		// A space in a trailer name is left out: the reference answers it
		// 400 or 200 from one run to the next (it races the backend).
		{"chunk trailer no colon", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nXT\r\n\r\n"},
		{"chunk trailer empty name", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n: v\r\n\r\n"},
		{"chunk trailer NUL value", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\x00b\r\n\r\n"},
		{"chunk trailer fold", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n"},
		{"chunk trailer bare CR", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\rb\r\n\r\n"},
		{"chunk missing last CRLF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"},
		{"chunked then pipelined", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},

		{"pipelined two", "GET / HTTP/1.1\r\n" + h + "\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"pipelined incomplete", "GET / HTTP/1.1\r\n" + h + "\r\nGET / HTTP/1.1\r\nHost"},
		{"pipelined garbage", "GET / HTTP/1.1\r\n" + h + "\r\nGARBAGE\r\n\r\n"},
		{"pipelined bad second", "GET / HTTP/1.1\r\n" + h + "\r\nGET / HTTP/1.1\r\nX : a\r\n\r\n"},
		{"pipelined conflicting CL", "GET / HTTP/1.1\r\n" + h + "\r\nGET / HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n"},
		{"close then more", "GET / HTTP/1.1\r\n" + h + "Connection: close\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"Close token in list", "GET / HTTP/1.1\r\n" + h + "Connection: foo, Close\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"keep-alive and close", "GET / HTTP/1.1\r\n" + h + "Connection: keep-alive, close\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"1.0 then more", "GET / HTTP/1.0\r\n" + h + "\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"1.0 keep-alive then more", "GET / HTTP/1.0\r\n" + h + "Connection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n"},
		{"incomplete line", "GET / HTT"},
		{"incomplete head", "GET / HTTP/1.1\r\n" + h},
		{"partial bad method", "G(T / HTT"},
		{"partial method only", "GE"},
		{"partial bad URI", "GET /a\x01"},
		{"partial URI with 0x80", "GET /a\x80b"},
		{"partial fragment", "GET /a#"},
		{"partial bad version", "GET / HTTX"},
		{"partial lowercase version", "GET / http"},
		{"partial version too long", "GET / HTTP/1.1x"},
		{"partial version blank", "GET / HTTP/1.1 "},
		{"partial bad name", "GET / HTTP/1.1\r\nX(Y"},
		{"partial space in name", "GET / HTTP/1.1\r\nHost : a"},
		{"partial CR in value", "GET / HTTP/1.1\r\nHost: a\rb"},
		{"partial fold first", "GET / HTTP/1.1\r\n b"},
		{"partial NUL in name", "GET / HTTP/1.1\r\nX\x00"},
		{"expect 100-continue no body", "GET / HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n\r\n"},
		{"expect 100-continue body", "POST / HTTP/1.1\r\n" + h + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nab"},

		{"websocket valid key", "GET / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"},
		{"websocket short key", "GET / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n\r\n"},
		{"websocket non-base64 key", "GET / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ!==\r\n\r\n"},
		{"websocket unpadded 24-char key", "GET / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQab\r\n\r\n"},
		{"websocket 25-char key", "GET / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\n\r\n"},
		{"websocket empty key", "GET / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key:\r\n\r\n"},
		{"websocket no key", "GET / HTTP/1.1\r\n" + h + ws + "\r\n"},
		{"websocket 1.0 with key", "GET / HTTP/1.0\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"},
		{"websocket POST with key", "POST / HTTP/1.1\r\n" + h + ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n"},
		{"websocket without Connection upgrade", "GET / HTTP/1.1\r\n" + h + "Upgrade: websocket\r\n\r\n"},
		{"websocket in a list", "GET / HTTP/1.1\r\n" + h + "Upgrade: foo, websocket\r\nConnection: keep-alive, upgrade\r\n\r\n"},
		{"other upgrade", "GET / HTTP/1.1\r\n" + h + "Upgrade: h2c\r\nConnection: Upgrade\r\n\r\n"},

		{"100 headers", "GET / HTTP/1.1\r\n" + h + hdrs(99) + "\r\n"},
		{"101 headers", "GET / HTTP/1.1\r\n" + h + hdrs(100) + "\r\n"},
		{"102 headers", "GET / HTTP/1.1\r\n" + h + hdrs(101) + "\r\n"},
		{"1000 headers", "GET / HTTP/1.1\r\n" + h + hdrs(999) + "\r\n"},
		{"16k header", "GET / HTTP/1.1\r\n" + h + "X: " + big(16000) + "\r\n\r\n"},
		{"16k URI", "GET /" + big(16000) + " HTTP/1.1\r\n" + h + "\r\n"},
		{"20k URI", "GET /" + big(20000) + " HTTP/1.1\r\n" + h + "\r\n"},
	}
}

// boundaryCases put each shape of head exactly at our size limit and one
// byte over it, so the reference confirms where the limit lies.
func boundaryCases(t *testing.T, opts *Options) []diffCase {
	shapes := []sizeShape{
		{"long URI", func(n int) string { return "GET /" + strings.Repeat("a", n) + " HTTP/1.1\r\n" + h + "\r\n" }},
		{"long header", func(n int) string { return "GET / HTTP/1.1\r\n" + h + "X: " + strings.Repeat("a", n) + "\r\n\r\n" }},
		{"long header, LF ends", func(n int) string { return "GET / HTTP/1.1\nHost: a\nX: " + strings.Repeat("a", n) + "\n\n" }},
		{"long header, blanks", func(n int) string {
			return "GET / HTTP/1.1\r\n" + h + "X:   " + strings.Repeat("a", n) + "  \r\n\r\n"
		}},
		{"long header, many others", func(n int) string {
			return "GET / HTTP/1.1\r\n" + h + strings.Repeat("Y-Header: value\r\n", 10) + "X: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
		{"long header, CL list", func(n int) string {
			return "POST / HTTP/1.1\r\n" + h + "Content-Length: 0, 0\r\nContent-Length: 0\r\nX: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
		{"long header, CL zeros", func(n int) string {
			return "POST / HTTP/1.1\r\n" + h + "Content-Length: 00000\r\nX: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
		// The reference takes close and keep-alive out of Connection.
		{"long header, Connection: close", func(n int) string {
			return "GET / HTTP/1.1\r\n" + h + "Connection: close\r\nX: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
		{"long header, Connection with other options", func(n int) string {
			return "GET / HTTP/1.1\r\n" + h + "Connection: te,  Keep-Alive , x-opt\r\nX: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
		{"long header, Connection without close", func(n int) string {
			return "GET / HTTP/1.1\r\n" + h + "Connection: te, x-opt\r\nX: " + strings.Repeat("a", n) + "\r\n\r\n"
		}},
	}
	return limitCases(t, shapes, func(raw string) bool {
		v := Verdicts([]byte(raw), opts)
		return len(v) == 1 && v[0] == 0
	})
}

// sizeShape builds a message whose size grows with n.
type sizeShape struct {
	desc string
	mk   func(n int) string
}

// limitCases finds, for each shape, the largest n our codec accepts and
// returns the message at that n and at n+1.
func limitCases(t *testing.T, shapes []sizeShape, accepted func(string) bool) []diffCase {
	var out []diffCase
	for _, s := range shapes {
		lo, hi := 0, 20000 // accepted at lo, refused at hi
		for lo+1 < hi {
			if m := (lo + hi) / 2; accepted(s.mk(m)) {
				lo = m
			} else {
				hi = m
			}
		}
		if lo == 0 {
			t.Fatalf("%s: no accepted size", s.desc)
		}
		out = append(out,
			diffCase{fmt.Sprintf("%s at limit (%d)", s.desc, lo), s.mk(lo)},
			diffCase{fmt.Sprintf("%s over limit (%d)", s.desc, hi), s.mk(hi)})
	}
	return out
}

// runDifferential sends every case to one live reference (concurrently, so
// that its keep-alive waits overlap) and checks our verdicts against its
// answers.
func runDifferential(t *testing.T, global, defaults string, opts *Options, cases []diffCase) {
	ref := startReference(t, global, defaults)
	got, errs := exchangeAll(len(cases), func(i int) ([]int, error) { return ref.exchange([]byte(cases[i].raw)) })
	agree := 0
	for i, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatalf("exchange with the reference: %v", errs[i])
			}
			want := got[i]
			ours := Verdicts([]byte(c.raw), opts)
			if fmt.Sprint(answers(ours)) != fmt.Sprint(want) {
				t.Errorf("reference answered %v, ours would answer %v\nrequest: %q", want, answers(ours), abbreviate(c.raw))
				return
			}
			agree++
		})
	}
	t.Logf("%d of %d cases agree with the reference [%s]", agree, len(cases), strings.TrimSpace(global+" "+defaults))
}

// answers maps our verdicts to the statuses a client of the reference sees:
// accepted requests get the test backend's 200.
func answers(v []int) []int {
	out := make([]int, len(v))
	for i, s := range v {
		if s == 0 {
			s = 200
		}
		out[i] = s
	}
	return out
}

func abbreviate(s string) string {
	if len(s) > 200 {
		return s[:200] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

func TestDifferentialRequests(t *testing.T) {
	opts := DefaultOptions()
	cases := append(smugglingTable(), boundaryCases(t, &opts)...)
	runDifferential(t, "", "", &opts, cases)
}

func TestDifferentialAcceptInvalid(t *testing.T) {
	opts := DefaultOptions()
	opts.AcceptInvalid = true
	cases := append(smugglingTable(), boundaryCases(t, &opts)...)
	runDifferential(t, "", "option accept-invalid-http-request", &opts, cases)
}

// TestDifferentialLimits moves tune.bufsize, tune.maxrewrite and
// tune.http.maxhdr away from their defaults: the head budget and header
// count must follow them as the reference's do.
func TestDifferentialLimits(t *testing.T) {
	opts := DefaultOptions()
	opts.Limits = Limits{BufSize: 8192, MaxRewrite: 512, MaxHeaders: 20}
	hdrs := func(n int) string { return strings.Repeat("X: a\r\n", n) }
	cases := []diffCase{
		{"19 headers", "GET / HTTP/1.1\r\n" + hdrs(19) + "\r\n"},
		{"20 headers", "GET / HTTP/1.1\r\n" + hdrs(20) + "\r\n"},
		{"21 headers", "GET / HTTP/1.1\r\n" + hdrs(21) + "\r\n"},
		{"19 headers and Connection: close", "GET / HTTP/1.1\r\nConnection: close\r\n" + hdrs(19) + "\r\n"},
		{"20 headers and Connection: keep-alive, close", "GET / HTTP/1.1\r\n" + hdrs(19) + "Connection: keep-alive, close\r\n" + hdrs(1) + "\r\n"},
		{"19 headers and Connection: upgrade", "GET / HTTP/1.1\r\nConnection: upgrade\r\n" + hdrs(19) + "\r\n"},
		{"10k URI", "GET /" + strings.Repeat("a", 10000) + " HTTP/1.1\r\n" + h + "\r\n"},
	}
	cases = append(cases, boundaryCases(t, &opts)...)
	runDifferential(t, "\ttune.bufsize 8192\n\ttune.maxrewrite 512\n\ttune.http.maxhdr 20", "", &opts, cases)
}

// exchangeAll runs n exchanges with the reference concurrently, so that
// its keep-alive and timeout waits overlap, and returns their results.
func exchangeAll(n int, exchange func(i int) ([]int, error)) ([][]int, []error) {
	got := make([][]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			got[i], errs[i] = exchange(i)
		}()
	}
	wg.Wait()
	return got, errs
}
