package view

import (
	"strings"
	"testing"
	"time"
)

const mib = int64(1) << 20

// sampleTraffic is a month with 14 GiB downloaded against a 10 GiB
// allowance, 30 days and 12 months of history.
func sampleTraffic() *Traffic {
	t := &Traffic{Month: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), EgressBytes: 14 * gib, IngressBytes: 3*gib + 512*mib,
		Requests: 123456, AllowanceBytes: 10 * gib,
		Buckets: []TrafficBucket{{Name: "12-34-data", Egress: 13 * gib, Ingress: 3 * gib, Requests: 120000},
			{Name: "", Egress: 4 * mib, Ingress: 0, Requests: 3456}, {Name: "12-34-logs", Egress: gib - 4*mib, Ingress: 512 * mib}}}
	for i := range 30 {
		t.Daily = append(t.Daily, TrafficPoint{At: measured.AddDate(0, 0, i-29), Egress: int64(i+1) * 100 * mib, Ingress: int64(30-i) * 20 * mib})
	}
	for i := range 12 {
		t.Monthly = append(t.Monthly, TrafficPoint{At: time.Date(2025, time.Month(12+i), 1, 0, 0, 0, 0, time.UTC), Egress: int64(i+1) * gib, Ingress: gib / 2})
	}
	return t
}

