// Package view renders the module's HTML: the client area (overview and
// usage statistics) and the admin service tab. Templates and language files
// are embedded in the binary (see the root package's Assets); pages are
// self-contained fragments that WHMCS places inside its own theme: one
// <div class="puqs3-root"> with scoped CSS, inline SVG charts and a few lines
// of inline JavaScript, nothing fetched from the network.
//
// Every value in the page data is treated as untrusted text and escaped by
// html/template; links are re-checked here as well.
package view

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	puqminio "github.com/puqminios3/puqminio"
	"github.com/puqminios3/puqminio/internal/domain"
)

// Options configures a Renderer.
type Options struct {
	// OverridesDir lets an admin change shipped strings without editing
	// them: a file <language>.json there (e.g. german.json), holding
	// {"strings": {"recalculate": "Neu zählen"}}, replaces those strings of
	// that language. Only the 25 shipped language names are looked up, a
	// symbolic link leading out of the directory is refused, and a key that
	// English does not have or a string that drops a {0} placeholder is an
	// error, so a typo is noticed rather than ignored. An empty or missing
	// directory means no overrides.
	OverridesDir string
}

// Usage is an account's disk usage as the page shows it.
type Usage struct {
	UsedBytes   int64     // bytes stored, versions included
	LimitBytes  int64     // the product's disk space; 0 is unlimited
	Unit        string    // the product's unit: MB, GB, TB or PB
	UnitBytes   int64     // bytes in one Unit; 0 takes the binary size of Unit
	WarnPercent int       // the warning threshold in percent
	State       string    // normal, warning or limited
	Forced      string    // "", standard or limited: a policy an admin forced
	MeasuredAt  time.Time // the last measurement; zero is never
	Source      string    // scanner or exact
}

// Bucket is one row of the bucket table.
type Bucket struct {
	Name     string
	Bytes    int64
	Objects  int64
	Versions int64
}

// Point is one value of a usage series: a day's usage or a month's average.
type Point struct {
	At    time.Time
	Bytes int64
}

// Traffic is an account's metered traffic as the pages show it: the month
// so far and its history. Bytes are HTTP body bytes: egress is what the
// account's clients downloaded, ingress what they uploaded.
type Traffic struct {
	Month          time.Time // the month of the figures (00:00 UTC on its first)
	EgressBytes    int64
	IngressBytes   int64
	Requests       int64
	AllowanceBytes int64           // the monthly egress allowance; 0 is none
	Daily          []TrafficPoint  // one point a day; the newest 30 are drawn
	Monthly        []TrafficPoint  // one point a month; the newest 12 are drawn
	Buckets        []TrafficBucket // this month per bucket; the admin tab lists them
	// Hourly says the figures arrive by whole hours, some time after each
	// hour ends (Ceph RGW), not within minutes: the note under them says so.
	Hourly bool
}

// TrafficPoint is one day's or month's traffic.
type TrafficPoint struct {
	At      time.Time
	Egress  int64
	Ingress int64
}

// TrafficBucket is one bucket's traffic; Name is "" for requests on no
// bucket (listing the buckets).
type TrafficBucket struct {
	Name     string
	Egress   int64
	Ingress  int64
	Requests int64
}

// Pages of the client area.
const (
	PageOverview = "overview"
	PageStats    = "stats"
)

// ClientPage is the data of the client area.
type ClientPage struct {
	Lang            string // a WHMCS language name; unknown names fall back to English
	Page            string // overview or stats
	InstructionURL  string // an http(s) link to setup instructions; anything else is not shown
	Endpoint        string // host:port, or a full URL, of the S3 API
	Secure          bool   // the endpoint speaks HTTPS
	AccessKey       string
	Secret          string
	PasswordDisplay string // show, button (hidden until asked) or hide (never in the page)
	Usage           Usage
	Buckets         []Bucket
	Daily           []Point // one point a day; the newest 30 are drawn
	Monthly         []Point // monthly averages, one point a month; the newest 12 are drawn
	RecalculateURL  string  // where the Recalculate button goes
	RecalculateCSRF string  // when set, Recalculate is a POST form sending this as "token"
	StatsURL        string  // the statistics page; empty shows the charts on the overview
	OverviewURL     string  // back from the statistics page
	// Unavailable says the buckets could not be read: the page says so in
	// the client's language, without the server's own words.
	Unavailable bool
	// Self is what the tenant may change here; nil shows the page without
	// self-service.
	Self *Self
	// SelfUnavailable says the server's backend offers no self-service
	// (a Ceph RGW server): the page says so instead of the forms.
	SelfUnavailable bool
	// Traffic is shown with the charts when the product measures it.
	Traffic *Traffic
}

