package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// req is a request of user on bucket at, with its bytes.
func req(key uint64, at time.Time, user, bucket string, in, out int64) domain.TrafficRecord {
	return domain.TrafficRecord{Key: key, At: at, AccessKey: user, Bucket: bucket, StatusCode: 200, Ingress: in, Egress: out, Headers: 100}
}

func recordTraffic(t *testing.T, db *DB, recs ...domain.TrafficRecord) TrafficResult {
	t.Helper()
	res, err := db.RecordTraffic(context.Background(), 1, recs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func saveUsers(t *testing.T, db *DB, server int64, users map[int64]string) {
	t.Helper()
	var accts []domain.Account
	for id, u := range users {
		accts = append(accts, domain.Account{ServerID: server, ServiceID: id, Username: u})
	}
	if err := db.SaveAccounts(context.Background(), accts); err != nil {
		t.Fatal(err)
	}
}

func TestRecordTrafficAttributesAndSums(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	saveUsers(t, db, 1, map[int64]string{34: "12-34", 35: "12-35"})
	saveUsers(t, db, 2, map[int64]string{77: "other"}) // another server's user
	h := c.t                                           // 2026-03-01 00:00
	res := recordTraffic(t, db,
		req(1, h.Add(10*time.Minute), "12-34", "12-34-data", 1000, 0),
		req(2, h.Add(20*time.Minute), "12-34", "12-34-data", 0, 1000),
		req(3, h.Add(70*time.Minute), "12-34", "12-34-logs", 0, 500),
		req(4, h.Add(30*time.Minute), "12-35", "12-35-data", 10, 20),
		req(5, h.Add(30*time.Minute), "", "12-35-data", 0, 300),       // anonymous on a public bucket
		req(6, h.Add(30*time.Minute), "12-34", "", 0, 400),            // ListBuckets
		req(7, h.Add(30*time.Minute), "puqadmin", "12-34-data", 5, 5), // the provider's own
		req(8, h.Add(30*time.Minute), "other", "", 0, 9),              // a user of server 2 only
		req(1, h.Add(10*time.Minute), "12-34", "12-34-data", 1000, 0), // the same request twice in a batch
	)
	if res != (TrafficResult{Counted: 8, Duplicates: 1}) {
		t.Fatalf("result %+v", res)
	}
	// A redelivered batch changes nothing.
	if res := recordTraffic(t, db, req(2, h.Add(20*time.Minute), "12-34", "12-34-data", 0, 1000), req(4, h.Add(30*time.Minute), "12-35", "12-35-data", 10, 20)); res != (TrafficResult{Duplicates: 2}) {
		t.Fatalf("redelivery %+v", res)
	}
	// The same request id at another time is another request.
	recordTraffic(t, db, req(2, h.Add(25*time.Hour), "12-34", "12-34-data", 0, 7))

	month := h.AddDate(0, 1, 0)
	for svc, want := range map[int64]domain.Traffic{
		34:                  {Ingress: 1000, Egress: 1907, Headers: 500, Requests: 5},
		35:                  {Ingress: 10, Egress: 320, Headers: 200, Requests: 2},
		domain.Unattributed: {Ingress: 5, Egress: 14, Headers: 200, Requests: 2},
	} {
		got, err := db.TrafficTotal(ctx, svc, h, month)
		if err != nil || got != want {
			t.Errorf("service %d: %+v %v, want %+v", svc, got, err, want)
		}
	}
	if got, _ := db.TrafficTotal(ctx, 34, h, h.Add(time.Hour)); got != (domain.Traffic{Ingress: 1000, Egress: 1400, Headers: 300, Requests: 3}) {
		t.Errorf("first hour: %+v", got)
	}
	days, err := db.TrafficDaily(ctx, 34, h, h.Add(48*time.Hour))
	want := []domain.TrafficDay{
		{Day: h, Traffic: domain.Traffic{Ingress: 1000, Egress: 1900, Headers: 400, Requests: 4}},
		{Day: h.AddDate(0, 0, 1), Traffic: domain.Traffic{Egress: 7, Headers: 100, Requests: 1}},
	}
	if err != nil || !reflect.DeepEqual(days, want) {
		t.Fatalf("daily %+v %v", days, err)
	}
	buckets, err := db.TrafficByBucket(ctx, 34, h.Add(72*time.Hour))
	wantB := []domain.BucketTraffic{
		{Bucket: "", Traffic: domain.Traffic{Egress: 400, Headers: 100, Requests: 1}},
		{Bucket: "12-34-data", Traffic: domain.Traffic{Ingress: 1000, Egress: 1007, Headers: 300, Requests: 3}},
		{Bucket: "12-34-logs", Traffic: domain.Traffic{Egress: 500, Headers: 100, Requests: 1}},
	}
	if err != nil || !reflect.DeepEqual(buckets, wantB) {
		t.Fatalf("by bucket %+v %v", buckets, err)
	}
}

func TestTrafficMonthly(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	saveUsers(t, db, 1, map[int64]string{34: "12-34"})
	recordTraffic(t, db,
		req(1, time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), "12-34", "12-34-a", 1, 10),
		req(2, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "12-34", "12-34-a", 2, 20),
		req(3, time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), "12-34", "12-34-b", 3, 30),
		req(4, time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC), "12-34", "12-34-a", 4, 40),
		req(5, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), "12-34", "12-34-a", 5, 50), // before the range
	)
	got, err := db.TrafficMonthly(ctx, 34, 3, c.t)
	want := []domain.TrafficMonth{
		{Month: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Traffic: domain.Traffic{Ingress: 1, Egress: 10, Headers: 100, Requests: 1}},
		{Month: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Traffic: domain.Traffic{Ingress: 5, Egress: 50, Headers: 200, Requests: 2}},
		{Month: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Traffic: domain.Traffic{Ingress: 4, Egress: 40, Headers: 100, Requests: 1}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("monthly\n got %+v %v\nwant %+v", got, err, want)
	}
}

