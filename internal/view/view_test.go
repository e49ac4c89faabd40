package view

import (
	"bytes"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

const gib = int64(1) << 30

var measured = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// series returns n daily points ending on measured, growing by step bytes.
func series(n int, step int64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{At: measured.AddDate(0, 0, i-n+1), Bytes: int64(i+1) * step}
	}
	return pts
}

func months(n int, step int64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{At: time.Date(2026, time.Month(12-n+i+1), 1, 0, 0, 0, 0, time.UTC), Bytes: int64(i+1) * step}
	}
	return pts
}

func sampleClient() ClientPage {
	return ClientPage{
		Lang:            "english",
		Page:            PageOverview,
		InstructionURL:  "https://docs.example.net/s3-setup",
		Endpoint:        "s3.example.net:9000",
		Secure:          true,
		AccessKey:       "12-34",
		Secret:          "S3cr3t-Value-XYZ",
		PasswordDisplay: "button",
		Usage: Usage{UsedBytes: 9*gib + gib/2, LimitBytes: 10 * gib, Unit: "GB", WarnPercent: 90,
			State: "warning", MeasuredAt: measured, Source: "scanner"},
		Buckets: []Bucket{
			{Name: "12-34-data", Bytes: 9 * gib, Objects: 123456, Versions: 130001},
			{Name: "12-34-logs", Bytes: gib / 2, Objects: 42, Versions: 42},
		},
		Daily:          series(30, gib/3),
		Monthly:        months(12, gib/2),
		RecalculateURL: "clientarea.php?action=productdetails&id=34&modop=custom&a=Recalculate",
	}
}

func sampleAdmin() AdminPage {
	return AdminPage{
		Lang:       "english",
		Connection: Connection{OK: true, Version: "RELEASE.2025-02-28T09-55-16Z", Mode: "online", DrivesOnline: 4},
		Username:   "12-34", Exists: true, Enabled: true, Groups: []string{"customers"},
		PolicyState: "standard",
		Usage:       sampleClient().Usage,
		Buckets:     sampleClient().Buckets,
		Daily:       series(30, gib/3),
	}
}

func renderClient(t testing.TB, r *Renderer, p ClientPage) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Client(&b, p); err != nil {
		t.Fatalf("client %s/%s: %v", p.Lang, p.Page, err)
	}
	return b.String()
}

func renderAdmin(t testing.TB, r *Renderer, p AdminPage) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Admin(&b, p); err != nil {
		t.Fatalf("admin %s: %v", p.Lang, err)
	}
	return b.String()
}

func TestClientOverviewStructure(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.StatsURL = "clientarea.php?action=productdetails&id=34&puqs3=stats"
	html := renderClient(t, r, p)
	for _, want := range []string{
		`<div class="puqs3-root puqs3-client" dir="ltr" lang="en">`,
		`href="https://docs.example.net/s3-setup"`,
		`https://s3.example.net:9000`,
		`>12-34</code>`,
		`id="puqs3-secret" dir="ltr" hidden>S3cr3t-Value-XYZ<`,
		`data-puqs3-toggle="puqs3-secret"`,
		"9.50\u00a0GB", "0.50\u00a0GB", "10.00\u00a0GB", `95% used`,
		`Almost full`, `More than 90% of your space is used`,
		`27 Nov 2026 02:00 UTC`,
		`href="clientarea.php?action=productdetails&amp;id=34&amp;modop=custom&amp;a=Recalculate"`,
		`>12-34-data<`, `123,456`, `130,001`,
		`<script>`, `<style>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(html, "<svg class=\"puqs3-chart\"") {
		t.Error("overview with a stats page should not draw the charts")
	}
	for _, bad := range []string{"http://", "<link", "@import", "src=", "url("} {
		if strings.Contains(strings.ReplaceAll(html, "http://www.w3.org", ""), bad) {
			t.Errorf("page refers to something outside: %q", bad)
		}
	}
	if n := strings.Count(html, `class="puqs3-root`); n != 1 {
		t.Errorf("%d root wrappers", n)
	}
}