// Connection is the state of the API connection to the MinIO server.
type Connection struct {
	OK            bool
	Version       string
	Mode          string // MinIO's deployment mode, e.g. distributed
	DrivesOnline  int
	DrivesOffline int
	Error         string // why the connection failed, in words
}

// AdminPage is the data of the admin service tab. It has no field for the
// client's secret: WHMCS shows the service password itself when asked.
type AdminPage struct {
	Lang        string
	Connection  Connection
	Username    string
	Exists      bool // the user exists on MinIO
	Enabled     bool
	Groups      []string
	PolicyState string // standard or limited
	Forced      string // "", standard or limited
	Usage       Usage
	Buckets     []Bucket
	Daily       []Point  // one point a day; the newest 30 are drawn
	Errors      []string // problems to show, in words an admin can act on
	Access      []string // what the product lets tenants do, and what is withheld, in words
	Keys        []Key    // the access keys the client area made
	// ActionURLs maps "bucket.delete" and "key.revoke" to the admin's
	// custom functions; CSRF is WHMCS's token their forms post.
	ActionURLs map[string]string
	CSRF       string
	Now        time.Time // the keys' state
	Traffic    *Traffic  // this month's traffic, when the product measures it
}

// Renderer renders pages. It is safe for concurrent use.
type Renderer struct {
	tmpl  *template.Template
	langs *languages
}

// locale is the language WHMCS names (LanguageFor), read on first use.
func (r *Renderer) locale(lang string) (*locale, error) {
	l, err := r.langs.locale(LanguageFor(lang))
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	return l, nil
}

