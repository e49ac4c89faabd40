package account

import (
	"context"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

const gib = int64(1) << 30

// clock is a manager clock the tests move.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// meterTraffic stores requests as the traffic receiver does
// (sqlite.RecordTraffic: attributed by the accounts the store holds), one
// per egress/ingress pair, at the given time.
func meterTraffic(t *testing.T, m *Manager, at time.Time, user, bucket string, egress, ingress int64) {
	t.Helper()
	db := m.Store.(*sqlite.DB)
	key := uint64(at.UnixNano()) ^ uint64(egress)<<1 ^ uint64(ingress)<<3 ^ uint64(len(bucket))<<5
	res, err := db.RecordTraffic(context.Background(), m.ServerID, []domain.TrafficRecord{{Key: key, At: at, Bucket: bucket,
		AccessKey: user, StatusCode: 200, Egress: egress, Ingress: ingress, Headers: 100}})
	if err != nil || res.Counted != 1 {
		t.Fatalf("record traffic: %+v %v", res, err)
	}
}

// usage.metrics answers each service's egress and ingress of the UTC month
// so far, in GB, only for products that measure traffic; the month before
// is not in it, and neither is another service's traffic.
func TestMetricsTrafficIsTheMonthSoFar(t *testing.T) {
	m, c := newManager(t), ctx(t)
	clk := &clock{t: time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)}
	m.Now = clk.now
	db := m.Store.(*sqlite.DB)
	if err := db.SaveAccounts(c, []domain.Account{{ServerID: 1, ServiceID: 34, Username: "912-34"}, {ServerID: 1, ServiceID: 35, Username: "912-35"},
		{ServerID: 1, ServiceID: 36, Username: "912-36"}}); err != nil {
		t.Fatal(err)
	}
	oct31 := time.Date(2026, 10, 31, 23, 59, 59, 0, time.UTC)
	nov1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	meterTraffic(t, m, oct31, "912-34", "912-34-data", 7*gib, 7*gib) // October's
	meterTraffic(t, m, nov1, "912-34", "912-34-data", 3*gib, gib/4)
	meterTraffic(t, m, clk.t.Add(-time.Hour), "912-34", "912-34-logs", gib/2, gib/4)
	meterTraffic(t, m, clk.t.Add(-time.Hour), "912-35", "912-35-data", 1000, 0)
	meterTraffic(t, m, clk.t.Add(-time.Hour), "912-36", "912-36-data", gib, gib)

	measured := &domain.Product{Traffic: true}
	got, err := m.Metrics(c, []MetricService{
		{ID: 34, Username: "912-34", Product: measured},
		{ID: 35, Username: "912-35", Product: measured},
		{ID: 36, Username: "912-36"},                                       // the default product: not measured
		{ID: 37, Username: "912-37", Product: measured},                    // no traffic at all
		{ID: 38, Username: "912-38", Product: &domain.Product{Unit: "XB"}}, // a broken product
	})
	if err != nil {
		t.Fatal(err)
	}
	f := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	for i, want := range []struct{ egress, ingress float64 }{{3.5, 0.5}, {0.000001, 0}, {-1, -1}, {0, 0}, {-1, -1}} {
		if e, in := f(got[i].EgressGB), f(got[i].IngressGB); e != want.egress || in != want.ingress {
			t.Errorf("service %d: egress %v ingress %v GB, want %v %v", got[i].ServiceID, e, in, want.egress, want.ingress)
		}
	}
	if got[4].Error == nil || got[4].Error.Code != domain.EINVALID || got[3].Error != nil {
		t.Errorf("errors: %+v %+v", got[3].Error, got[4].Error)
	}

	// On the first of the next month the figures start again.
	clk.t = time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)
	got, err = m.Metrics(c, []MetricService{{ID: 34, Username: "912-34", Product: measured}})
	if err != nil || f(got[0].EgressGB) != 0 {
		t.Fatalf("December: %+v %v", got, err)
	}
}