func TestTrafficOnTheStatsPage(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Page, p.StatsURL, p.Traffic = PageStats, "stats", sampleTraffic()
	html := renderClient(t, r, p)
	for _, want := range []string{
		`id="puqs3-traffic-h">Traffic this month <span class="puqs3-muted"><bdi>Nov 2026</bdi>`,
		"Downloaded: <b><bdi>14.0\u00a0GB</bdi></b> (140% of the allowance)",
		"Uploaded: <b><bdi>3.5\u00a0GB</bdi></b>", "Requests: <b><bdi>123,456</bdi>",
		"Monthly download allowance: <b><bdi>10.0\u00a0GB</bdi>",
		"This month&#39;s downloads have reached your allowance of 10.0\u00a0GB.",
		`aria-valuenow="100" aria-valuetext="140% of the allowance"`, `width="100" height="6"`,
		"Traffic, last 30 days", "Traffic per month", "Traffic in GB", `<ul class="puqs3-legend" aria-hidden="true">`,
		`<th scope="col">Date</th><th scope="col">Downloaded</th><th scope="col">Uploaded</th>`,
		`Allowance <tspan class="puqs3-ltr">10.00`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
	if strings.Contains(html, "puqs3-traffic-buckets") {
		t.Error("the client's page lists the month per bucket; that is the admin tab's")
	}
	charts := parseCharts(t, html)
	if len(charts) != 4 || charts[2].ID != "puqs3-traffic-daily" || charts[3].ID != "puqs3-traffic-monthly" {
		t.Fatalf("charts %d", len(charts))
	}
	for ci, want := range map[int][]TrafficPoint{2: p.Traffic.Daily, 3: p.Traffic.Monthly} {
		c := charts[ci]
		if len(c.Bars) != len(want) {
			t.Fatalf("%s: %d bars, want %d", c.ID, len(c.Bars), len(want))
		}
		for i, b := range c.Bars {
			cols := b.cols()
			if len(cols) != 2 || cols[0].Bytes != want[i].Egress || cols[1].Bytes != want[i].Ingress ||
				!strings.Contains(cols[0].Class, "puqs3-col-out") || !strings.Contains(cols[1].Class, "puqs3-col-in") {
				t.Fatalf("%s bar %d: %+v, want %+v", c.ID, i, cols, want[i])
			}
			for _, col := range cols {
				wantH := float64(col.Bytes) / float64(c.TopBytes) * c.PlotHeight
				if d := col.Height - wantH; d > 0.01 || d < -0.01 || col.Y+col.Height-c.Bottom > 0.01 {
					t.Errorf("%s bar %d: height %.2f, want %.2f", c.ID, i, col.Height, wantH)
				}
			}
		}
	}
	// The daily axis is in GB (the largest day is 3,000 MiB); the readout
	// names both directions.
	if !strings.Contains(html, "<title>27 Nov: Downloaded 2.93\u00a0GB · Uploaded 0.02\u00a0GB</title>") {
		t.Error("the last day's readout is wrong")
	}
}

func TestTrafficChartUnitFollowsTheFigures(t *testing.T) {
	for _, c := range []struct {
		max  int64
		unit string
	}{{0, "MB"}, {1000, "MB"}, {1023 * mib, "MB"}, {gib, "GB"}, {900 * gib, "GB"}, {3 << 40, "TB"}} {
		if u, _ := trafficUnit(c.max); u != c.unit {
			t.Errorf("%d bytes: unit %s, want %s", c.max, u, c.unit)
		}
	}
	r := newRenderer(t)
	p := sampleClient()
	p.Page, p.Traffic = PageStats, &Traffic{Month: measured, EgressBytes: 5 * mib, Daily: []TrafficPoint{{At: measured, Egress: 5 * mib, Ingress: mib}}}
	html := renderClient(t, r, p)
	if !strings.Contains(html, "Traffic in MB") || !strings.Contains(html, "Downloaded 5.00\u00a0MB") {
		t.Error("a few MB are not shown in MB")
	}
	if strings.Contains(html, "allowance") || strings.Contains(html, `puqs3-traffic puqs3-state-limited`) {
		t.Error("no allowance, yet the page speaks of one")
	}
	if strings.Count(html, "No traffic measured yet.") != 1 {
		t.Error("the empty monthly traffic chart does not say so")
	}
}

func TestNoTrafficWhenNotMeasured(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.Page = PageStats
	if html := renderClient(t, r, p); strings.Contains(html, "puqs3-traffic") || strings.Count(html, `<svg class="puqs3-chart"`) != 2 {
		t.Error("traffic shown for a product that does not measure it")
	}
	p.Page, p.StatsURL, p.Traffic = PageOverview, "stats", sampleTraffic()
	if html := renderClient(t, r, p); strings.Contains(html, "puqs3-traffic") {
		t.Error("traffic on the overview, while a statistics page exists")
	}
	p.StatsURL = "" // no statistics page: the charts, traffic with them, are on the overview
	if html := renderClient(t, r, p); !strings.Contains(html, "puqs3-traffic-daily") {
		t.Error("traffic missing from the overview that carries the charts")
	}
	if html := renderAdmin(t, r, sampleAdmin()); strings.Contains(html, "puqs3-traffic") {
		t.Error("admin tab shows traffic for a product that does not measure it")
	}
}

func TestTrafficOnTheAdminTab(t *testing.T) {
	r := newRenderer(t)
	a := sampleAdmin()
	a.Traffic = sampleTraffic()
	a.Traffic.Buckets[0].Name = injection
	html := renderAdmin(t, r, a)
	for _, want := range []string{"Traffic this month", "Downloaded: <b><bdi>14.0\u00a0GB", "140% of the allowance",
		`<table class="puqs3-table puqs3-traffic-buckets">`, "No bucket (listing buckets)", ">12-34-logs<",
		"<td class=\"puqs3-num\"><bdi>1,020.0\u00a0MB</bdi></td>", "<td class=\"puqs3-num\">123,456</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("admin tab lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;alert(1)") {
		t.Error("a bucket name reaches the admin tab unescaped")
	}
	if strings.Contains(html, "puqs3-traffic-daily") {
		t.Error("the admin tab shows this month's figures, not the history charts")
	}
}

// On RGW the figures come by the hour, and the note under them says so
// instead of promising minutes, on both pages.
func TestTrafficNoteSaysHourlyOnRGW(t *testing.T) {
	r := newRenderer(t)
	for _, hourly := range []bool{false, true} {
		p := sampleClient()
		p.Page, p.StatsURL, p.Traffic = PageStats, "stats", sampleTraffic()
		p.Traffic.Hourly = hourly
		a := sampleAdmin()
		a.Traffic = sampleTraffic()
		a.Traffic.Hourly = hourly
		for page, html := range map[string]string{"stats page": renderClient(t, r, p), "admin tab": renderAdmin(t, r, a)} {
			minutes, hours := strings.Contains(html, "New traffic shows within minutes."), strings.Contains(html, "Traffic is counted by the hour: it shows some time after its hour has ended.")
			if minutes == hourly || hours != hourly {
				t.Errorf("%s, hourly %t: within minutes %t, by the hour %t", page, hourly, minutes, hours)
			}
		}
	}
}

// Every language renders the traffic card and charts in its own words, in
// its direction, with values isolated from the text around them.
func TestTrafficInEveryLanguage(t *testing.T) {
	r := newRenderer(t)
	en := mustLocale(t, r, "english")
	for _, lang := range Languages {
		l := mustLocale(t, r, lang)
		p := sampleClient()
		p.Lang, p.Page, p.StatsURL, p.Traffic = lang, PageStats, "stats", sampleTraffic()
		html := renderClient(t, r, p)
		for _, key := range []string{"trafficTitle", "trafficEgress", "trafficDaily", "trafficMonthly", "trafficAllowanceLine"} {
			s, _ := l.T(key)
			if enS, _ := en.T(key); lang != "english" && s == enS {
				t.Errorf("%s: %s is English", lang, key)
			}
			if !strings.Contains(html, htmlEscape(s)) {
				t.Errorf("%s: the page lacks %s %q", lang, key, s)
			}
		}
		over, _ := l.T("trafficOverHelp", l.Bytes(10*gib))
		if !strings.Contains(html, htmlEscape(over)) {
			t.Errorf("%s: the allowance alert is missing", lang)
		}
		if len(parseCharts(t, html)) != 4 {
			t.Errorf("%s: not four charts", lang)
		}
		egress := "<bdi>" + l.Bytes(14*gib) + "</bdi>"
		if !strings.Contains(html, egress) {
			t.Errorf("%s: the egress figure is not isolated: want %q", lang, egress)
		}
		a := sampleAdmin()
		a.Lang, a.Traffic = lang, sampleTraffic()
		renderAdmin(t, r, a)
	}
}

func TestTrafficRightToLeft(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range []string{"arabic", "hebrew", "farsi"} {
		p := sampleClient()
		p.Lang, p.Page, p.Traffic = lang, PageStats, sampleTraffic()
		html := renderClient(t, r, p)
		l := mustLocale(t, r, lang)
		unit, _ := l.T("trafficChartIn", "GB")
		for _, want := range []string{`dir="rtl"`, `direction="rtl">` + htmlEscape(unit) + `</text>`, `x="632" y="16" direction="rtl"`,
			`<tspan class="puqs3-ltr">` + l.InUnit(10*gib, "GB", gib) + `</tspan>`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: lacks %q", lang, want)
			}
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
