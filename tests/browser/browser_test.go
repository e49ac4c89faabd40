//go:build browser

package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/view"
)

const gib = int64(1) << 30

// now is the fixed "today" of the sample data, so screenshots are stable.
var now = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

const (
	accessKey = "1042-387"
	secretKey = "q8Zr2VxN4tLm7PwK1sD9fGh3JcBn6YeA"
)

// history is a year of daily usage growing from about 2 to 9.4 GiB, with a
// weekly rhythm and a clean-up in the autumn, and its monthly averages.
func history() (daily, monthly []view.Point) {
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -364)
	for i := range 365 {
		f := float64(i) / 364
		v := 2.1 + 7.3*f*f + 0.12*math.Sin(float64(i)*2*math.Pi/7)
		if i >= 200 && i < 230 {
			v -= 0.9 * float64(i-199) / 30
		} else if i >= 230 {
			v -= 0.9 * math.Max(0, 1-float64(i-230)/60)
		}
		daily = append(daily, view.Point{At: start.AddDate(0, 0, i), Bytes: int64(v * float64(gib))})
	}
	daily[len(daily)-1].Bytes = usedBytes()
	var sum, n int64
	for i, p := range daily {
		sum += p.Bytes
		n++
		if i == len(daily)-1 || daily[i+1].At.Month() != p.At.Month() {
			m := time.Date(p.At.Year(), p.At.Month(), 1, 0, 0, 0, 0, time.UTC)
			monthly = append(monthly, view.Point{At: m, Bytes: sum / n})
			sum, n = 0, 0
		}
	}
	return daily, monthly
}

func buckets() []view.Bucket {
	return []view.Bucket{
		{Name: "1042-387-backups", Bytes: 6*gib + 310*(gib>>10), Objects: 184233, Versions: 201877},
		{Name: "1042-387-media", Bytes: 2*gib + 742*(gib>>10), Objects: 51904, Versions: 51904},
		{Name: "1042-387-website-static-assets-eu-central", Bytes: 251 * (gib >> 10), Objects: 7310, Versions: 7402},
		{Name: "1042-387-logs", Bytes: 96 * (gib >> 10), Objects: 1288, Versions: 1288},
	}
}

func usedBytes() int64 {
	var n int64
	for _, b := range buckets() {
		n += b.Bytes
	}
	return n
}

func usage() view.Usage {
	return view.Usage{UsedBytes: usedBytes(), LimitBytes: 10 * gib, Unit: "GB", WarnPercent: 90,
		State: "warning", MeasuredAt: now.Add(-17 * time.Minute), Source: "scanner"}
}

// traffic is a month with 11.7 GiB downloaded against a 10 GiB allowance,
// after 30 days and 12 months of downloads and uploads, none of them zero.
func traffic() *view.Traffic {
	t := &view.Traffic{Month: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), AllowanceBytes: 10 * gib,
		Buckets: []view.TrafficBucket{{Name: "1042-387-backups", Egress: 9 * gib, Ingress: 2 * gib, Requests: 48211},
			{Name: "1042-387-website-static-assets-eu-central", Egress: 2*gib + 700*(gib>>10), Ingress: 40 * (gib >> 10), Requests: 310877},
			{Name: "", Egress: 2 * (gib >> 10), Requests: 912}}}
	for _, b := range t.Buckets {
		t.EgressBytes += b.Egress
		t.IngressBytes += b.Ingress
		t.Requests += b.Requests
	}
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -29)
	for i := range 30 {
		f := 1 + 0.6*math.Sin(float64(i)*2*math.Pi/7)
		t.Daily = append(t.Daily, view.TrafficPoint{At: start.AddDate(0, 0, i),
			Egress: int64(f * 0.35 * float64(gib)), Ingress: int64((1.7 - f) * 0.08 * float64(gib))})
	}
	for i := range 12 {
		m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, i-11, 0)
		t.Monthly = append(t.Monthly, view.TrafficPoint{At: m, Egress: int64((4 + float64(i)*0.7) * float64(gib)), Ingress: int64((1 + float64(i%4)*0.3) * float64(gib))})
	}
	t.Monthly[11] = view.TrafficPoint{At: t.Monthly[11].At, Egress: t.EgressBytes, Ingress: t.IngressBytes}
	return t
}

