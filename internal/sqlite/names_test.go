package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The overlap lookups find exactly what domain.NamespacesOverlap (and
// OwnsBucket, for buckets) would find by scanning every name.
func TestNameClashesMatchTheScan(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	accounts := []string{"12", "12-3", "12-34", "12-345", "12-34-x", "12-34x", "7-1", "A-B", "12-34-"}
	for i, u := range accounts {
		if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: int64(100 + i), Username: u}); err != nil {
			t.Fatal(err)
		}
	}
	// Another server's names never clash.
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 2, ServiceID: 999, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	users := []string{"12-34-Legacy", "backup", "12-3", "1", "a"}
	buckets := []string{"12-34", "12-34-data", "12-3", "12", "12-345-data", "12-34-x-y", "12-34a"}
	if err := db.SaveServerNames(ctx, 1, users, buckets, c.t); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveServerNames(ctx, 2, []string{"12-34"}, []string{"12-34"}, c.t); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"12-34", "12", "a-b", "7-1-2", "new-1", "12-3"} {
		var want []string
		for i, u := range accounts {
			if int64(100+i) != 102 && domain.NamespacesOverlap(name, lower(u)) {
				want = append(want, "account "+u)
			}
		}
		for _, u := range users {
			if domain.NamespacesOverlap(name, lower(u)) {
				want = append(want, "user "+u)
			}
		}
		for _, b := range buckets {
			if domain.OwnsBucket(name, b) {
				want = append(want, "bucket "+b)
			}
		}
		got, err := db.NameClashes(ctx, 1, 102, name, 100)
		if err != nil {
			t.Fatal(err)
		}
		var have []string
		for _, g := range got {
			have = append(have, g.Kind+" "+g.Name)
		}
		slices.Sort(want)
		slices.Sort(have)
		if !reflect.DeepEqual(have, want) {
			t.Errorf("clashes of %q:\n got %q\nwant %q", name, have, want)
		}
	}
	if got, _ := db.NameClashes(ctx, 1, 0, "12", 2); len(got) != 2 {
		t.Errorf("the limit of 2 gave %d clashes", len(got))
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestServerNamesReplaceAndForget(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if _, ok, err := db.ServerNameList(ctx, 1); ok || err != nil {
		t.Fatalf("never listed: %v %v", ok, err)
	}
	if err := db.SaveServerNames(ctx, 1, []string{"old-1"}, []string{"old-1-data"}, c.t); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	if err := db.SaveServerNames(ctx, 1, []string{"new-1"}, []string{"new-1-data", "new-1-b"}, c.t); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := db.ServerNameList(ctx, 1); !ok || err != nil || !l.TakenAt.Equal(c.t) || l.Users != 1 || l.Buckets != 2 {
		t.Fatalf("listing %+v %v %v, want at %v with 1 user and 2 buckets", l, ok, err, c.t)
	}
	if got, _ := db.NameClashes(ctx, 1, 0, "old-1", 10); len(got) != 0 {
		t.Errorf("a replaced listing still answers: %+v", got)
	}
	if err := db.ForgetServerName(ctx, 1, domain.NameBucket, "new-1-b"); err != nil {
		t.Fatal(err)
	}
	got, _ := db.NameClashes(ctx, 1, 0, "new-1", 10)
	if fmt.Sprint(got) != fmt.Sprint([]domain.NameClash{{Kind: "user", Name: "new-1"}, {Kind: "bucket", Name: "new-1-data"}}) {
		t.Errorf("after forgetting new-1-b: %+v", got)
	}
}

func TestGroupCheckRoundTrip(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if _, ok, err := db.GroupCheck(ctx, 1, "tenants"); ok || err != nil {
		t.Fatalf("never checked: %v %v", ok, err)
	}
	want := domain.GroupCheck{Group: "tenants", Policies: []string{"a", "b"}, Problem: "", CheckedAt: c.t}
	for _, w := range []domain.GroupCheck{{Group: "tenants", Policies: nil, Problem: "grants consoleAdmin", CheckedAt: c.t.Add(-time.Hour)}, want} {
		if err := db.SaveGroupCheck(ctx, 1, w); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := db.GroupCheck(ctx, 1, "tenants")
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %v %v, want %+v", got, ok, err, want)
	}
}

// A collection stores each measured account's buckets, changing only what
// changed; a terminated account's buckets are not written back, and
// deleting an account deletes them.
func TestRecordCollectionKeepsBuckets(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	for _, id := range []int64{1, 2} {
		if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: id, Username: fmt.Sprint("u-", id)}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(bs map[int64][]domain.Bucket) {
		t.Helper()
		c.add(time.Minute)
		var samples []domain.Sample
		states := map[int64]domain.AccountState{}
		for id, b := range bs {
			samples = append(samples, domain.Sample{ServiceID: id, At: c.t, Bytes: 1, Source: domain.UsageScanner, Buckets: b})
			states[id] = domain.AccountState{Policy: domain.PolicyStandard}
		}
		if err := db.RecordCollection(ctx, 1, samples, states, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := func(id int64, w []domain.Bucket) {
		t.Helper()
		got, err := db.BucketUsage(ctx, 1, id)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Fatalf("service %d buckets: %+v %v, want %+v", id, got, err, w)
		}
	}
	a := domain.Bucket{Name: "u-1-a", Bytes: 10, Objects: 1, Versions: 1}
	b := domain.Bucket{Name: "u-1-b", Bytes: 20, Objects: 2, Versions: 3}
	run(map[int64][]domain.Bucket{1: {b, a}, 2: {}})
	want(1, []domain.Bucket{a, b})
	want(2, []domain.Bucket{})
	b.Bytes = 25
	run(map[int64][]domain.Bucket{1: {a, b}})
	want(1, []domain.Bucket{a, b})
	run(map[int64][]domain.Bucket{1: nil}) // not measured per bucket: kept
	want(1, []domain.Bucket{a, b})
	run(map[int64][]domain.Bucket{1: {b}})
	want(1, []domain.Bucket{b})
	if err := db.DeleteAccount(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	want(1, []domain.Bucket{})
	run(map[int64][]domain.Bucket{1: {a}}) // a run that measured it before terminate
	want(1, []domain.Bucket{})
}

// The bulk read (many services in a run) gives the same rows.
func TestRecordCollectionBucketsInBulk(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	n := bulkBucketRead + 10
	var accounts []domain.Account
	for id := 1; id <= n; id++ {
		accounts = append(accounts, domain.Account{ServerID: 1, ServiceID: int64(id), Username: fmt.Sprint("u-", id)})
	}
	if err := db.SaveAccounts(ctx, accounts); err != nil {
		t.Fatal(err)
	}
	for round := int64(1); round <= 2; round++ {
		c.add(time.Minute)
		var samples []domain.Sample
		states := map[int64]domain.AccountState{}
		for id := 1; id <= n; id++ {
			bs := []domain.Bucket{{Name: fmt.Sprint("u-", id, "-data"), Bytes: round * int64(id)}}
			if id%2 == 0 && round == 2 {
				bs = []domain.Bucket{}
			}
			samples = append(samples, domain.Sample{ServiceID: int64(id), At: c.t, Source: domain.UsageScanner, Buckets: bs})
			states[int64(id)] = domain.AccountState{Policy: domain.PolicyStandard}
		}
		if err := db.RecordCollection(ctx, 1, samples, states, nil); err != nil {
			t.Fatal(err)
		}
	}
	for id := 1; id <= n; id++ {
		got, _ := db.BucketUsage(ctx, 1, int64(id))
		want := []domain.Bucket{{Name: fmt.Sprint("u-", id, "-data"), Bytes: 2 * int64(id)}}
		if id%2 == 0 {
			want = []domain.Bucket{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("service %d: %+v, want %+v", id, got, want)
		}
	}
}

// The lookups a create and a page make are index searches: none walks the
// server's accounts, names or buckets (a SCAN in the plan would make them
// cost more with every tenant).
func TestPerTenantQueriesUseIndexes(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"accounts clash", clashAccounts("?6, ?7"), []any{1, 2, "a-", "a.", 5, "a", "b"}},
		{"users clash", clashUsers("?6, ?7"), []any{1, nil, "a-", "a.", 5, "a", "b"}},
		{"terminated clash", clashTerminated("?6, ?7"), []any{1, nil, "a-", "a.", 5, "a", "b"}},
		{"buckets clash", clashBuckets, []any{1, "a", "a-", "a.", 5}},
		{"bucket usage", bucketUsageQuery, []any{1, 2}},
	} {
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
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
		for _, step := range plan {
			// A search on the server alone (or its kind of name) walks
			// every row of the server as surely as a scan.
			if strings.HasPrefix(step, "SCAN") || strings.HasSuffix(step, "(server_id=?)") || strings.HasSuffix(step, "(server_id=? AND kind=?)") {
				t.Errorf("%s walks the server's rows: %q", q.name, plan)
			}
		}
	}
}

// SetBuckets records a new account's buckets without a measurement, and
// nothing for an account the store does not hold.
func TestSetBuckets(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 5, Username: "u-5"}); err != nil {
		t.Fatal(err)
	}
	want := []domain.Bucket{{Name: "u-5-data"}}
	for _, id := range []int64{5, 6} {
		if err := db.SetBuckets(ctx, 1, id, want); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := db.BucketUsage(ctx, 1, 5); !reflect.DeepEqual(got, want) {
		t.Errorf("service 5: %+v", got)
	}
	if got, _ := db.BucketUsage(ctx, 1, 6); len(got) != 0 {
		t.Errorf("service 6 has no account but got buckets: %+v", got)
	}
	if a, _, _ := db.Account(ctx, 1, 5); !a.CheckedAt.IsZero() {
		t.Errorf("SetBuckets recorded a measurement at %v", a.CheckedAt)
	}
}

func TestServerVersion(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if _, _, ok, err := db.ServerVersion(ctx, 1); ok || err != nil {
		t.Fatalf("never recorded: %v %v", ok, err)
	}
	for _, v := range []string{"RELEASE.2025-02-28T09-55-16Z", "DEVELOPMENT.2026-02-12"} {
		if err := db.SaveServerVersion(ctx, 1, v, c.t); err != nil {
			t.Fatal(err)
		}
	}
	if v, at, ok, err := db.ServerVersion(ctx, 1); !ok || err != nil || v != "DEVELOPMENT.2026-02-12" || !at.Equal(c.t) {
		t.Fatalf("got %q %v %v %v", v, at, ok, err)
	}
}

func TestTerminatedNames(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if err := db.AddTerminatedName(ctx, 1, "12-34", 34, c.t); err != nil {
		t.Fatal(err)
	}
	got, _ := db.NameClashes(ctx, 1, 0, "12-34-x", 10)
	if len(got) != 1 || got[0].Kind != domain.NameTerminated || got[0].Name != "12-34" || got[0].ServiceID != 34 {
		t.Fatalf("clashes with a terminated name: %+v", got)
	}
	// A listing older than the terminate does not free the name.
	if err := db.ClearTerminatedName(ctx, 1, "12-34", c.t.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if names, _ := db.TerminatedNames(ctx, 1); len(names) != 1 {
		t.Fatalf("cleared by an older listing: %v", names)
	}
	if err := db.ClearTerminatedName(ctx, 1, "12-34", c.t); err != nil {
		t.Fatal(err)
	}
	if names, _ := db.TerminatedNames(ctx, 1); len(names) != 0 {
		t.Fatalf("not cleared: %v", names)
	}
}