// New parses the embedded templates and loads the languages and the
// overrides in opts.OverridesDir.
func New(opts Options) (*Renderer, error) {
	t, err := template.New("").Option("missingkey=error").ParseFS(puqminio.Assets, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	langs, err := loadLanguages(opts.OverridesDir)
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	return &Renderer{tmpl: t, langs: langs}, nil
}

// usageView is Usage ready to print.
type usageView struct {
	Unlimited         bool
	Used, Free, Limit string
	Percent           int    // floored, so 100 means full
	Bar, Warn         string // bar length and warning mark, 0-100
	WarnPercent       int
	State             string
	Forced            string
	Measured          string // empty: never measured
	Source            string
}

func (l *locale) usage(u Usage) usageView {
	unit, ub := unitOf(u)
	v := usageView{
		Unlimited:   u.LimitBytes <= 0,
		Used:        l.InUnit(u.UsedBytes, unit, ub),
		WarnPercent: u.WarnPercent,
		State:       u.State,
		Forced:      u.Forced,
		Source:      u.Source,
	}
	switch v.State {
	case string(domain.StateNormal), string(domain.StateWarning), string(domain.StateLimited):
	default:
		v.State = string(domain.StateNormal)
	}
	if v.WarnPercent <= 0 || v.WarnPercent > 100 {
		v.WarnPercent = domain.DefaultWarnPercent
	}
	if !v.Unlimited {
		v.Limit = l.InUnit(u.LimitBytes, unit, ub)
		v.Free = l.InUnit(max(u.LimitBytes-u.UsedBytes, 0), unit, ub)
		pct := float64(u.UsedBytes) / float64(u.LimitBytes) * 100
		v.Percent = int(math.Floor(min(max(pct, 0), 100)))
		v.Bar = fmtCoord(min(max(pct, 0), 100))
		v.Warn = fmtCoord(float64(v.WarnPercent))
	}
	if !u.MeasuredAt.IsZero() {
		v.Measured = l.DateTime(u.MeasuredAt)
	}
	return v
}

// trafficView is Traffic ready to print.
type trafficView struct {
	Month             string // the month's name and year
	Egress, Ingress   string
	Requests          string
	Allowance         string // "" when there is none
	Percent           int    // floored percent of the allowance used
	Bar               string // the meter's length, 0-100
	Over              bool   // egress reached the allowance
	Hourly            bool   // counted by the hour (see Traffic)
	Daily, Monthly    chartView
	Buckets           []trafficBucketView
	BucketsTotalShown bool
	Total             trafficBucketView
}

// trafficBucketView is one row of the admin tab's traffic table.
type trafficBucketView struct {
	Name                      string // "" for requests on no bucket
	Egress, Ingress, Requests string
}

// trafficOf prepares t for the page: the history charts for the client's,
// the month per bucket for the admin tab.
func (l *locale) trafficOf(t *Traffic, charts, buckets bool) *trafficView {
	if t == nil {
		return nil
	}
	v := &trafficView{Month: l.monthLabel(t.Month), Egress: l.Bytes(t.EgressBytes), Ingress: l.Bytes(t.IngressBytes), Requests: l.Count(t.Requests), Hourly: t.Hourly}
	if t.AllowanceBytes > 0 {
		v.Allowance = l.Bytes(t.AllowanceBytes)
		pct := float64(t.EgressBytes) / float64(t.AllowanceBytes) * 100
		v.Percent = int(math.Floor(max(pct, 0)))
		v.Bar = fmtCoord(min(max(pct, 0), 100))
		v.Over = t.EgressBytes >= t.AllowanceBytes
	}
	if charts {
		daily, _ := l.T("trafficDaily")
		monthly, _ := l.T("trafficMonthly")
		v.Daily = buildTrafficChart(l, "puqs3-traffic-daily", daily, t.Daily, dailyBars, 0, l.dayLabel)
		v.Monthly = buildTrafficChart(l, "puqs3-traffic-monthly", monthly, t.Monthly, monthlyBars, t.AllowanceBytes, l.monthLabel)
	}
	if !buckets {
		return v
	}
	var total TrafficBucket
	for _, b := range t.Buckets {
		v.Buckets = append(v.Buckets, trafficBucketView{Name: b.Name, Egress: l.Bytes(b.Egress), Ingress: l.Bytes(b.Ingress), Requests: l.Count(b.Requests)})
		total.Egress += b.Egress
		total.Ingress += b.Ingress
		total.Requests += b.Requests
	}
	v.BucketsTotalShown = len(t.Buckets) > 1
	v.Total = trafficBucketView{Egress: l.Bytes(total.Egress), Ingress: l.Bytes(total.Ingress), Requests: l.Count(total.Requests)}
	return v
}

// bucketsView is the bucket table with its total row.
type bucketsView struct {
	Rows  []Bucket
	Total Bucket
}

func bucketTable(bs []Bucket) bucketsView {
	v := bucketsView{Rows: bs}
	for _, b := range bs {
		v.Total.Bytes += b.Bytes
		v.Total.Objects += b.Objects
		v.Total.Versions += b.Versions
	}
	return v
}

// clientView is what templates/client.tmpl receives.
type clientView struct {
	*locale
	P              ClientPage
	Instruction    string
	EndpointURL    string
	Usage          usageView
	Buckets        bucketsView
	Stats          bool // this is the statistics page
	Charts         bool // charts are on this page
	Daily, Monthly chartView
	Recalc         recalcView
	StatsURL       string
	OverviewURL    string
	Self           selfView
	IsAdmin        bool         // false: the client area
	KeysPage       bool         // the access keys page
	BucketPage     bool         // a bucket's settings page
	Traffic        *trafficView // with the charts, when the product measures traffic
}

// recalcView is the Recalculate button: a link, or a POST form when the page
// carries a CSRF token. An empty URL hides it.
type recalcView struct {
	URL  string
	CSRF string
}

// adminView is what templates/admin.tmpl receives.
type adminView struct {
	*locale
	P       AdminPage
	Usage   usageView
	Buckets bucketsView
	Daily   chartView
	Recalc  recalcView   // always empty: the admin uses WHMCS's own buttons
	Self    selfView     // the admin's delete and revoke forms
	IsAdmin bool         // true: the admin tab
	Traffic *trafficView // this month's figures, when the product measures traffic
}

// Client renders the client area page p to w. Nothing is written when
// rendering fails.
func (r *Renderer) Client(w io.Writer, p ClientPage) error {
	l, err := r.locale(p.Lang)
	if err != nil {
		return err
	}
	unit, ub := unitOf(p.Usage)
	v := clientView{
		locale:      l,
		P:           p,
		Instruction: webURL(p.InstructionURL, true),
		EndpointURL: EndpointURL(p.Endpoint, p.Secure),
		Usage:       l.usage(p.Usage),
		Buckets:     bucketTable(p.Buckets),
		Stats:       p.Page == PageStats,
		Recalc:      recalcView{URL: webURL(p.RecalculateURL, false), CSRF: p.RecalculateCSRF},
		StatsURL:    webURL(p.StatsURL, false),
		OverviewURL: webURL(p.OverviewURL, false),
		Self:        selfView{Self: p.Self, l: l},
	}
	if p.Self != nil {
		v.KeysPage, v.BucketPage = p.Page == PageKeys, p.Page == PageBucket
	}
	switch v.P.PasswordDisplay {
	case domain.PasswordShow, domain.PasswordButton, domain.PasswordHide:
	default:
		v.P.PasswordDisplay = domain.PasswordButton
	}
	if v.P.PasswordDisplay == domain.PasswordHide {
		v.P.Secret = ""
	}
	v.Charts = v.Stats || (v.StatsURL == "" && !v.KeysPage && !v.BucketPage)
	if v.Charts {
		dailyTitle, _ := l.T("daily")
		monthlyTitle, _ := l.T("monthly")
		v.Daily = buildChart(l, "puqs3-daily", dailyTitle, p.Daily, dailyBars, unit, ub, p.Usage.LimitBytes, l.dayLabel)
		v.Monthly = buildChart(l, "puqs3-monthly", monthlyTitle, p.Monthly, monthlyBars, unit, ub, p.Usage.LimitBytes, l.monthLabel)
		v.Traffic = l.trafficOf(p.Traffic, true, false)
	}
	return r.execute(w, "client", v)
}

// Admin renders the admin service tab p to w. Nothing is written when
// rendering fails.
func (r *Renderer) Admin(w io.Writer, p AdminPage) error {
	l, err := r.locale(p.Lang)
	if err != nil {
		return err
	}
	unit, ub := unitOf(p.Usage)
	title, _ := l.T("daily")
	v := adminView{
		locale:  l,
		P:       p,
		Usage:   l.usage(p.Usage),
		Buckets: bucketTable(p.Buckets),
		Daily:   buildChart(l, "puqs3-admin-daily", title, p.Daily, dailyBars, unit, ub, p.Usage.LimitBytes, l.dayLabel),
		Self:    selfView{Self: &Self{ActionURLs: p.ActionURLs, CSRF: p.CSRF, Keys: p.Keys, Now: p.Now}, l: l},
		IsAdmin: true,
		Traffic: l.trafficOf(p.Traffic, false, true),
	}
	return r.execute(w, "admin", v)
}

func (r *Renderer) execute(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := r.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("view: render %s: %w", name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func (l *locale) dayLabel(t time.Time) string   { return t.Format(l.DayFormat) }
func (l *locale) monthLabel(t time.Time) string { return t.Format(l.MonthFormat) }

// webURL returns s when it is an absolute http(s) URL with a host, or, unless
// absoluteOnly, a relative reference such as WHMCS's own
// "clientarea.php?action=productdetails&id=3"; anything else yields "".
func webURL(s string, absoluteOnly bool) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "\x00\r\n\t\\") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		if u.Host == "" {
			return ""
		}
	case u.Scheme == "" && !absoluteOnly && u.Host == "" && !strings.HasPrefix(s, "//"):
	default:
		return ""
	}
	return s
}

// EndpointURL shows host:port as the URL a client configures, with the
// scheme the server speaks; a value that already has a scheme is kept.
func EndpointURL(ep string, secure bool) string {
	ep = strings.TrimSpace(ep)
	if ep == "" || strings.Contains(ep, "://") {
		return ep
	}
	if secure {
		return "https://" + ep
	}
	return "http://" + ep
}

// copyArgs is what the copy-button template receives.
type copyArgs struct {
	V  *locale
	ID string // the element whose text is copied
}

// CopyOf pairs an element id with the locale, for the copy-button template.
func (l *locale) CopyOf(id string) copyArgs { return copyArgs{V: l, ID: id} }