func TestRecordTrafficSeesAccountsAsTheyAre(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)
	recordTraffic(t, db, req(1, at, "12-34", "12-34-data", 0, 10))
	saveUsers(t, db, 1, map[int64]string{34: "12-34"}) // the account is created meanwhile
	recordTraffic(t, db, req(2, at, "12-34", "12-34-data", 0, 20))
	if got, _ := db.TrafficTotal(ctx, domain.Unattributed, at, at.Add(time.Hour)); got.Egress != 10 {
		t.Errorf("before the account: %+v", got)
	}
	if got, _ := db.TrafficTotal(ctx, 34, at, at.Add(time.Hour)); got.Egress != 20 {
		t.Errorf("after the account: %+v", got)
	}
}

func TestRecordTrafficRefusesBadRecordsWhole(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)
	for _, bad := range []domain.TrafficRecord{
		req(2, at, "u", "b", -1, 0),
		req(2, at, "u", "b", 0, -1),
		{Key: 2, Bucket: "b"},
	} {
		_, err := db.RecordTraffic(ctx, 1, []domain.TrafficRecord{req(1, at, "u", "b", 1, 1), bad})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if got, _ := db.TrafficTotal(ctx, domain.Unattributed, at, at.Add(time.Hour)); got != (domain.Traffic{}) {
		t.Fatalf("a refused batch left %+v", got)
	}
	if res := recordTraffic(t, db, req(1, at, "u", "b", 1, 1)); res.Counted != 1 {
		t.Fatalf("the good request was marked seen by a refused batch: %+v", res)
	}
}

func TestPruneTrafficKeepsKeysForTheWindow(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	start := c.t
	recordTraffic(t, db, req(1, start.Add(-time.Minute), "u", "b", 0, 1))
	c.add(TrafficDedupWindow - time.Hour)
	// A backlog delivered late: its requests are older than the window
	// already, but its keys must last as long as fresh ones.
	recordTraffic(t, db, req(2, start.Add(-72*time.Hour), "u", "b", 0, 1))
	if n, err := db.PruneTraffic(ctx); err != nil || n != 0 {
		t.Fatalf("pruned %d %v inside the window", n, err)
	}
	c.add(2 * time.Hour)
	if n, err := db.PruneTraffic(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d %v, want the first key", n, err)
	}
	if res := recordTraffic(t, db, req(2, start.Add(-72*time.Hour), "u", "b", 0, 1)); res.Duplicates != 1 {
		t.Fatalf("the late backlog's key was pruned: %+v", res)
	}
	c.add(TrafficDedupWindow)
	if n, err := db.PruneTraffic(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d %v, want the late key", n, err)
	}
	if n, err := db.PruneTraffic(ctx); err != nil || n != 0 {
		t.Fatalf("pruned %d %v from an empty table", n, err)
	}
}

// hourly is a bucket-hour of service/user as RGW's usage log sums it.
func hourly(hour time.Time, service int64, user, bucket string, in, out, requests int64) domain.HourlyTraffic {
	return domain.HourlyTraffic{Hour: hour, Service: service, User: user, Bucket: bucket,
		Traffic: domain.Traffic{Ingress: in, Egress: out, Requests: requests}}
}