// Every class the templates use carries the module's prefix, so nothing
// collides with the WHMCS theme.
func TestClassPrefix(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	pages := []string{renderClient(t, r, p), renderAdmin(t, r, sampleAdmin())}
	p.Page, p.StatsURL = PageStats, "stats"
	pages = append(pages, renderClient(t, r, p))
	re := regexp.MustCompile(`class="([^"]*)"`)
	for _, html := range pages {
		for _, m := range re.FindAllStringSubmatch(html, -1) {
			for _, c := range strings.Fields(m[1]) {
				if !strings.HasPrefix(c, "puqs3-") {
					t.Errorf("class %q lacks the puqs3- prefix", c)
				}
			}
		}
	}
	css := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(pages[0])[1]
	for _, rule := range regexp.MustCompile(`(?m)^([^@{}][^{]*)\{`).FindAllStringSubmatch(css, -1) {
		for _, sel := range strings.Split(rule[1], ",") {
			if !strings.HasPrefix(strings.TrimSpace(sel), ".puqs3-root") {
				t.Errorf("CSS selector %q is not scoped to .puqs3-root", sel)
			}
		}
	}
	if strings.Contains(css, "!important") {
		t.Error("CSS uses !important")
	}
}

func TestStatsPage(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Page, p.StatsURL, p.OverviewURL = PageStats, "clientarea.php?id=34&puqs3=stats", "clientarea.php?id=34"
	html := renderClient(t, r, p)
	if strings.Contains(html, p.Secret) || strings.Contains(html, "puqs3-access") {
		t.Error("the statistics page shows credentials")
	}
	if strings.Count(html, `<svg class="puqs3-chart"`) != 2 {
		t.Error("the statistics page should draw two charts")
	}
	if !strings.Contains(html, `aria-current="page">Usage statistics`) {
		t.Error("the statistics tab is not marked current")
	}
	if strings.Contains(html, "<script") {
		t.Error("the statistics page needs no script")
	}
}

func TestPasswordDisplay(t *testing.T) {
	r := newRenderer(t)
	for _, mode := range []string{"show", "button", "hide", "bogus"} {
		p := sampleClient()
		p.PasswordDisplay = mode
		html := renderClient(t, r, p)
		has := strings.Contains(html, p.Secret)
		hidden := strings.Contains(html, `dir="ltr" hidden>`+p.Secret)
		switch mode {
		case "show":
			if !has || hidden {
				t.Errorf("show: secret present=%v hidden=%v", has, hidden)
			}
		case "button", "bogus":
			if !hidden || !strings.Contains(html, "data-puqs3-toggle") {
				t.Errorf("%s: the secret should be behind the show button", mode)
			}
		case "hide":
			if has || strings.Contains(html, "puqs3-secret") {
				t.Error("hide: the secret reaches the page")
			}
			if !strings.Contains(html, "The secret key is not shown here") {
				t.Error("hide: no explanation")
			}
		}
	}
}

func TestUsageStates(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Usage.State, p.Usage.UsedBytes = "limited", 11*gib
	html := renderClient(t, r, p)
	for _, want := range []string{"Full", "0.00\u00a0GB", "100% used", "new uploads are refused", `width="100"`} {
		if !strings.Contains(html, want) {
			t.Errorf("limited page lacks %q", want)
		}
	}
	p.Usage.Forced = "limited"
	if html := renderClient(t, r, p); !strings.Contains(html, "An administrator has set this account to read and delete only") {
		t.Error("forced limit not explained")
	}
	p.Usage = Usage{UsedBytes: 5 * gib, Unit: "GB"}
	html = renderClient(t, r, p)
	if !strings.Contains(html, "Unlimited") || strings.Contains(html, `role="progressbar"`) {
		t.Error("unlimited product: want the word Unlimited and no bar")
	}
	if !strings.Contains(html, "Not measured yet") {
		t.Error("zero MeasuredAt should read as never measured")
	}
}

// injection is markup that must come out as text wherever it goes in.
const injection = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