// The egress warning: due when the month's egress reaches the allowance,
// due again until usage.notified confirms it, then not again that month;
// a new month re-arms it. Without the recorded month the notice would go
// out on every run.
func TestEgressWarningOncePerCrossing(t *testing.T) {
	m, c := newManager(t), ctx(t)
	clk := &clock{t: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)}
	m.Now = clk.now
	prod := domain.Product{Unit: "GB", DiskSpace: 10, Traffic: true, EgressAllowanceGB: 1, EgressTemplate: "egress-tpl"}
	got, err := m.Create(c, svc(913, 81), prod)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = m.Terminate(context.Background(), domain.ServiceRef{ID: 81, Username: got.Username}) })
	update := func() UsageReport {
		t.Helper()
		p := prod
		res, err := m.UpdateUsage(c, []UsageService{{ID: 81, ClientID: 913, Username: got.Username, Product: &p}}, UsageOptions{})
		if err != nil || res.Services[0].Error != nil {
			t.Fatalf("update: %v %+v", err, res.Services[0].Error)
		}
		return res.Services[0]
	}
	egressNotices := func(r UsageReport) []domain.Notice {
		var out []domain.Notice
		for _, n := range r.Notices {
			if n.Kind == domain.NoticeEgress {
				out = append(out, n)
			}
		}
		return out
	}

	meterTraffic(t, m, clk.t.Add(-time.Hour), got.Username, got.Bucket, gib/2, 5*gib)
	r := update()
	if len(egressNotices(r)) != 0 || r.Traffic == nil || r.Traffic.EgressBytes != gib/2 || r.Traffic.IngressBytes != 5*gib ||
		r.Traffic.EgressMB != 512 || r.Traffic.AllowanceMB != 1024 || r.Traffic.Percent != 50 || r.Traffic.Period != "2026-11" {
		t.Fatalf("under the allowance: %+v %+v", r.Notices, r.Traffic)
	}
	meterTraffic(t, m, clk.t.Add(-30*time.Minute), got.Username, got.Bucket, gib/2, 0)
	clk.t = clk.t.Add(time.Hour)
	r = update()
	ns := egressNotices(r)
	if len(ns) != 1 || ns[0].Template != "egress-tpl" || ns[0].Period != "2026-11" || ns[0].Vars["egress_used_gb"] != "1.00" ||
		ns[0].Vars["egress_allowance_gb"] != "1.00" || ns[0].Vars["username"] != got.Username {
		t.Fatalf("at the allowance: %+v", r.Notices)
	}
	// The email failed: still due.
	if ns := egressNotices(update()); len(ns) != 1 {
		t.Fatalf("an unconfirmed notice is not due again: %+v", ns)
	}
	if n, err := m.MarkNotified(c, []Notified{{ServiceID: 81, Kind: domain.NoticeEgress, Period: ns[0].Period}}); err != nil || n != 1 {
		t.Fatalf("mark: %d %v", n, err)
	}
	meterTraffic(t, m, clk.t.Add(-time.Minute), got.Username, got.Bucket, 3*gib, 0)
	for range 2 {
		if r := update(); len(egressNotices(r)) != 0 || r.Traffic.Percent != 400 {
			t.Fatalf("sent twice in a month: %+v %+v", r.Notices, r.Traffic)
		}
	}
	// December: under the allowance, then over it again.
	clk.t = time.Date(2026, 12, 1, 0, 20, 0, 0, time.UTC)
	if r := update(); len(egressNotices(r)) != 0 || r.Traffic.EgressBytes != 0 || r.Traffic.Period != "2026-12" {
		t.Fatalf("December, no traffic yet: %+v %+v", r.Notices, r.Traffic)
	}
	meterTraffic(t, m, clk.t.Add(-10*time.Minute), got.Username, got.Bucket, 2*gib, 0)
	if ns := egressNotices(update()); len(ns) != 1 || ns[0].Period != "2026-12" {
		t.Fatalf("December's crossing: %+v", ns)
	}

	// A product that does not measure traffic reports none and never warns.
	off := prod
	off.Traffic = false
	res, err := m.UpdateUsage(c, []UsageService{{ID: 81, ClientID: 913, Username: got.Username, Product: &off}}, UsageOptions{})
	if err != nil || res.Services[0].Traffic != nil || len(egressNotices(res.Services[0])) != 0 {
		t.Fatalf("traffic off: %+v %v", res.Services[0], err)
	}
}

