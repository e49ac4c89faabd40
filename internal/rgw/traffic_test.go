package rgw

import (
	"context"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// A known PUT and GET through s3cmd give exactly their bytes in the
// account's record for its bucket and hour; another tenant's refused read
// counts on the owner as a failed request. A second read gives the same
// records and keys; once trimmed, the window reads empty.
func TestTraffic(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, pa := provisioned(t, g, ProvisionReq{})
	b, pb := provisioned(t, g, ProvisionReq{})
	const size = 12345
	tenant := newS3cmd(t, a.User, pa.Secret)
	tenant.must("put", file(t, size), "s3://data/k")
	tenant.must("get", "--force", "s3://data/k", t.TempDir()+"/got")
	status, refusal, refusalBytes := signed(t, b.User, pb.Secret, "GET", "/"+g.naming.Tenant(a)+":data/k", "")
	if status != 403 || refusal != "AccessDenied" {
		t.Fatalf("another tenant's read: %d %s", status, refusal)
	}

	now := time.Now().UTC()
	from, to := now.Add(-time.Minute).Truncate(time.Hour), now.Truncate(time.Hour).Add(time.Hour)
	var rec TrafficHour
	deadline := time.Now().Add(30 * time.Second)
	for {
		recs, err := g.ReadTraffic(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		rec = TrafficHour{}
		for _, r := range recs {
			if r.Account == a && r.Bucket == "data" {
				rec.Ingress += r.Ingress
				rec.Egress += r.Egress
				rec.Requests += r.Requests
				rec.Successful += r.Successful
				rec.Key, rec.Owner, rec.Hour = r.Key, r.Owner, r.Hour
			}
		}
		// The gateway writes its usage log every second here.
		if rec.Requests-rec.Successful >= 1 && rec.Egress >= size || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rec.Ingress != size || rec.Requests-rec.Successful != 1 || rec.Owner != g.naming.UID(a) || rec.Headers != 0 {
		t.Fatalf("the account's record: %+v; want ingress %d and one failed request", rec, size)
	}
	// Egress is every answer body: the object, and the bucket-location
	// answers s3cmd asks for and the refusal's error body. The log says
	// which is which.
	raw, err := adminClient(t).Usage(ctx, rgwadmin.UsageQuery{UID: g.naming.UID(a), Start: from, End: to, SkipSummary: true})
	if err != nil {
		t.Fatal(err)
	}
	var sent, getObj, putObj uint64
	for _, e := range raw.Entries {
		if e.Bucket != "data" {
			continue
		}
		sent += e.Total().BytesSent
		for _, c := range e.Categories {
			switch c.Category {
			case "get_obj":
				getObj += c.BytesSent
			case "put_obj":
				putObj += c.BytesReceived
			}
		}
	}
	if putObj != size || getObj != size+uint64(refusalBytes) || int64(sent) != rec.Egress {
		t.Fatalf("usage log: put_obj received %d, get_obj sent %d, all sent %d; the record's egress %d", putObj, getObj, sent, rec.Egress)
	}

	again, err := g.ReadTraffic(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range again {
		found = found || (r.Account == a && r.Bucket == "data" && r.Key == rec.Key)
	}
	if !found || rec.Key != trafficKey(rec.Owner, "data", rec.Hour) {
		t.Fatalf("a second read lacks the record's key %x", rec.Key)
	}

	// A trim of every user walks each shard of the log the whole package's
	// tests wrote: on a loaded 2-core machine it took over the minute the
	// other calls get (a run at load average 13), so it has its own.
	trimCtx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := g.TrimTraffic(trimCtx, from, to); err != nil {
		t.Fatal(err)
	}
	left, err := g.ReadTraffic(trimCtx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range left {
		if r.Account == a || r.Account == b {
			t.Fatalf("a record left after the trim: %+v", r)
		}
	}
}

func TestTrafficWindow(t *testing.T) {
	g := newGateway(t)
	ctx := context.Background()
	h := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for name, w := range map[string][2]time.Time{
		"no end":       {h, {}},
		"backwards":    {h, h.Add(-time.Hour)},
		"empty":        {h, h},
		"not on hour":  {h.Add(time.Minute), h.Add(time.Hour)},
		"end mid-hour": {h, h.Add(90 * time.Minute)},
	} {
		if _, err := g.ReadTraffic(ctx, w[0], w[1]); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("ReadTraffic %s: %v", name, err)
		}
		if err := g.TrimTraffic(ctx, w[0], w[1]); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("TrimTraffic %s: %v", name, err)
		}
	}
	// An hour is settled DefaultTrafficSettle after it ends.
	for now, want := range map[time.Time]time.Time{
		h.Add(4 * time.Minute):               h.Add(-time.Hour),
		h.Add(5 * time.Minute):               h,
		h.Add(59 * time.Minute):              h,
		h.Add(time.Hour + 5*time.Minute + 1): h.Add(time.Hour),
	} {
		if got := g.SettledBefore(now); !got.Equal(want) {
			t.Errorf("SettledBefore(%s) = %s, want %s", now.Format(time.TimeOnly), got.Format(time.TimeOnly), want.Format(time.TimeOnly))
		}
	}
}