func TestEscaping(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.InstructionURL = "https://x.example/" + injection
	p.Endpoint = injection
	p.AccessKey = injection
	p.Secret = injection
	p.PasswordDisplay = "show"
	p.Buckets = append(p.Buckets, Bucket{Name: injection, Bytes: 1})
	p.RecalculateURL = injection
	p.RecalculateCSRF = injection
	a := sampleAdmin()
	a.Username = injection
	a.Groups = []string{injection}
	a.Connection.Error = injection
	a.Errors = []string{injection}
	a.Buckets = append(a.Buckets, Bucket{Name: injection})
	pages := map[string]string{"client": renderClient(t, r, p), "admin": renderAdmin(t, r, a)}
	a.Connection.OK = false
	pages["admin-down"] = renderAdmin(t, r, a)
	for name, html := range pages {
		for _, raw := range []string{"<script>alert", "<img src=x", `"><script`, "onerror=alert(2)>"} {
			if strings.Contains(html, raw) {
				t.Errorf("%s: %q appears unescaped", name, raw)
			}
		}
	}
	if !strings.Contains(pages["client"], "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("client: the injected text is not shown as text")
	}
	if !strings.Contains(pages["admin-down"], "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("admin: the connection error is not shown as text")
	}
}

func TestInstructionURL(t *testing.T) {
	r := newRenderer(t)
	for url, shown := range map[string]bool{
		"https://docs.example.net/a?b=c": true,
		"http://docs.example.net/":       true,
		"javascript:alert(1)":            false,
		"JaVaScRiPt:alert(1)":            false,
		" javascript:alert(1)":           false,
		"data:text/html,<b>x</b>":        false,
		"//evil.example/x":               false,
		"/relative/path":                 false,
		"https://":                       false,
		"https:\\\\evil.example":         false,
		"":                               false,
	} {
		p := sampleClient()
		p.InstructionURL = url
		html := renderClient(t, r, p)
		if got := strings.Contains(html, "puqs3-instructions"); got != shown {
			t.Errorf("instruction link %q shown=%v, want %v", url, got, shown)
		}
		if strings.Contains(strings.ToLower(html), "javascript:") {
			t.Errorf("%q: a javascript: URL reached the page", url)
		}
	}
}

// A page without inline style attributes works under a strict CSP (style
// and script elements can be allowed by hash).
func TestNoInlineStyleAttributes(t *testing.T) {
	r := newRenderer(t)
	html := renderClient(t, r, sampleClient())
	if strings.Contains(html, ` style="`) {
		t.Error("inline style attributes would break a strict CSP")
	}
}