func TestMarkNotifiedChecksPeriods(t *testing.T) {
	m, c := newManager(t), ctx(t)
	for _, bad := range []Notified{
		{ServiceID: 1, Kind: domain.NoticeEgress},
		{ServiceID: 1, Kind: domain.NoticeEgress, Period: "2026-13"},
		{ServiceID: 1, Kind: domain.NoticeEgress, Period: "november"},
		{ServiceID: 1, Kind: domain.NoticeWarn, Period: "2026-11"},
		{ServiceID: 1, Kind: "spam"},
		{ServiceID: 0, Kind: domain.NoticeWarn},
	} {
		if _, err := m.MarkNotified(c, []Notified{{ServiceID: 2, Kind: domain.NoticeLimit}, bad}); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if a, ok, _ := m.Store.Account(c, 1, 2); ok {
		t.Errorf("a refused request recorded the valid notice before it: %+v", a)
	}
}

// The pages read the month, 30 days and 12 months of traffic from the
// store, days and months without traffic as zeros.
func TestOverviewTraffic(t *testing.T) {
	m, c := newManager(t), ctx(t)
	clk := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	m.Now = clk.now
	db := m.Store.(*sqlite.DB)
	if err := db.SaveAccounts(c, []domain.Account{{ServerID: 1, ServiceID: 44, Username: "914-44"}}); err != nil {
		t.Fatal(err)
	}
	meterTraffic(t, m, time.Date(2026, 9, 3, 10, 0, 0, 0, time.UTC), "914-44", "914-44-data", 5*gib, 0)
	meterTraffic(t, m, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "914-44", "914-44-data", gib, 2*gib)
	meterTraffic(t, m, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), "914-44", "", 1000, 0)
	prod := domain.Product{Traffic: true, EgressAllowanceGB: 0.5}
	o, err := m.Overview(c, domain.ServiceRef{ID: 44, Username: "914-44"}, prod)
	if err != nil {
		t.Fatal(err)
	}
	tr := o.Traffic
	if tr == nil || tr.Month.Traffic.Egress != gib+1000 || !tr.Month.Over || tr.Month.AllowanceBytes != gib/2 {
		t.Fatalf("month: %+v", tr)
	}
	if len(tr.Daily) != 8 || !tr.Daily[0].Day.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) || tr.Daily[0].Egress != gib ||
		tr.Daily[1].Egress != 0 || tr.Daily[5].Egress != 1000 || !tr.Daily[7].Day.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("daily: %+v", tr.Daily)
	}
	if len(tr.Monthly) != 3 || tr.Monthly[0].Egress != 5*gib || tr.Monthly[1].Egress != 0 || tr.Monthly[2].Ingress != 2*gib {
		t.Fatalf("monthly: %+v", tr.Monthly)
	}
	if len(tr.Buckets) != 2 || tr.Buckets[0].Bucket != "" || tr.Buckets[1].Bucket != "914-44-data" {
		t.Fatalf("buckets: %+v", tr.Buckets)
	}
	prod.Traffic = false
	if o, err := m.Overview(c, domain.ServiceRef{ID: 44, Username: "914-44"}, prod); err != nil || o.Traffic != nil {
		t.Fatalf("not measured: %+v %v", o.Traffic, err)
	}
}