// Bucket-hours go to the account the store holds under that service and
// user name, else to Unattributed; hours before the last read's end are
// skipped, so a read repeated (its trim failed), or overlapping another
// run's, counts once; the mark never goes back.
func TestRecordHourlyTraffic(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	saveUsers(t, db, 7, map[int64]string{34: "12-34", 35: "12-35"})
	saveUsers(t, db, 8, map[int64]string{36: "12-36"}) // another server's account
	h := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if _, ok, err := db.TrafficReadUntil(ctx, 7); ok || err != nil {
		t.Fatalf("a mark before any read: %v %v", ok, err)
	}
	first := []domain.HourlyTraffic{
		hourly(h, 34, "12-34", "data", 1000, 3000, 4),
		hourly(h.Add(time.Hour), 34, "12-34", "data", 10, 30, 2),
		hourly(h, 34, "12-34", "", 0, 200, 1),
		hourly(h, 35, "12-35", "data", 5, 7, 1),
		hourly(h, 35, "someone-else", "x", 1, 1, 1),      // not the user name this store knows
		hourly(h, 36, "12-36", "y", 2, 2, 1),             // server 8's account
		hourly(h, domain.Unattributed, "", "z", 4, 4, 1), // an owner that is none of the module's
	}
	res, err := db.RecordHourlyTraffic(ctx, 7, h.Add(2*time.Hour), first)
	if err != nil || res != (domain.HourlyCount{Counted: 7}) {
		t.Fatalf("first read: %+v %v", res, err)
	}
	// The same hours again, and the next hour with them: only the new one
	// counts.
	again := append(first, hourly(h.Add(2*time.Hour), 34, "12-34", "data", 1, 1, 1))
	if res, err := db.RecordHourlyTraffic(ctx, 7, h.Add(3*time.Hour), again); err != nil || res != (domain.HourlyCount{Counted: 1, Skipped: 7}) {
		t.Fatalf("second read: %+v %v", res, err)
	}
	// A slower run that read up to an earlier hour changes nothing, and
	// does not move the mark back.
	if res, err := db.RecordHourlyTraffic(ctx, 7, h.Add(2*time.Hour), first); err != nil || res != (domain.HourlyCount{Skipped: 7}) {
		t.Fatalf("a late run: %+v %v", res, err)
	}
	if until, ok, err := db.TrafficReadUntil(ctx, 7); !ok || err != nil || !until.Equal(h.Add(3*time.Hour)) {
		t.Fatalf("mark %s %v %v", until, ok, err)
	}
	// Each server has its own mark.
	if res, err := db.RecordHourlyTraffic(ctx, 8, h.Add(time.Hour), []domain.HourlyTraffic{hourly(h, 36, "12-36", "y", 2, 2, 1)}); err != nil || res.Counted != 1 {
		t.Fatalf("server 8: %+v %v", res, err)
	}
	day := h.Add(24 * time.Hour)
	for svc, want := range map[int64]domain.Traffic{
		34:                  {Ingress: 1011, Egress: 3231, Requests: 8},
		35:                  {Ingress: 5, Egress: 7, Requests: 1},
		36:                  {Ingress: 2, Egress: 2, Requests: 1},
		domain.Unattributed: {Ingress: 7, Egress: 7, Requests: 3},
	} {
		if got, err := db.TrafficTotal(ctx, svc, h, day); err != nil || got != want {
			t.Errorf("service %d: %+v %v, want %+v", svc, got, err, want)
		}
	}
	if got, _ := db.TrafficByBucket(ctx, 34, h); !reflect.DeepEqual(got, []domain.BucketTraffic{
		{Bucket: "", Traffic: domain.Traffic{Egress: 200, Requests: 1}},
		{Bucket: "data", Traffic: domain.Traffic{Ingress: 1011, Egress: 3031, Requests: 7}},
	}) {
		t.Errorf("by bucket: %+v", got)
	}
}

// A bad read is refused whole: nothing counted, the mark unchanged.
func TestRecordHourlyTrafficRefusesBadReads(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	h := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	good := hourly(h, 0, "", "b", 1, 1, 1)
	for name, r := range map[string]struct {
		until time.Time
		hours []domain.HourlyTraffic
	}{
		"until mid-hour":    {h.Add(90 * time.Minute), []domain.HourlyTraffic{good}},
		"no until":          {time.Time{}, nil},
		"hour at until":     {h.Add(time.Hour), []domain.HourlyTraffic{good, hourly(h.Add(time.Hour), 0, "", "b", 1, 1, 1)}},
		"hour not on hour":  {h.Add(time.Hour), []domain.HourlyTraffic{good, hourly(h.Add(time.Minute), 0, "", "b", 1, 1, 1)}},
		"negative egress":   {h.Add(time.Hour), []domain.HourlyTraffic{good, hourly(h, 0, "", "b", 1, -1, 1)}},
		"negative requests": {h.Add(time.Hour), []domain.HourlyTraffic{good, hourly(h, 0, "", "b", 1, 1, -1)}},
	} {
		if _, err := db.RecordHourlyTraffic(ctx, 7, r.until, r.hours); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, ok, _ := db.TrafficReadUntil(ctx, 7); ok {
		t.Error("a refused read left a mark")
	}
	if got, _ := db.TrafficTotal(ctx, domain.Unattributed, h, h.Add(time.Hour)); got != (domain.Traffic{}) {
		t.Errorf("a refused read counted %+v", got)
	}
}