func clientPage(lang, page string) view.ClientPage {
	daily, monthly := history()
	return view.ClientPage{
		Lang:            lang,
		Page:            page,
		InstructionURL:  "https://docs.example.net/s3-setup",
		Endpoint:        "s3.example.net",
		Secure:          true,
		AccessKey:       accessKey,
		Secret:          secretKey,
		PasswordDisplay: "button",
		Usage:           usage(),
		Buckets:         buckets(),
		Daily:           daily,
		Monthly:         monthly,
		RecalculateURL:  "clientarea.php?action=productdetails&id=387&modop=custom&a=Recalculate",
		RecalculateCSRF: "5f2b9c0e7a1d4386b2c1e9f0a7d3b6c4",
		StatsURL:        "/client-" + lang + "?puqs3page=stats",
		OverviewURL:     "/client-" + lang,
		Traffic:         traffic(),
	}
}

func adminPage() view.AdminPage {
	daily, _ := history()
	return view.AdminPage{
		Lang:        "english",
		Connection:  view.Connection{OK: true, Version: "RELEASE.2025-09-07T16-13-09Z", Mode: "online", DrivesOnline: 4},
		Username:    accessKey,
		Exists:      true,
		Enabled:     true,
		Groups:      []string{"puqs3-standard"},
		PolicyState: "standard",
		Usage:       usage(),
		Buckets:     buckets(),
		Daily:       daily,
		Traffic:     traffic(),
	}
}

