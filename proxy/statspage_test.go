package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// httpDefaults are the defaults of the page tests' configurations.
const httpDefaults = `defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
`

// pageConfig is a listen section serving the statistics page with
// authentication, admin actions and a refresh, in front of two servers.
const pageConfig = httpDefaults + `listen st
	bind 127.0.0.1:%d
	stats enable
	stats uri /admin?stats
	stats realm My\ Stats
	stats auth admin:secret
	stats admin if TRUE
	stats refresh 5s
	stats show-legends
	server x %s
	server y %s
`

// startPageEngine runs pageConfig on our engine, its messages in sink
// (nil: dropped).
func startPageEngine(t *testing.T, srv string, sink *logSink) string {
	return feAddr(startAdaptedLog(t, fmt.Sprintf(pageConfig, difftest.FreePort(t), srv, srv), sink), "st")
}

// pageAnswer is what a client sees of one page request, without what
// differs by nature (dates, sizes of live numbers).
type pageAnswer struct {
	status  int
	headers map[string]string // the ones compared
	body    string
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout: 10 * time.Second}

func pageRequest(t *testing.T, method, url, form string, auth bool) pageAnswer {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth {
		req.SetBasicAuth("admin", "secret")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := pageAnswer{status: resp.StatusCode, headers: map[string]string{}, body: string(b)}
	for _, h := range []string{"Content-Type", "Www-Authenticate", "Refresh", "Location", "Cache-Control"} {
		a.headers[h] = resp.Header.Get(h)
	}
	return a
}

// csvStatus returns the status and weight columns of proxy st's rows.
func csvStatus(t *testing.T, body string) string {
	t.Helper()
	_, rows := parseCSV(t, body)
	var out []string
	for _, k := range []string{"st/FRONTEND", "st/x", "st/y", "st/BACKEND"} {
		out = append(out, k+"="+rows[k]["status"]+"/"+rows[k]["weight"])
	}
	return strings.Join(out, " ")
}

// TestStatsPageDifferential sends the same page requests to the
// reference and to our engine: authentication, the CSV and JSON exports
// with their flags, and admin actions posted as the page's form, whose
// effect is read back from the CSV.
func TestStatsPageDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := startHTTPBackend(t, "s")
	refPort := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(pageConfig, refPort, be.addr(), be.addr()))
	sink := &logSink{}
	bases := map[string]string{"ref": fmt.Sprintf("http://127.0.0.1:%d/admin?stats", refPort),
		"ours": "http://" + startPageEngine(t, be.addr().String(), sink) + "/admin?stats"}

	steps := []struct {
		desc, method, suffix, form string
		auth                       bool
		// what to compare: the whole body, the CSV status columns, the
		// JSON rows' shape, or the status and headers only.
		compare string
	}{
		{"no credentials", "GET", "", "", false, "body"},
		{"csv", "GET", ";csv", "", true, "csv"},
		{"csv norefresh", "GET", ";csv;norefresh", "", true, "csv"},
		{"csv up", "GET", ";up;csv", "", true, "csv"},
		{"json", "GET", ";json", "", true, "json"},
		{"html", "GET", "", "", true, "headers"},
		{"drain x", "POST", "", "s=x&action=drain&b=%232", true, "body"},
		{"after drain", "GET", ";csv", "", true, "csv"},
		{"maint x and y, up flag kept", "POST", ";up", "s=x&s=y&action=maint&b=%232", true, "body"},
		{"after maint", "GET", ";csv", "", true, "csv"},
		{"ready y", "POST", "", "s=y&action=ready&b=%232", true, "body"},
		{"after ready", "GET", ";csv;up", "", true, "csv"},
		{"no server chosen", "POST", "", "action=ready&b=%232", true, "body"},
		{"unknown backend id", "POST", "", "s=y&action=ready&b=%2399", true, "body"},
		{"result message", "GET", ";st=DONE", "", true, "headers"},
	}
	for _, st := range steps {
		got := map[string]pageAnswer{}
		for side, base := range bases {
			got[side] = pageRequest(t, st.method, base+st.suffix, st.form, st.auth)
		}
		ref, ours := got["ref"], got["ours"]
		if ref.status != ours.status {
			t.Errorf("%s: status ref %d, ours %d", st.desc, ref.status, ours.status)
		}
		for h, v := range ref.headers {
			if h == "Location" {
				v = strings.TrimPrefix(v, bases["ref"][:strings.Index(bases["ref"], "/admin")])
			}
			if ours.headers[h] != v {
				t.Errorf("%s: header %s ref %q, ours %q", st.desc, h, v, ours.headers[h])
			}
		}
		switch st.compare {
		case "body":
			if ref.body != ours.body {
				t.Errorf("%s: body\nref  %q\nours %q", st.desc, ref.body, ours.body)
			}
		case "csv":
			if r, o := csvStatus(t, ref.body), csvStatus(t, ours.body); r != o {
				t.Errorf("%s: statuses\nref  %s\nours %s", st.desc, r, o)
			}
			if r, o := strings.SplitN(ref.body, "\n", 2)[0], strings.SplitN(ours.body, "\n", 2)[0]; r != o {
				t.Errorf("%s: header\nref  %s\nours %s", st.desc, r, o)
			}
		case "json":
			if r, o := jsonShape(t, ref.body), jsonShape(t, ours.body); r != o {
				t.Errorf("%s: JSON rows\nref  %s\nours %s", st.desc, r, o)
			}
		}
	}

	// The admin actions are logged as the reference logs them.
	last := "Server st/y is UP/READY (leaving forced maintenance)."
	ref.WaitLog(last)
	sink.wait(t, last)
	serverLines := func(lines []string) string {
		var out []string
		for _, l := range lines {
			if i := strings.Index(l, "Server st/"); i >= 0 {
				out = append(out, l[i:])
			}
		}
		return strings.Join(out, "\n")
	}
	sink.mu.Lock()
	ours := serverLines(sink.lines)
	sink.mu.Unlock()
	if r := serverLines(strings.Split(ref.Output(), "\n")); r != ours {
		t.Errorf("admin action logs:\nref\n%s\nours\n%s", r, ours)
	}
}

