package proxy

import (
	"strconv"

	"fulcrum/proxy/http1"
)

// builtinPage is one of the reference's built-in error answers for errors
// the stream layer produces (headers in lower case, as its HTX output),
// byte for byte; the connection is closed after it.
func builtinPage(status int, reason, text string) []byte {
	code := strconv.Itoa(status)
	body := "<html><body><h1>" + code + " " + reason + "</h1>\n" + text + "\n</body></html>\n"
	return []byte("HTTP/1.1 " + code + " " + reason + "\r\n" +
		"content-length: " + strconv.Itoa(len(body)) + "\r\n" +
		"cache-control: no-cache\r\n" +
		"content-type: text/html\r\n\r\n" + body)
}

var builtinPages = map[int][]byte{
	403: builtinPage(403, "Forbidden", "Request forbidden by administrative rules."),
	429: builtinPage(429, "Too Many Requests", "You have sent too many requests in a given amount of time."),
	502: builtinPage(502, "Bad Gateway", "The server returned an invalid or incomplete response."),
	503: builtinPage(503, "Service Unavailable", "No server is available to handle this request."),
	504: builtinPage(504, "Gateway Time-out", "The server didn't respond in time."),
}

// pageBytes is what the reference counts in %B for a built-in page (its
// internal size, see htxSize), by status.
var pageBytes = func() map[int]int64 {
	m := map[int]int64{}
	opts := http1.DefaultOptions()
	for st, p := range builtinPages {
		var r http1.Response
		n, err := r.Parse(p, &opts, nil)
		if err != nil {
			panic("built-in page " + strconv.Itoa(st) + ": " + err.Error())
		}
		m[st] = htxSize(&r) + int64(len(p)-n)
	}
	return m
}()