// whmcsCSS mimics the parts of WHMCS's Twenty-One client theme and Blend
// admin theme that decide how much room the module's HTML gets: containers,
// the sidebar grid, cards, tabs and the admin's label/field table. On a phone
// the admin table's cells stack, as a responsive admin theme's do: in WHMCS's
// four-column form table the other cells alone are wider than a phone.
const whmcsCSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:"DejaVu Sans",system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:.875rem;line-height:1.5;color:#212529;background:#f6f8fa}
a{color:#0d6efd;text-decoration:none}
.container{width:100%;padding:0 15px;margin:0 auto}
@media(min-width:576px){.container{max-width:540px}}
@media(min-width:768px){.container{max-width:720px}}
@media(min-width:992px){.container{max-width:960px}}
@media(min-width:1200px){.container{max-width:1140px}}
.header{background:#fff;border-bottom:1px solid #dee2e6}
.header .container{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;min-height:64px;gap:.5rem}
.brand{font-size:1.25rem;font-weight:700;color:#1b2a4a}
.topnav{display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0;list-style:none}
.topnav a{color:#495057}
.breadcrumb-bar{background:#eef2f6;padding:.5rem 0;color:#6c757d;font-size:.8rem}
.breadcrumb{display:flex;flex-wrap:wrap;margin:0;padding:0;list-style:none}
.breadcrumb li+li::before{content:"/";padding:0 .5rem;color:#adb5bd}
#main-body{padding:1.5rem 0 2rem}
.row{display:flex;flex-wrap:wrap;margin:0 -15px}
.row>*{position:relative;width:100%;padding:0 15px;min-width:0}
.sidebar{order:2}
.primary-content{order:1}
@media(min-width:992px){.sidebar{flex:0 0 33.333%;max-width:33.333%;order:1}.primary-content{flex:0 0 66.667%;max-width:66.667%;order:2}}
@media(min-width:1200px){.sidebar{flex:0 0 25%;max-width:25%}.primary-content{flex:0 0 75%;max-width:75%}}
.card{background:#fff;border:1px solid rgba(0,0,0,.125);border-radius:.25rem;margin-bottom:1rem;min-width:0}
.card-header{padding:.6rem 1rem;font-weight:600;border-bottom:1px solid rgba(0,0,0,.125);background:#fbfbfc}
.card-body{padding:1.25rem}
.list-group{margin:0;padding:0;list-style:none}
.list-group li{padding:.55rem 1rem;border-bottom:1px solid rgba(0,0,0,.08)}
.list-group li.active{background:#e7f1ff;font-weight:600}
.product-head{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.product-head h2{font-size:1.3rem;margin:0}
.label-active{background:#28a745;color:#fff;border-radius:.25rem;padding:.15rem .5rem;font-size:.75rem}
.nav-tabs{display:flex;flex-wrap:wrap;margin:0;padding:0;list-style:none;border-bottom:1px solid #dee2e6}
.nav-tabs a{display:block;padding:.5rem 1rem;border:1px solid transparent;border-radius:.25rem .25rem 0 0;margin-bottom:-1px;color:#495057}
.nav-tabs a.active{background:#fff;border-color:#dee2e6 #dee2e6 #fff}
.tab-content{background:#fff;border:1px solid #dee2e6;border-top:0;padding:1.25rem;margin-bottom:1rem}
@media(max-width:575.98px){.card-body,.tab-content{padding:.75rem}}
.alert{padding:.75rem 1rem;margin-bottom:1rem;border:1px solid transparent;border-radius:.25rem}
.alert-success{color:#0f5132;background:#d1e7dd;border-color:#badbcc}
.alert-error{color:#842029;background:#f8d7da;border-color:#f5c2c7}
.footer{padding:1.5rem 0;color:#6c757d;font-size:.8rem;border-top:1px solid #dee2e6;background:#fff}
.admin-header{background:#1a4d80;color:#fff}
.admin-header .container{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;min-height:50px}
.admin-header a{color:#fff}
.admin-content{padding:1rem 0 2rem}
.admin-content h1{font-size:1.5rem;font-weight:400;margin:0 0 1rem}
table.form{width:100%;border-collapse:separate;border-spacing:2px;background:#fff;border:1px solid #e5e5e5}
table.form td{padding:5px 8px;vertical-align:top}
table.form td.fieldlabel{background:#efefef;text-align:end;font-weight:400}
table.form td.fieldarea{background:#f8f8f8}
@media(max-width:767.98px){table.form,table.form tbody,table.form tr,table.form td{display:block;width:auto}table.form td.fieldlabel{text-align:start;font-weight:600}}
`

// The WHMCS-like pages around the module's HTML.
func clientShell(lang, dir, module string) string {
	return `<!doctype html>
<html lang="` + lang + `" dir="` + dir + `"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Product Details - Example Hosting</title><link rel="stylesheet" href="/whmcs.css"></head>
<body>
<header class="header"><div class="container"><a class="brand" href="#">Example Hosting</a>
<ul class="topnav"><li><a href="#">Store</a></li><li><a href="#">Support</a></li><li><a href="#">Account</a></li></ul></div></header>
<nav class="breadcrumb-bar"><div class="container"><ol class="breadcrumb"><li>Portal Home</li><li>Client Area</li><li>My Products &amp; Services</li><li>Product Details</li></ol></div></nav>
<section id="main-body"><div class="container"><div class="row">
<div class="sidebar"><div class="card"><div class="card-header">Overview</div><ul class="list-group">
<li class="active">Information</li><li>Upgrade/Downgrade</li><li>Cancel</li></ul></div>
<div class="card"><div class="card-header">Actions</div><ul class="list-group"><li>Recalculate usage</li><li>Change Password</li></ul></div></div>
<div class="primary-content">
<div class="card"><div class="card-body product-head"><h2>S3 Storage 10 GB</h2><span class="label-active">Active</span></div></div>
<ul class="nav-tabs"><li><a class="active" href="#">Overview</a></li><li><a href="#">Information</a></li><li><a href="#">Addons</a></li></ul>
<div class="tab-content">` + module + `</div>
</div></div></div></section>
<footer class="footer"><div class="container">Copyright &copy; 2026 Example Hosting. All Rights Reserved.</div></footer>
</body></html>`
}

func adminShell(module string) string {
	return `<!doctype html>
<html lang="en" dir="ltr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clients Profile - WHMCS Admin</title><link rel="stylesheet" href="/whmcs.css"></head>
<body>
<div class="admin-header"><div class="container"><strong>WHMCS</strong><a href="#">Clients</a><a href="#">Orders</a><a href="#">Billing</a><a href="#">Support</a></div></div>
<div class="admin-content"><div class="container">
<h1>Clients Profile</h1>
<ul class="nav-tabs"><li><a href="#">Summary</a></li><li><a href="#">Profile</a></li><li><a class="active" href="#">Products/Services</a></li><li><a href="#">Invoices</a></li></ul>
<div class="tab-content">
<table class="form" width="100%">
<tr><td class="fieldlabel" width="20%">Order #</td><td class="fieldarea" width="30%">4711 - View Order</td><td class="fieldlabel" width="20%">Registration Date</td><td class="fieldarea" width="30%">14/03/2025</td></tr>
<tr><td class="fieldlabel">Product/Service</td><td class="fieldarea">S3 Storage 10 GB</td><td class="fieldlabel">Status</td><td class="fieldarea">Active</td></tr>
<tr><td class="fieldlabel">Username</td><td class="fieldarea">` + accessKey + `</td><td class="fieldlabel">Next Due Date</td><td class="fieldarea">14/04/2026</td></tr>
<tr><td class="fieldlabel">MinIO S3</td><td class="fieldarea" colspan="3">` + module + `</td></tr>
</table>
</div></div></div>
</body></html>`
}

// chartWant is a chart a page must draw: its bars, each with a column per
// series (disk usage; traffic downloaded and uploaded).
type chartWant struct {
	id     string
	bars   int
	series int
}

// statsCharts are the statistics page's: disk usage per day and month, then
// traffic per day and month.
var statsCharts = []chartWant{{"puqs3-daily", 30, 1}, {"puqs3-monthly", 12, 1}, {"puqs3-traffic-daily", 30, 2}, {"puqs3-traffic-monthly", 12, 2}}

type pageCase struct {
	name   string // also the screenshot's name
	path   string
	client bool // the overview with the keys and their buttons
	charts []chartWant
}

type viewport struct {
	name   string
	w, h   int
	mobile bool
}

var viewports = []viewport{
	{"desktop", 1280, 900, false},
	{"phone", 390, 844, true},
}

// screenshots are the ones kept in docs/screenshots; every page is
// photographed at every width, the rest only into a temporary directory.
var screenshots = map[string]bool{
	"client-desktop.png": true, "client-phone.png": true,
	"stats-desktop.png": true, "stats-phone.png": true,
	"admin-desktop.png":    true,
	"client-rtl-phone.png": true,
}

// recorder collects what the browser reports on its own: every request a
// page makes, script errors and console errors.
type recorder struct {
	mu       sync.Mutex
	requests []string
	problems []string
}

func (r *recorder) event(m message) {
	switch m.Method {
	case "Network.requestWillBeSent":
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			r.mu.Lock()
			r.requests = append(r.requests, p.Request.URL)
			r.mu.Unlock()
		}
	case "Runtime.exceptionThrown":
		r.problem("script exception: " + string(m.Params))
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(m.Params, &p) == nil && (p.Type == "error" || p.Type == "warning" || p.Type == "assert") {
			r.problem("console " + p.Type + ": " + string(m.Params))
		}
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level string `json:"level"`
				Text  string `json:"text"`
				URL   string `json:"url"`
			} `json:"entry"`
		}
		if json.Unmarshal(m.Params, &p) == nil && p.Entry.Level == "error" {
			r.problem("browser log: " + p.Entry.Text + " " + p.Entry.URL)
		}
	}
}

func (r *recorder) problem(s string) {
	r.mu.Lock()
	r.problems = append(r.problems, s)
	r.mu.Unlock()
}

func (r *recorder) take() (requests, problems []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	requests, problems = r.requests, r.problems
	r.requests, r.problems = nil, nil
	return requests, problems
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("$CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("no Chromium: install Debian's chromium (make deps) or set $CHROMIUM")
	return ""
}

func TestPages(t *testing.T) {
	chromium := chromiumPath(t)
	r, err := view.New(view.Options{})
	if err != nil {
		t.Fatal(err)
	}
	render := func(f func(*bytes.Buffer) error) string {
		t.Helper()
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	docs := map[string]string{}
	for _, lang := range []struct{ name, code, dir string }{{"english", "en", "ltr"}, {"arabic", "ar", "rtl"}} {
		docs["/client-"+lang.name] = clientShell(lang.code, lang.dir, render(func(b *bytes.Buffer) error {
			return r.Client(b, clientPage(lang.name, view.PageOverview))
		}))
		docs["/client-"+lang.name+"?puqs3page=stats"] = clientShell(lang.code, lang.dir, render(func(b *bytes.Buffer) error {
			return r.Client(b, clientPage(lang.name, view.PageStats))
		}))
	}
	docs["/admin"] = adminShell(render(func(b *bytes.Buffer) error { return r.Admin(b, adminPage()) }))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/whmcs.css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			fmt.Fprint(w, whmcsCSS)
			return
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
			return
		}
		doc, ok := docs[req.URL.RequestURI()]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// What a strict WHMCS install could send: nothing from elsewhere.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:")
		fmt.Fprint(w, doc)
	}))
	defer srv.Close()

	rec := &recorder{}
	b, logs, err := launch(chromium, t.TempDir(), rec.event)
	if err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	defer b.close()
	ctx := context.Background()
	var ver struct {
		Product string `json:"product"`
	}
	if err := b.call(ctx, "", "Browser.getVersion", nil, &ver); err != nil {
		t.Fatalf("%v\nchromium output:\n%s", err, logs.String())
	}
	t.Logf("browser: %s", ver.Product)
	if err := b.call(ctx, "", "Browser.grantPermissions", map[string]any{
		"origin":      srv.URL,
		"permissions": []string{"clipboardReadWrite", "clipboardSanitizedWrite"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	pg, err := b.newPage(ctx)
	if err != nil {
		t.Fatalf("%v\nchromium output:\n%s", err, logs.String())
	}

	shotDir := t.TempDir()
	keep := os.Getenv("PUQMINIO_SCREENSHOTS") == "1"
	cases := []pageCase{
		{name: "client", path: "/client-english", client: true},
		{name: "stats", path: "/client-english?puqs3page=stats", charts: statsCharts},
		{name: "admin", path: "/admin", charts: []chartWant{{"puqs3-admin-daily", 30, 1}}},
		{name: "client-rtl", path: "/client-arabic", client: true},
		{name: "stats-rtl", path: "/client-arabic?puqs3page=stats", charts: statsCharts},
	}
	for _, c := range cases {
		for _, vp := range viewports {
			t.Run(c.name+"/"+vp.name, func(t *testing.T) {
				if err := pg.viewport(ctx, vp.w, vp.h, vp.mobile); err != nil {
					t.Fatal(err)
				}
				if err := pg.navigate(ctx, srv.URL+c.path); err != nil {
					t.Fatal(err)
				}
				checkLayout(ctx, t, pg, vp.w)
				checkCharts(ctx, t, pg, c.charts)
				shot, err := pg.screenshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				name := c.name + "-" + vp.name + ".png"
				if err := os.WriteFile(filepath.Join(shotDir, name), shot, 0o644); err != nil {
					t.Fatal(err)
				}
				if keep && screenshots[name] {
					if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), shot, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("docs/screenshots/%s: %d bytes", name, len(shot))
				}
				if c.client {
					checkShow(ctx, t, pg, vp.w)
					checkCopy(ctx, t, pg, "puqs3-access", accessKey)
					checkCopy(ctx, t, pg, "puqs3-secret", secretKey)
				}
				requests, problems := rec.take()
				for _, p := range problems {
					t.Errorf("%s", p)
				}
				local := 0
				for _, u := range requests {
					switch {
					case strings.HasPrefix(u, srv.URL+"/"):
						local++
					case strings.HasPrefix(u, "data:"), strings.HasPrefix(u, "about:"):
					default:
						t.Errorf("request leaves the machine: %s", u)
					}
				}
				if local < 2 { // the page and its stylesheet
					t.Errorf("recorded %d local requests %q, want the page and its stylesheet at least: is the network log working?", local, requests)
				}
			})
		}
	}
	if keep && !t.Failed() {
		t.Log("screenshots written to docs/screenshots")
	}
}

// checkLayout fails for horizontal overflow: the document must not scroll
// sideways, and every visible element of the module must lie inside both the
// screen and the module's own box. The bucket table sits in a scroll box
// (.puqs3-scroll) that may scroll; the box itself must fit. Text only for
// screen readers (.puqs3-sr) is skipped, but must really be 1x1 px, or it
// still lengthens or widens the page with empty space.
func checkLayout(ctx context.Context, t *testing.T, pg *page, width int) {
	t.Helper()
	var res struct {
		InnerWidth  float64
		ScrollWidth float64
		Roots       int
		Bad         []string
		Hidden      []string
		Scrolls     []string
	}
	err := pg.eval(ctx, fmt.Sprintf(`(() => {
		const W = %d, de = document.documentElement, roots = document.querySelectorAll(".puqs3-root");
		const res = {InnerWidth: innerWidth, ScrollWidth: Math.max(de.scrollWidth, document.body.scrollWidth), Roots: roots.length, Bad: [], Hidden: [], Scrolls: []};
		const name = el => {
			let s = el.tagName.toLowerCase();
			if (el.id) s += "#" + el.id;
			const cls = el.getAttribute("class");
			if (cls) s += "." + cls.trim().split(/\s+/).join(".");
			const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
			return text ? s + " \"" + text + "\"" : s;
		};
		for (const root of roots) {
			const box = root.getBoundingClientRect();
			if (box.left < -0.5 || box.right > W + 0.5) res.Bad.push(name(root) + " spans " + box.left.toFixed(1) + ".." + box.right.toFixed(1));
			for (const el of root.querySelectorAll("*")) {
				if (el.closest(".puqs3-sr")) continue;
				const scroll = el.parentElement.closest(".puqs3-scroll");
				if (scroll && root.contains(scroll)) continue;
				const r = el.getBoundingClientRect();
				if (r.width === 0 && r.height === 0) continue;
				if (r.left < Math.max(0, box.left) - 0.5 || r.right > Math.min(W, box.right) + 0.5) {
					res.Bad.push(name(el) + " spans " + r.left.toFixed(1) + ".." + r.right.toFixed(1) + ", the module " + box.left.toFixed(1) + ".." + box.right.toFixed(1));
				}
			}
			for (const el of root.querySelectorAll(".puqs3-sr")) {
				const r = el.getBoundingClientRect();
				if (r.width > 1.5 || r.height > 1.5) res.Hidden.push(name(el) + " is " + r.width.toFixed(0) + "x" + r.height.toFixed(0) + " px");
			}
			for (const s of root.querySelectorAll(".puqs3-scroll")) {
				if (s.scrollWidth > s.clientWidth) res.Scrolls.push(name(s.firstElementChild) + " scrolls: " + s.scrollWidth + " in " + s.clientWidth);
			}
		}
		return res;
	})()`, width), &res)
	if err != nil {
		t.Fatal(err)
	}
	if res.Roots != 1 {
		t.Fatalf("%d .puqs3-root elements, want 1", res.Roots)
	}
	if int(res.InnerWidth) != width {
		t.Errorf("window.innerWidth %v, want %d: the page made the viewport zoom out", res.InnerWidth, width)
	}
	if res.ScrollWidth > float64(width) {
		t.Errorf("the document is %v px wide on a %d px screen", res.ScrollWidth, width)
	}
	for i, b := range res.Bad {
		if i == 15 {
			t.Errorf("... and %d more", len(res.Bad)-i)
			break
		}
		t.Errorf("overflow: %s", b)
	}
	for _, h := range res.Hidden {
		t.Errorf("visually hidden %s: it still takes room and stretches the page (a table ignores width and height; a div.puqs3-sr around it does not)", h)
	}
	for _, s := range res.Scrolls {
		t.Logf("inside its scroll box: %s", s)
	}
}

// checkCharts checks the SVG charts: the ones expected, each drawn at a
// readable size with all its bars visible and no label over another (the
// hidden hover readouts aside), and the usage meter.
func checkCharts(ctx context.Context, t *testing.T, pg *page, want []chartWant) {
	t.Helper()
	var res struct {
		Charts []struct {
			ID                string
			W, H              float64
			Bars, Cols, Drawn int
			Fills             []string // each series' fill, from the first bar
			Legend            []string // the legend's names and their swatches' fills
			Overlaps          []string
			MinText           float64 // the smallest label's size on screen, px
		}
		Meter float64
	}
	err := pg.eval(ctx, `(() => ({
		Charts: [...document.querySelectorAll(".puqs3-root svg.puqs3-chart")].map(s => {
			const r = s.getBoundingClientRect(), bars = [...s.querySelectorAll("g.puqs3-bar")], cols = [...s.querySelectorAll(".puqs3-bar rect.puqs3-col")];
			const legend = s.closest("figure").querySelector(".puqs3-legend");
			return {ID: s.id, W: r.width, H: r.height, Bars: bars.length, Cols: cols.length,
				Drawn: cols.filter(c => { const b = c.getBoundingClientRect(); return b.width > 0.5 && b.height > 0.5; }).length,
				Fills: bars.length ? [...bars[0].querySelectorAll("rect.puqs3-col")].map(c => getComputedStyle(c).fill) : [],
				Legend: legend ? [...legend.querySelectorAll("li")].map(li => li.textContent.trim() + "=" + getComputedStyle(li.querySelector("rect")).fill) : [],
				Overlaps: (() => {
					const texts = [...s.querySelectorAll("text")].filter(x => !x.closest(".puqs3-tip")).map(x => [x.textContent.trim(), x.getBoundingClientRect()]);
					const out = [];
					for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
						const [a, ra] = texts[i], [b, rb] = texts[j];
						// A text box runs from the font's ascent to its descent, so
						// boxes of neighbouring lines may touch without the letters
						// meeting; a quarter of a line's height is a real collision.
						const dx = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
						const dy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
						if (dx > 1 && dy > 0.25 * Math.min(ra.height, rb.height)) out.push(JSON.stringify(a) + " and " + JSON.stringify(b) + " by " + dx.toFixed(1) + "x" + dy.toFixed(1) + " px");
					}
					return out;
				})(),
				MinText: Math.min(...[...s.querySelectorAll("text")].filter(x => !x.closest(".puqs3-tip")).map(x => parseFloat(getComputedStyle(x).fontSize) * r.width / s.viewBox.baseVal.width))};
		}),
		Meter: (() => { const m = document.querySelector(".puqs3-root .puqs3-meter-fill"); return m ? m.getBoundingClientRect().width : -1; })(),
	}))()`, &res)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) != len(want) {
		t.Errorf("%d charts, want %d", len(res.Charts), len(want))
	}
	for i, w := range want {
		if i >= len(res.Charts) {
			break
		}
		c := res.Charts[i]
		if c.ID != w.id || c.Bars != w.bars || c.Cols != w.bars*w.series || c.Drawn != c.Cols {
			t.Errorf("chart %d: %s with %d bars, %d columns (%d drawn), want %s with %d bars of %d", i, c.ID, c.Bars, c.Cols, c.Drawn, w.id, w.bars, w.series)
		}
		if c.W < 250 || c.H < 90 {
			t.Errorf("chart %s is %.0fx%.0f px, too small to read", c.ID, c.W, c.H)
		}
		seen := map[string]bool{}
		for _, f := range c.Fills {
			if f == "" || f == "none" || strings.Contains(f, "rgba(0, 0, 0, 0)") || seen[f] {
				t.Errorf("chart %s: series filled with %q", c.ID, c.Fills)
			}
			seen[f] = true
		}
		if len(c.Fills) != w.series {
			t.Errorf("chart %s: %d series in a bar, want %d", c.ID, len(c.Fills), w.series)
		}
		// A chart of two series names them, each beside its own colour.
		if w.series > 1 {
			if len(c.Legend) != w.series {
				t.Errorf("chart %s: legend %q", c.ID, c.Legend)
			}
			for k, l := range c.Legend {
				if k < len(c.Fills) && !strings.HasSuffix(l, "="+c.Fills[k]) {
					t.Errorf("chart %s: legend %q does not match the columns' %q", c.ID, l, c.Fills[k])
				}
			}
		} else if len(c.Legend) != 0 {
			t.Errorf("chart %s: a legend for one series", c.ID)
		}
		for _, o := range c.Overlaps {
			t.Errorf("chart %s: labels %s overlap", c.ID, o)
		}
		t.Logf("chart %s: %.0fx%.0f px, smallest label %.1f px", c.ID, c.W, c.H, c.MinText)
	}
	if res.Meter <= 0 {
		t.Errorf("usage meter: filled width %v, want > 0", res.Meter)
	}
}

// checkShow: the secret key is not readable until "Show" is pressed, is
// then, fitting the screen, and is hidden again by "Hide".
func checkShow(ctx context.Context, t *testing.T, pg *page, width int) {
	t.Helper()
	type state struct {
		Visible  bool
		InText   bool
		Expanded string
		Label    string
	}
	read := func() state {
		var s state
		err := pg.eval(ctx, `(() => {
			const el = document.getElementById("puqs3-secret"), btn = document.querySelector("[data-puqs3-toggle=puqs3-secret]");
			const r = el.getBoundingClientRect();
			return {Visible: r.width > 0 && r.height > 0 && getComputedStyle(el).visibility === "visible",
				InText: document.body.innerText.includes(`+jsString(secretKey)+`),
				Expanded: btn.getAttribute("aria-expanded"), Label: btn.textContent.trim()};
		})()`, &s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := read(); s.Visible || s.InText || s.Expanded != "false" {
		t.Fatalf("before Show: %+v, want the secret hidden", s)
	}
	if err := pg.click(ctx, "[data-puqs3-toggle=puqs3-secret]"); err != nil {
		t.Fatal(err)
	}
	s := read()
	if !s.Visible || !s.InText || s.Expanded != "true" {
		t.Fatalf("after Show: %+v, want the secret shown", s)
	}
	if checkLayout(ctx, t, pg, width); t.Failed() {
		t.FailNow() // clicks land elsewhere on a page wider than the screen
	}
	hideLabel := s.Label
	if err := pg.click(ctx, "[data-puqs3-toggle=puqs3-secret]"); err != nil {
		t.Fatal(err)
	}
	if s := read(); s.Visible || s.InText || s.Expanded != "false" {
		t.Fatalf("after %s: %+v, want the secret hidden again", hideLabel, s)
	}
	if err := pg.click(ctx, "[data-puqs3-toggle=puqs3-secret]"); err != nil {
		t.Fatal(err)
	}
	if s := read(); !s.Visible {
		t.Fatalf("after Show again: %+v", s)
	}
}

// checkCopy presses the copy button of the value with id and reads the real
// clipboard back.
func checkCopy(ctx context.Context, t *testing.T, pg *page, id, want string) {
	t.Helper()
	if err := pg.eval(ctx, `navigator.clipboard.writeText("puqs3-sentinel")`, nil); err != nil {
		t.Fatalf("preparing the clipboard: %v", err)
	}
	btn := "[data-puqs3-copy=" + id + "]"
	if err := pg.click(ctx, btn); err != nil {
		t.Fatal(err)
	}
	sel := jsString(btn)
	if err := pg.waitFor(ctx, `(() => { const b = document.querySelector(`+sel+`);
		return b.querySelector(".puqs3-btn-label").textContent === b.getAttribute("data-puqs3-done"); })()`, 5*time.Second); err != nil {
		var label string
		_ = pg.eval(ctx, `document.querySelector(`+sel+`).textContent.trim()`, &label)
		t.Fatalf("copy %s: the button says %q: %v", id, label, err)
	}
	var got string
	if err := pg.eval(ctx, `navigator.clipboard.readText()`, &got); err != nil {
		t.Fatalf("reading the clipboard: %v", err)
	}
	if got != want {
		t.Errorf("copy %s: clipboard holds %q, want %q", id, got, want)
	}
	var live string
	if err := pg.eval(ctx, `document.querySelector(".puqs3-root .puqs3-live").textContent`, &live); err != nil {
		t.Fatal(err)
	}
	if live == "" {
		t.Errorf("copy %s: nothing announced to screen readers", id)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