func TestAdminPage(t *testing.T) {
	r := newRenderer(t)
	a := sampleAdmin()
	a.Forced = "limited"
	a.PolicyState = "limited"
	a.Connection.DrivesOffline = 1
	html := renderAdmin(t, r, a)
	for _, want := range []string{"Connected", "RELEASE.2025-02-28T09-55-16Z", "4 online, 1 offline", "Some drives are offline",
		">12-34<", "Enabled", ">customers<", "Limited (read and delete only)", "Forced by an administrator",
		"Use Update Policy", "95% used", "12-34-data", `<svg class="puqs3-chart"`, "27 Nov 2026 02:00 UTC"} {
		if !strings.Contains(html, want) {
			t.Errorf("admin tab lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") {
		t.Error("the admin tab needs no script")
	}
	a = sampleAdmin()
	a.Connection = Connection{Error: "dial tcp 10.0.0.5:9000: connection refused"}
	html = renderAdmin(t, r, a)
	for _, want := range []string{"Not connected", "connection refused", "System Settings → Servers"} {
		if !strings.Contains(html, want) {
			t.Errorf("admin tab (down) lacks %q", want)
		}
	}
	a = sampleAdmin()
	a.Exists = false
	if html := renderAdmin(t, r, a); !strings.Contains(html, "Use Create to provision it") {
		t.Error("missing user not explained")
	}
	a = sampleAdmin()
	a.Enabled = false
	if html := renderAdmin(t, r, a); !strings.Contains(html, "Unsuspend the service") {
		t.Error("disabled user not explained")
	}
}

func TestEveryLanguageRenders(t *testing.T) {
	r := newRenderer(t)
	rtl := map[string]bool{"arabic": true, "farsi": true, "hebrew": true}
	for _, lang := range Languages {
		for _, page := range []string{PageOverview, PageStats} {
			for _, state := range []string{"normal", "warning", "limited"} {
				p := sampleClient()
				p.Lang, p.Page, p.StatsURL, p.Usage.State = lang, page, "stats", state
				html := renderClient(t, r, p)
				dir := "ltr"
				if rtl[lang] {
					dir = "rtl"
				}
				if !strings.Contains(html, `class="puqs3-root puqs3-client" dir="`+dir+`" lang="`) {
					t.Errorf("%s: want dir=%s", lang, dir)
				}
			}
		}
		a := sampleAdmin()
		a.Lang = lang
		renderAdmin(t, r, a)
		a.Connection.OK, a.Exists = false, false
		renderAdmin(t, r, a)
	}
}

func TestLocaleNumbers(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Lang = "german"
	html := renderClient(t, r, p)
	for _, want := range []string{"9,50\u00a0GB", "123.456", "27.11.2026 02:00 UTC", `lang="de-DE"`} {
		if !strings.Contains(html, want) {
			t.Errorf("german page lacks %q", want)
		}
	}
}

func TestLanguageFor(t *testing.T) {
	for in, want := range map[string]string{
		"german": "german", " German ": "german", "ARABIC": "arabic", "": "english",
		"klingon": "english", "../english": "english", "english.json": "english", "german/../../x": "english",
	} {
		if got := LanguageFor(in); got != want {
			t.Errorf("LanguageFor(%q) = %q, want %q", in, got, want)
		}
	}
	r := newRenderer(t)
	p := sampleClient()
	p.Lang = "../../../etc/passwd"
	if html := renderClient(t, r, p); !strings.Contains(html, `lang="en"`) {
		t.Error("unknown language does not fall back to English")
	}
}

// mustLocale is the renderer's language name, read as a page would.
func mustLocale(t *testing.T, r *Renderer, name string) *locale {
	t.Helper()
	l, err := r.locale(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Every shipped language file reads: its meta block whole and no key
// English lacks. Languages are read when a page first asks for one, so
// this is where a broken file shows.
func TestEveryLanguageReads(t *testing.T) {
	r := newRenderer(t)
	for _, name := range Languages {
		l := mustLocale(t, r, name)
		if l.Name != name || l.Locale == "" {
			t.Errorf("%s: read as %q, locale %q", name, l.Name, l.Locale)
		}
	}
}

func TestOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("german.json", `{"strings": {"recalculate": "Jetzt neu zählen <b>!</b>"}}`)
	write("evil.json", `{"strings": {"recalculate": "never read"}}`)
	r, err := New(Options{OverridesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p := sampleClient()
	p.Lang = "german"
	html := renderClient(t, r, p)
	if !strings.Contains(html, "Jetzt neu zählen &lt;b&gt;!&lt;/b&gt;") {
		t.Error("override not applied (or not escaped)")
	}
	p.Lang = "english"
	if html := renderClient(t, r, p); !strings.Contains(html, ">Recalculate<") {
		t.Error("a german override changed english")
	}

	if _, err := New(Options{OverridesDir: filepath.Join(dir, "absent")}); err != nil {
		t.Errorf("a missing overrides directory should mean no overrides: %v", err)
	}
	for name, body := range map[string]string{
		"unknown key":      `{"strings": {"recalculat": "x"}}`,
		"placeholder lost": `{"strings": {"percentUsed": "belegt"}}`,
		"meta":             `{"meta": {"locale": "x"}, "strings": {}}`,
		"not json":         `{"strings": `,
	} {
		bad := t.TempDir()
		if err := os.WriteFile(filepath.Join(bad, "french.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{OverridesDir: bad}); err == nil {
			t.Errorf("%s: override accepted", name)
		}
	}

	// A link leading out of the directory is refused.
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.json"), []byte(`{"strings": {"title": "leaked"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	linked := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(linked, "italian.json")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, err := New(Options{OverridesDir: linked}); err == nil {
		t.Error("a symlink out of the overrides directory was followed")
	}
}

// svgChart is the part of a rendered chart the tests check.
type svgChart struct {
	ID         string   `xml:"id,attr"`
	TopBytes   int64    `xml:"data-top-bytes,attr"`
	PlotHeight float64  `xml:"data-plot-height,attr"`
	Bottom     float64  `xml:"data-bottom,attr"`
	Bars       []svgBar `xml:"g"`
}

type svgBar struct {
	Tab   string    `xml:"tabindex,attr"`
	Title string    `xml:"title"`
	Rects []svgRect `xml:"rect"`
	// Bytes is the first column's value (the disk chart has one).
	Bytes int64 `xml:"-"`
}

type svgRect struct {
	Class  string  `xml:"class,attr"`
	Bytes  int64   `xml:"data-bytes,attr"`
	Y      float64 `xml:"y,attr"`
	Height float64 `xml:"height,attr"`
}

// cols are the bar's columns, one per series.
func (b svgBar) cols() []svgRect {
	var out []svgRect
	for _, r := range b.Rects {
		if strings.Contains(" "+r.Class+" ", " puqs3-col ") {
			out = append(out, r)
		}
	}
	return out
}

func parseCharts(t *testing.T, html string) []svgChart {
	t.Helper()
	var out []svgChart
	for _, m := range regexp.MustCompile(`(?s)<svg class="puqs3-chart".*?</svg>`).FindAllString(html, -1) {
		var c svgChart
		if err := xml.Unmarshal([]byte(m), &c); err != nil {
			t.Fatalf("chart is not well-formed: %v", err)
		}
		for i := range c.Bars {
			if cols := c.Bars[i].cols(); len(cols) > 0 {
				c.Bars[i].Bytes = cols[0].Bytes
			}
		}
		out = append(out, c)
	}
	return out
}

func TestChartValues(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Page = PageStats
	// Out of order and uneven on purpose: the chart sorts by date.
	p.Daily = []Point{
		{At: measured, Bytes: 3 * gib},
		{At: measured.AddDate(0, 0, -2), Bytes: 7*gib + 123456789},
		{At: measured.AddDate(0, 0, -1), Bytes: 0},
	}
	p.Monthly = months(12, gib/4)
	html := renderClient(t, r, p)
	charts := parseCharts(t, html)
	if len(charts) != 2 {
		t.Fatalf("%d charts", len(charts))
	}
	want := [][]int64{{7*gib + 123456789, 0, 3 * gib}, nil}
	for _, pt := range p.Monthly {
		want[1] = append(want[1], pt.Bytes)
	}
	for ci, c := range charts {
		if c.TopBytes <= 0 || c.PlotHeight <= 0 {
			t.Fatalf("chart %d: no scale", ci)
		}
		if len(c.Bars) != len(want[ci]) {
			t.Fatalf("chart %d: %d bars, want %d", ci, len(c.Bars), len(want[ci]))
		}
		for i, b := range c.Bars {
			if b.Bytes != want[ci][i] {
				t.Errorf("chart %d bar %d: %d bytes, want %d", ci, i, b.Bytes, want[ci][i])
			}
			if b.Tab != "0" || b.Title == "" {
				t.Errorf("chart %d bar %d: not focusable or no title", ci, i)
			}
			cols := b.cols()
			if len(cols) != 1 {
				t.Fatalf("chart %d bar %d: %d columns, want 1", ci, i, len(cols))
			}
			col := cols[0]
			wantH := float64(b.Bytes) / float64(c.TopBytes) * c.PlotHeight
			if math.Abs(col.Height-wantH) > 0.01 || math.Abs(col.Y+col.Height-c.Bottom) > 0.01 {
				t.Errorf("chart %d bar %d: height %.2f at y %.2f, want %.2f resting on %.0f", ci, i, col.Height, col.Y, wantH, c.Bottom)
			}
		}
	}
	// The axis top is a round number just above the largest value.
	if top := float64(charts[0].TopBytes) / float64(gib); top != 8 {
		t.Errorf("daily axis top %.2f GB, want 8", top)
	}
	// The titles carry the date and value; the screen-reader table repeats them.
	if charts[0].Bars[0].Title != "25 Nov: 7.11\u00a0GB" {
		t.Errorf("title %q", charts[0].Bars[0].Title)
	}
	if !strings.Contains(html, "<th scope=\"row\">25 Nov</th><td>7.11\u00a0GB</td>") {
		t.Error("the screen-reader table lacks the first value")
	}
	if !strings.Contains(html, `viewBox="0 0 640 240" width="100%"`) {
		t.Error("chart does not scale with its container")
	}
}

func TestChartEmpty(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Page, p.Daily, p.Monthly = PageStats, nil, nil
	html := renderClient(t, r, p)
	if strings.Count(html, "No measurements yet.") != 2 {
		t.Error("empty series should say there is no data")
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		max, step float64
	}{{1, 0.25}, {7.1, 2}, {8, 2}, {9.5, 2.5}, {10, 2.5}, {0.003, 0.001}, {1234, 500}} {
		if got := niceStep(c.max); math.Abs(got-c.step) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", c.max, got, c.step)
		}
	}
}

func TestNumberFormat(t *testing.T) {
	l := &locale{Meta: Meta{Decimal: ",", Group: "."}}
	for _, c := range []struct {
		v    float64
		d    int
		want string
	}{{0, 2, "0,00"}, {1234567.891, 2, "1.234.567,89"}, {-1234.5, 1, "-1.234,5"}, {999, 0, "999"}, {1000, 0, "1.000"}, {-0.001, 2, "0,00"}} {
		if got := l.Number(c.v, c.d); got != c.want {
			t.Errorf("Number(%v, %d) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
	for n, want := range map[int64]string{0: "0\u00a0B", 1023: "1.023\u00a0B", 1536: "1,5\u00a0KB", 5 << 30: "5,0\u00a0GB"} {
		if got := l.Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func BenchmarkClientYear(b *testing.B) {
	r := newRenderer(b)
	p := sampleClient()
	p.Page = PageStats
	p.Daily = series(365, gib/100)
	p.Monthly = months(12, gib)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.Client(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestChartKeepsNewest(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Page = PageStats
	p.Daily = series(365, gib/100)
	p.Monthly = months(12, gib)
	p.Monthly = append(p.Monthly, Point{At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Bytes: 99 * gib})
	charts := parseCharts(t, renderClient(t, r, p))
	if len(charts[0].Bars) != 30 || len(charts[1].Bars) != 12 {
		t.Fatalf("%d daily and %d monthly bars, want 30 and 12", len(charts[0].Bars), len(charts[1].Bars))
	}
	if last := charts[0].Bars[29].Bytes; last != 365*(gib/100) {
		t.Errorf("the newest day is %d bytes, want %d", last, 365*(gib/100))
	}
	for _, b := range charts[1].Bars {
		if b.Bytes == 99*gib {
			t.Error("the oldest month was drawn instead of the newest")
		}
	}
}

func TestAdminPageHasNoSecretField(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[AdminPage](), reflect.TypeFor[Connection]()} {
		for f := range typ.Fields() {
			name := strings.ToLower(f.Name)
			if strings.Contains(name, "secret") || strings.Contains(name, "password") {
				t.Errorf("%s.%s could carry the client's secret into the admin tab", typ.Name(), f.Name)
			}
		}
	}
}

// When the buckets cannot be read the client reads a plain sentence in
// their language; the server's own words are for the admin tab and the
// log (ClientPage has no field that could carry them).
func TestClientError(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Buckets = nil
	p.Unavailable = true
	html := renderClient(t, r, p)
	for _, want := range []string{`role="alert"`, "The storage service could not be reached", "Your data is safe"} {
		if !strings.Contains(html, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
	p.Lang = "german"
	de := mustLocale(t, r, "german")
	title, _ := de.T("error")
	if html := renderClient(t, r, p); !strings.Contains(html, title) {
		t.Errorf("the German page lacks %q", title)
	}
	if strings.Contains(html, "No buckets yet.") {
		t.Error("a failed lookup must not claim there are no buckets")
	}
}

// Sizes and dates are isolated so an RTL page keeps "9.50 GB" in order.
func TestRTLIsolatesValues(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Lang = "hebrew"
	html := renderClient(t, r, p)
	for _, want := range []string{`dir="rtl" lang="he-IL"`, "<bdi>9.50\u00a0GB</bdi>", `<code class="puqs3-value" id="puqs3-endpoint" dir="ltr">`} {
		if !strings.Contains(html, want) {
			t.Errorf("hebrew page lacks %q", want)
		}
	}
}
