package sqlite

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

const gib = int64(1) << 30

func sample(id int64, at time.Time, bytes int64) domain.Sample {
	return domain.Sample{ServiceID: id, At: at, Bytes: bytes, Objects: bytes >> 20, Versions: bytes >> 20, Source: domain.UsageScanner}
}

func record(t *testing.T, db *DB, samples ...domain.Sample) {
	t.Helper()
	if err := db.RecordCollection(context.Background(), 1, samples, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestRecordCollectionDailyAggregates(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	day := c.t
	// Out of order on purpose: "last" is the latest sample, not the last written.
	record(t, db, sample(34, day.Add(12*time.Hour), 30))
	record(t, db, sample(34, day.Add(1*time.Hour), 10))
	record(t, db, sample(34, day.Add(6*time.Hour), 50), sample(35, day, 7))
	record(t, db, sample(34, day.Add(6*time.Hour), 50)) // a retried run
	record(t, db, sample(34, day.Add(30*time.Hour), 8))

	got, err := db.Daily(ctx, 34, day, day.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.DayUsage{
		{Day: day, AvgBytes: 30, MaxBytes: 50, LastBytes: 30},
		{Day: day.AddDate(0, 0, 1), AvgBytes: 8, MaxBytes: 8, LastBytes: 8},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("daily\n got %+v\nwant %+v", got, want)
	}
	if got, _ := db.Daily(ctx, 34, day.Add(25*time.Hour), day.Add(25*time.Hour)); len(got) != 1 || got[0].AvgBytes != 8 {
		t.Fatalf("one day: %+v", got)
	}
	s, ok, err := db.Latest(ctx, 34)
	if err != nil || !ok || !reflect.DeepEqual(s, sample(34, day.Add(30*time.Hour), 8)) {
		t.Fatalf("latest %+v %v %v", s, ok, err)
	}
	if _, ok, err := db.Latest(ctx, 99); ok || err != nil {
		t.Fatalf("latest of nothing: %v %v", ok, err)
	}
}

// Two collections within one second: the newer figure is the one kept, and
// the day's sum, maximum and last figure follow it.
func TestSecondCollectionInTheSameSecondWins(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	day := c.t
	at := day.Add(2 * time.Hour)
	record(t, db, sample(40, day.Add(time.Hour), 10))
	record(t, db, sample(40, at, 20))
	record(t, db, sample(40, at, 90)) // a tenant uploaded; measured again at once
	s, ok, err := db.Latest(ctx, 40)
	if err != nil || !ok || !reflect.DeepEqual(s, sample(40, at, 90)) {
		t.Fatalf("latest %+v %v %v, want the second figure", s, ok, err)
	}
	got, err := db.Daily(ctx, 40, day, day)
	if err != nil {
		t.Fatal(err)
	}
	if want := []domain.DayUsage{{Day: day, AvgBytes: 50, MaxBytes: 90, LastBytes: 90}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("daily\n got %+v\nwant %+v", got, want)
	}
	record(t, db, sample(40, at, 90)) // the same figures again change nothing
	if again, _ := db.Daily(ctx, 40, day, day); !reflect.DeepEqual(again, got) {
		t.Fatalf("a retried run changed the day: %+v", again)
	}
}

func TestRecordCollectionStates(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34", Group: "g"}); err != nil {
		t.Fatal(err)
	}
	// The admin forces a policy while the run is under way.
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Forced: forced(domain.PolicyLimited)}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	states := map[int64]domain.AccountState{
		34: {Warned: true, Policy: domain.PolicyStandard},
		35: {LimitNotified: true, Policy: domain.PolicyLimited},
	}
	if err := db.RecordCollection(ctx, 1, []domain.Sample{sample(34, c.t, 1), sample(35, c.t, 2)}, states, nil); err != nil {
		t.Fatal(err)
	}
	a, _, _ := db.Account(ctx, 1, 34)
	want := domain.AccountState{Warned: true, Policy: domain.PolicyStandard, Forced: domain.PolicyLimited}
	if a.State != want || a.Username != "12-34" || a.Group != "g" || !a.CheckedAt.Equal(c.t) {
		t.Fatalf("account 34: %+v", a)
	}
	// A state for an account the store does not hold (terminated while the
	// run measured it) is dropped, not turned into a new row; its sample
	// is still kept for billing.
	if b, ok, _ := db.Account(ctx, 1, 35); ok {
		t.Fatalf("account 35, unknown to the store, was re-created by the run: %+v", b)
	}
	if s, ok, _ := db.Latest(ctx, 35); !ok || s.Bytes != 2 {
		t.Fatalf("the sample of account 35 was not kept: %+v %v", s, ok)
	}
	bad := map[int64]domain.AccountState{34: {Policy: "open"}}
	if err := db.RecordCollection(ctx, 1, nil, bad, nil); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad policy: %v", err)
	}
}

