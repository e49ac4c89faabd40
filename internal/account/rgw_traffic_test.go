package account

import (
	"context"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgw"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// settledGateway is the real gateway with the hour in progress taken as
// settled, so that the test need not wait for the hour to end: the test
// cluster writes its usage log every second, and the test reads the log
// until what it sent is there before it runs usage. failTrim makes the
// next trim fail without trimming (a gateway that went away between the
// read and the trim).
type settledGateway struct {
	*rgw.Gateway
	failTrim bool
}

func (*settledGateway) SettledBefore(now time.Time) time.Time {
	return now.UTC().Truncate(time.Hour).Add(time.Hour)
}

func (g *settledGateway) TrimTraffic(ctx context.Context, from, to time.Time) error {
	if g.failTrim {
		g.failTrim = false
		return domain.Retryf(domain.EUNAVAILABLE, "the gateway went away")
	}
	return g.Gateway.TrimTraffic(ctx, from, to)
}

// logged is what RGW's usage log holds for one uid, per category.
func logged(t *testing.T, admin *rgwadmin.Client, uid string, from, to time.Time) map[string]rgwadmin.Counters {
	t.Helper()
	u, err := admin.Usage(context.Background(), rgwadmin.UsageQuery{UID: uid, Start: from, End: to, SkipSummary: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]rgwadmin.Counters{}
	for _, e := range u.Entries {
		for _, c := range e.Categories {
			out[c.Category] = out[c.Category].Add(c.Counters)
			out[""] = out[""].Add(c.Counters)
		}
	}
	return out
}

// Traffic on RGW reaches the same counters as MinIO's: one tenant uploads
// and downloads objects of known sizes with s3cmd, a second tenant does
// less; the usage runs count each tenant's bytes once, apart, in the
// reports, the egress notice and the billing metrics, and trim the log.
func TestRGWTrafficCountedOnce(t *testing.T) {
	// The traffic and the runs must fall in one UTC month (the month's
	// figures are compared): a run just before a month ends waits for it,
	// before the test's deadline starts.
	if next := domain.MonthStart(time.Now()).AddDate(0, 1, 0); time.Until(next) < 3*time.Minute {
		time.Sleep(time.Until(next) + time.Second)
	}
	m, c := newRGWManager(t), ctx(t)
	gw := &settledGateway{Gateway: m.Gateway.(*rgw.Gateway)}
	m.Gateway = gw
	s := rgwServer(t)
	admin, err := rgwadmin.New(rgwadmin.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err != nil {
		t.Fatal(err)
	}

	const sizeA, sizeB = 3<<20 + 123, 700_001
	prod := domain.Product{DefaultBucket: true, Traffic: true,
		EgressAllowanceGB: float64(2*sizeA) / (1 << 30), EgressTemplate: "egress"}
	from, to := time.Now().UTC().Truncate(time.Hour), time.Now().UTC().Truncate(time.Hour).Add(2*time.Hour)
	// The log starts empty, as on a server whose log the module takes
	// over: what an earlier run of this test left (its terminate's
	// requests, logged after its trim) would count on these same services.
	if err := admin.TrimUsage(c, rgwadmin.UsageTrim{End: to, AllUsers: true}); err != nil {
		t.Fatal(err)
	}
	var services []UsageService
	var tenants []*tenant
	var buckets, uids []string
	for _, id := range []int64{521, 522} {
		got, err := m.Create(c, svc(52, id), prod)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Terminate(c, domain.ServiceRef{ID: id, ClientID: 52, Username: got.Username})
		services = append(services, UsageService{ID: id, ClientID: 52, Username: got.Username, Product: &prod})
		tenants = append(tenants, rgwTenant(t, got.Username, got.Password))
		buckets = append(buckets, got.Bucket)
		uids = append(uids, gw.Naming().UID(rgw.Account{Service: id, User: got.Username}))
	}
	a, b := tenants[0], tenants[1]
	a.must("put", file(t, sizeA), "s3://"+buckets[0]+"/a.bin")
	for i := 0; i < 3; i++ {
		a.must("get", "--force", "s3://"+buckets[0]+"/a.bin", file(t, 1))
	}
	b.must("put", file(t, sizeB), "s3://"+buckets[1]+"/b.bin")
	b.must("get", "--force", "s3://"+buckets[1]+"/b.bin", file(t, 1))

	// RGW writes its log every second here; wait until the objects'
	// bytes are in it. Each tenant's last request is its download, and RGW
	// writes all it gathered at once, so then the log holds every request
	// of both tenants.
	var logA, logB map[string]rgwadmin.Counters
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		logA, logB = logged(t, admin, uids[0], from, to), logged(t, admin, uids[1], from, to)
		if logA["get_obj"].BytesSent >= 3*sizeA && logB["get_obj"].BytesSent >= sizeB || time.Now().After(deadline) {
			break
		}
	}
	// RGW counts HTTP bodies: put_obj received exactly the object, get_obj
	// sent exactly it per download (no headers, no chunk signatures:
	// s3cmd sends a plain signed body).
	if logA["put_obj"].BytesReceived != sizeA || logA["get_obj"].BytesSent != 3*sizeA ||
		logB["put_obj"].BytesReceived != sizeB || logB["get_obj"].BytesSent != sizeB {
		t.Fatalf("the usage log: tenant A %+v, tenant B %+v", logA, logB)
	}
	t.Logf("usage log of A: %+v", logA)

	// A run whose products do not measure traffic leaves the log alone.
	plain := domain.Product{DefaultBucket: true}
	untouched := []UsageService{services[0], services[1]}
	untouched[0].Product, untouched[1].Product = &plain, &plain
	if res, err := m.UpdateUsage(c, untouched, UsageOptions{}); err != nil || res.TrafficError != nil || res.Services[0].Traffic != nil {
		t.Fatalf("a run without traffic: %+v %v", res, err)
	}
	if _, read, err := m.Store.TrafficReadUntil(c, m.ServerID); read || err != nil {
		t.Fatalf("a run without traffic read the log: %v %v", read, err)
	}

	// The first run counts and fails to trim; the second counts nothing
	// more and trims.
	gw.failTrim = true
	var first UsageResult
	for run := 1; run <= 2; run++ {
		res, err := m.UpdateUsage(c, services, UsageOptions{})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if (res.TrafficError != nil) != (run == 1) {
			t.Fatalf("run %d: traffic error %+v", run, res.TrafficError)
		}
		for _, r := range res.Services {
			if r.Error != nil || r.Traffic == nil {
				t.Fatalf("run %d, service %d: %+v %+v", run, r.ID, r.Error, r.Traffic)
			}
		}
		if run == 1 {
			first = res
			// A slower run that read the same hours (the trim failed, so
			// they are still in the log) counts none of them.
			until, _, err := m.Store.TrafficReadUntil(c, m.ServerID)
			if err != nil {
				t.Fatal(err)
			}
			again, err := gw.ReadTraffic(c, from, until)
			if err != nil {
				t.Fatal(err)
			}
			hours := make([]domain.HourlyTraffic, len(again))
			for i, h := range again {
				hours[i] = domain.HourlyTraffic{Hour: h.Hour, Service: h.Account.Service, User: h.Account.User, Bucket: h.Bucket, Traffic: h.Traffic}
			}
			if n, err := m.Store.RecordHourlyTraffic(c, m.ServerID, until, hours); err != nil || n.Counted != 0 || n.Skipped < 2 {
				t.Fatalf("the same hours read again: %+v %v", n, err)
			}
			continue
		}
		for i := range res.Services {
			if *res.Services[i].Traffic != *first.Services[i].Traffic {
				t.Fatalf("service %d: run 2 %+v, run 1 %+v", res.Services[i].ID, *res.Services[i].Traffic, *first.Services[i].Traffic)
			}
		}
	}
	ta, tb := first.Services[0].Traffic, first.Services[1].Traffic
	t.Logf("tenant A %+v, tenant B %+v", *ta, *tb)
	// Ingress is the uploads exactly: no other request of s3cmd or of the
	// module has a body. Egress is the downloads (exactly, above) plus
	// every other answer body RGW counts on the bucket's owner: s3cmd asks
	// for the bucket's location once per command (RGW's answer is 134
	// bytes); its HEADs and the module's create_bucket answer no body.
	// Less than 256 bytes per s3cmd command.
	const perCommand = 256
	if ta.IngressBytes != sizeA || ta.EgressBytes < 3*sizeA || ta.EgressBytes >= 3*sizeA+4*perCommand {
		t.Errorf("tenant A: %+v, want ingress %d and egress %d plus less than %d", *ta, sizeA, 3*sizeA, 4*perCommand)
	}
	if tb.IngressBytes != sizeB || tb.EgressBytes < sizeB || tb.EgressBytes >= sizeB+2*perCommand {
		t.Errorf("tenant B: %+v, want ingress %d and egress %d plus less than %d", *tb, sizeB, sizeB, 2*perCommand)
	}
	// The counters are what RGW's log held for each owner, no more.
	if ta.IngressBytes != int64(logA[""].BytesReceived) || ta.EgressBytes != int64(logA[""].BytesSent) || ta.Requests != int64(logA[""].Ops) ||
		tb.IngressBytes != int64(logB[""].BytesReceived) || tb.EgressBytes != int64(logB[""].BytesSent) || tb.Requests != int64(logB[""].Ops) {
		t.Errorf("the counters differ from the usage log: A %+v vs %+v, B %+v vs %+v", *ta, logA[""], *tb, logB[""])
	}
	// A's downloads passed the allowance (2 × sizeA); B's did not.
	egress := func(r UsageReport) bool {
		for _, n := range r.Notices {
			if n.Kind == domain.NoticeEgress {
				return true
			}
		}
		return false
	}
	if !egress(first.Services[0]) || egress(first.Services[1]) {
		t.Errorf("egress notices: A %+v, B %+v", first.Services[0].Notices, first.Services[1].Notices)
	}

	// Billing reads the same counters.
	met, err := m.Metrics(c, []MetricService{{ID: 521, Username: services[0].Username, Product: &prod}, {ID: 522, Username: services[1].Username, Product: &prod}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []*TrafficReport{ta, tb} {
		if met[i].EgressGB == nil || *met[i].EgressGB != gb(float64(want.EgressBytes)) || *met[i].IngressGB != gb(float64(want.IngressBytes)) {
			t.Errorf("metrics of %d: %+v", met[i].ServiceID, met[i])
		}
	}
	// The second run trimmed what the first counted.
	if left := logged(t, admin, uids[0], time.Time{}, to); left[""] != (rgwadmin.Counters{}) {
		t.Errorf("the usage log still holds tenant A's traffic: %+v", left)
	}
}