// jsonShape summarises a ;json answer: per row its object type and the
// names of its fields.
func jsonShape(t *testing.T, body string) string {
	t.Helper()
	var rows [][]struct {
		ObjType string `json:"objType"`
		Field   struct {
			Name string `json:"name"`
		} `json:"field"`
	}
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	var out []string
	for _, r := range rows {
		var names []string
		for _, f := range r {
			names = append(names, f.Field.Name)
		}
		out = append(out, r[0].ObjType+":"+strings.Join(names, ","))
	}
	return strings.Join(out, "\n")
}

// chromium finds the headless browser; like the reference binaries, it
// is required under CI=true and skipped loudly elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (Debian package 'chromium'); it is required under CI")
	}
	t.Skip("SKIPPED: chromium is not installed (apt-get install chromium) — the stats page is not rendered")
	return ""
}

// TestStatsPageRendersInChromium loads our statistics page in headless
// Chromium: the DOM it builds must hold the page's tables and server
// rows, and the screenshot must be written (STATSPAGE_PNG=path keeps a
// copy for a person to look at).
func TestStatsPageRendersInChromium(t *testing.T) {
	bin := chromium(t)
	be := startHTTPBackend(t, "s")
	addr := startPageEngine(t, be.addr().String(), nil)
	// The page needs credentials: a URL with them works in Chromium.
	url := "http://admin:secret@" + addr + "/admin?stats"
	run := func(args ...string) []byte {
		dir := t.TempDir()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + dir, "--window-size=1400,700"}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(append(base, args...), url)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return out
	}
	dom := string(run("--dump-dom"))
	for _, want := range []string{"Statistics Report for pid", `class="active_no_check"`, ">Backend<", "Queue",
		"Session rate", "Sessions", "Bytes", "Denied", "Errors", "Warnings", "Server", `name="action"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	shot := filepath.Join(t.TempDir(), "stats.png")
	run("--screenshot=" + shot)
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10000 {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	if keep := os.Getenv("STATSPAGE_PNG"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// optionsConfig exercises the page's display options: hidden version,
// node and description (global ones and the page's own), a scope, and a
// `stats http-request deny` rule.
const optionsConfig = `global
	node gnode
	description global desc
` + httpDefaults + `listen st
	bind 127.0.0.1:%d
	stats uri /s
	stats hide-version
	stats show-node
	stats show-desc my desc
	stats scope zz
	stats http-request deny if { path_end /forbidden }
	server x %s
backend zz
	server a %s
backend yy
	server b %s
`

var pageHeadRE = regexp.MustCompile(`<title>.*</title>|<h1>.*</h1>|<h2>.*</h2>|name="[a-z]+"></a>`)

// TestStatsPageOptionsDifferential compares the page's title lines, the
// proxies it shows and the CSV rows under display options and a stats
// http-request rule, with the reference.
func TestStatsPageOptionsDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := startHTTPBackend(t, "s")
	srv := be.addr().String()
	refPort := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, fmt.Sprintf(optionsConfig, refPort, srv, srv, srv))
	bases := map[string]string{"ref": fmt.Sprintf("http://127.0.0.1:%d/s", refPort),
		"ours": "http://" + feAddr(startAdapted(t, fmt.Sprintf(optionsConfig, difftest.FreePort(t), srv, srv, srv)), "st") + "/s"}
	pid := regexp.MustCompile(`pid \d+`)
	for _, tc := range []struct{ desc, suffix string }{{"page", ""}, {"csv", ";csv"}, {"denied", "/forbidden"}} {
		got := map[string]string{}
		for side, base := range bases {
			a := pageRequest(t, "GET", base+tc.suffix, "", false)
			summary := fmt.Sprintf("%d ", a.status)
			switch tc.desc {
			case "page":
				summary += strings.Join(pageHeadRE.FindAllString(a.body, -1), "\n")
			case "csv":
				for _, l := range strings.Split(a.body, "\n") {
					if f := strings.SplitN(l, ",", 3); len(f) == 3 {
						summary += f[0] + "," + f[1] + " "
					}
				}
			}
			got[side] = pid.ReplaceAllString(summary, "pid N")
		}
		if got["ref"] != got["ours"] {
			t.Errorf("%s:\nref  %s\nours %s", tc.desc, got["ref"], got["ours"])
		}
	}
}