// TestRetentionOverSimulatedMonths runs a daily collection for five
// simulated months with a 30-day retention.
func TestRetentionOverSimulatedMonths(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	c.set(2026, time.January, 1, 2)
	for range 151 { // Jan 1 to May 31
		err := db.RecordCollection(ctx, 1, []domain.Sample{sample(34, c.t, 100), sample(35, c.t, 200)}, nil,
			map[int64]int{34: 30}) // 35 falls back to the default of 365
		if err != nil {
			t.Fatal(err)
		}
		c.add(24 * time.Hour)
	}
	c.add(-24 * time.Hour) // the last run: May 31, 02:00
	days, err := db.Daily(ctx, 34, c.t.AddDate(-1, 0, 0), c.t)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 30 || !days[0].Day.Equal(time.Date(2026, time.May, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("30-day retention kept %d days from %v", len(days), days[0].Day)
	}
	if days, _ := db.Daily(ctx, 35, c.t.AddDate(-1, 0, 0), c.t); len(days) != 151 {
		t.Fatalf("default retention kept %d days, want 151", len(days))
	}
	// Raw samples go back to the start of the previous month, for billing.
	var oldest int64
	if err := db.read.QueryRow(`SELECT MIN(at) FROM samples WHERE service_id = 34`).Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, time.April, 1, 2, 0, 0, 0, time.UTC); !fromUnix(oldest).Equal(want) {
		t.Fatalf("oldest raw sample %v, want %v", fromUnix(oldest), want)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestMonthToDateAverage(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	at := func(d, h int) time.Time { return time.Date(2026, time.March, d, h, 0, 0, 0, time.UTC) }

	// Service 1: a carry-in from February, then unevenly spaced samples.
	record(t, db, sample(1, time.Date(2026, time.February, 20, 0, 0, 0, 0, time.UTC), 99*gib))
	record(t, db, sample(1, time.Date(2026, time.February, 28, 0, 0, 0, 0, time.UTC), 10*gib))
	record(t, db, sample(1, at(3, 0), 20*gib), sample(1, at(10, 12), 5*gib), sample(1, at(11, 0), 30*gib))
	record(t, db, sample(1, at(20, 0), 1000*gib)) // after "now": ignored
	// 10 GB for 2 days, 20 for 7.5, 5 for 0.5, 30 for 5: 322.5 GB-days over 15.
	avg, err := db.MonthToDateAverageBytes(ctx, 1, at(16, 0))
	if err != nil || !near(avg, 21.5*float64(gib)) {
		t.Fatalf("service 1: %v GB, %v; want 21.5", avg/float64(gib), err)
	}

	// Service 2: created this month; the time before its first sample is left out.
	record(t, db, sample(2, at(5, 12), 10*gib), sample(2, at(6, 12), 20*gib))
	avg, _ = db.MonthToDateAverageBytes(ctx, 2, at(8, 12))
	if want := 50.0 / 3 * float64(gib); !near(avg, want) {
		t.Fatalf("service 2: %v GB, want 16.67", avg/float64(gib))
	}
	// At the instant of its first sample the average is that sample.
	if avg, _ := db.MonthToDateAverageBytes(ctx, 2, at(5, 12)); avg != float64(10*gib) {
		t.Fatalf("service 2 at its first sample: %v", avg)
	}

	// Service 3: only a carry-in, on the first of the month at midnight too.
	record(t, db, sample(3, at(1, 0).Add(-time.Second), 7*gib))
	for _, now := range []time.Time{at(1, 0), at(9, 0)} {
		if avg, _ := db.MonthToDateAverageBytes(ctx, 3, now); avg != float64(7*gib) {
			t.Fatalf("service 3 at %v: %v", now, avg)
		}
	}

	// No samples at all.
	if avg, err := db.MonthToDateAverageBytes(ctx, 4, at(9, 0)); avg != 0 || err != nil {
		t.Fatalf("service 4: %v %v", avg, err)
	}
}

// TestMonthToDateAverageResistsGaming simulates a month of hourly runs in
// which the tenant keeps 100 GB, deletes it all one hour before the last
// snapshot and uploads it again afterwards: the bill barely moves.
func TestMonthToDateAverageResistsGaming(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	c.set(2026, time.April, 1, 0)
	end := time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC)
	for ; c.t.Before(end); c.add(time.Hour) {
		v := 100 * gib
		if c.t.Equal(end.Add(-time.Hour)) {
			v = 0
		}
		if err := db.RecordCollection(ctx, 1, []domain.Sample{sample(1, c.t, v)}, nil, map[int64]int{1: 365}); err != nil {
			t.Fatal(err)
		}
	}
	avg, err := db.MonthToDateAverageBytes(ctx, 1, end.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	hours := float64(30 * 24)
	if want := 100 * float64(gib) * (hours - 1) / hours; math.Abs(avg-want) > float64(gib)/1000 {
		t.Fatalf("average %.3f GB, want about %.3f", avg/float64(gib), want/float64(gib))
	}
}

func TestMonthly(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	c.set(2025, time.January, 1, 0)
	end := time.Date(2026, time.March, 10, 0, 0, 0, 0, time.UTC)
	var samples []domain.Sample
	for ; c.t.Before(end); c.add(24 * time.Hour) {
		// The month's number in GB, and twice a day in February 2026
		// (a mean of means: the extra samples do not weigh more).
		samples = append(samples, sample(1, c.t, int64(c.t.Month())*gib))
		if c.t.Year() == 2026 && c.t.Month() == time.February {
			samples = append(samples, sample(1, c.t.Add(time.Hour), int64(c.t.Month())*gib))
		}
	}
	c.set(2026, time.March, 10, 0)
	if err := db.RecordCollection(ctx, 1, samples, nil, map[int64]int{1: 3000}); err != nil {
		t.Fatal(err)
	}
	months, err := db.Monthly(ctx, 1, 12, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if len(months) != 12 {
		t.Fatalf("%d months", len(months))
	}
	for i, m := range months {
		wantMonth := time.Date(2025, time.April+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		wantDays := time.Date(wantMonth.Year(), wantMonth.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if i == 11 {
			wantDays = 9
		}
		if !m.Month.Equal(wantMonth) || m.AvgBytes != int64(wantMonth.Month())*gib || m.MaxBytes != m.AvgBytes || m.Days != wantDays {
			t.Fatalf("month %d: %+v, want %v with %d days", i, m, wantMonth, wantDays)
		}
	}
	if m, _ := db.Monthly(ctx, 1, 0, c.t); m != nil {
		t.Fatalf("zero months: %+v", m)
	}
}

// TestUsageRunsOverSimulatedDays drives domain.Evaluate and the store as the
// bridge does: evaluate, apply the policy, record, and confirm sent emails,
// except one that fails and must be due again.
func TestUsageRunsOverSimulatedDays(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	p := &domain.Product{Unit: "GB", DiskSpace: 10, WarnPercent: 80, WarnTemplate: "warn", LimitTemplate: "limit"}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	usage := []int64{1, 5, 8, 9, 8, 7, 9, 10, 12, 12, 9, 11, 2}
	failEmail := 2 // the warn email of day 2 bounces
	var got []string
	var policies []domain.PolicyState
	for day, g := range usage {
		c.add(24 * time.Hour)
		a, _, err := db.Account(ctx, 1, 34)
		if err != nil {
			t.Fatal(err)
		}
		e := domain.Evaluate(p, a.Username, g*gib, a.State)
		next := e.Next
		if e.NeedsPolicyChange() {
			next.Policy = e.WantPolicy // MinIO accepted it
		}
		err = db.RecordCollection(ctx, 1, []domain.Sample{sample(34, c.t, g*gib)}, map[int64]domain.AccountState{34: next}, map[int64]int{34: p.HistoryDays})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range e.Notices {
			if day == failEmail {
				continue
			}
			got = append(got, n.Kind+"@"+string(rune('0'+day%10)))
			if err := db.MarkNotified(ctx, 1, 34, n.Kind); err != nil {
				t.Fatal(err)
			}
		}
		policies = append(policies, next.Policy)
	}
	// Day 2 reaches 80% but its warn email bounces, so day 3 sends it; 70%
	// on day 5 re-arms, day 6 warns again; day 7 hits the limit; day 10
	// falls below it (warned already); day 11 is over again: a new limit
	// email.
	want := []string{"warn@3", "warn@6", "limit@7", "limit@1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("emails %v, want %v", got, want)
	}
	wantPol := []domain.PolicyState{"standard", "standard", "standard", "standard", "standard", "standard", "standard",
		"limited", "limited", "limited", "standard", "limited", "standard"}
	if !reflect.DeepEqual(policies, wantPol) {
		t.Fatalf("policies %v\nwant %v", policies, wantPol)
	}

	// The admin forces the standard policy: usage no longer decides.
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Forced: forced(domain.PolicyStandard)}); err != nil {
		t.Fatal(err)
	}
	a, _, _ := db.Account(ctx, 1, 34)
	if e := domain.Evaluate(p, a.Username, 50*gib, a.State); e.WantPolicy != domain.PolicyStandard || e.State != domain.StateLimited {
		t.Fatalf("forced: %+v", e)
	}
}

// TestQueryPlansUseKeys guards the access paths the benchmarks rely on:
// charts seek the service's daily range, billing walks sample times and
// looks each sample up by key, and nothing scans a whole table.
func TestQueryPlansUseKeys(t *testing.T) {
	db, _ := openTest(t)
	plans := map[string]string{
		`SELECT day, sum_bytes / samples, max_bytes, last_bytes FROM usage_daily
			WHERE service_id = 1 AND day >= 0 AND day <= 1 ORDER BY day`: "SEARCH usage_daily USING PRIMARY KEY (service_id=? AND day>? AND day<?)",
		`SELECT t.at, s.bytes FROM sample_times t CROSS JOIN samples s ON s.at = t.at AND s.service_id = 1
			WHERE t.at >= 0 AND t.at <= 1 ORDER BY t.at`: "SEARCH s USING PRIMARY KEY (at=? AND service_id=?)",
	}
	for q, want := range plans {
		rows, err := db.read.Query(`EXPLAIN QUERY PLAN ` + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, want) || strings.Contains(joined, "SCAN s") || strings.Contains(joined, "SCAN usage_daily") {
			t.Errorf("plan %q lacks %q", joined, want)
		}
	}
}
