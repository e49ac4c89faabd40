package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

func TestAccountSaveAndRead(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if _, ok, err := db.Account(ctx, 1, 34); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	a := domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34", Group: "tenants",
		State: domain.AccountState{Warned: true, Policy: domain.PolicyStandard}}
	if err := db.SaveAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	created := c.t
	c.add(time.Hour)
	a.Group, a.State.Forced, a.CheckedAt = "", domain.PolicyLimited, c.t
	if err := db.SaveAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.Account(ctx, 1, 34)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	a.CreatedAt = created
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("got %+v\nwant %+v", got, a)
	}
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 35, State: domain.AccountState{Policy: "open"}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad policy: %v", err)
	}
}

func TestAccountsByServer(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for _, k := range [][2]int64{{2, 9}, {1, 7}, {1, 3}, {2, 3}} {
		if err := db.SaveAccount(ctx, domain.Account{ServerID: k[0], ServiceID: k[1]}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.AccountsByServer(ctx, 1)
	if err != nil || len(got) != 2 || got[0].ServiceID != 3 || got[1].ServiceID != 7 {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestDeleteAccountKeepsHistoryOfMovedService(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	for _, srv := range []int64{1, 2} {
		if err := db.SaveAccount(ctx, domain.Account{ServerID: srv, ServiceID: 34, Username: "12-34"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RecordCollection(ctx, 2, []domain.Sample{{ServiceID: 34, At: c.t, Bytes: 5}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount(ctx, 1, 34); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.Latest(ctx, 34); !ok {
		t.Fatal("history of a service still on server 2 was deleted")
	}
	if err := db.DeleteAccount(ctx, 2, 34); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.Account(ctx, 2, 34); ok {
		t.Fatal("account still there")
	}
	days, _ := db.Daily(ctx, 34, c.t, c.t)
	if _, ok, _ := db.Latest(ctx, 34); ok || len(days) != 0 {
		t.Fatal("history of a terminated service was kept")
	}
}

func TestStateSetters(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return db.MarkNotified(ctx, 1, 34, domain.NoticeWarn) },
		func() error { return db.MarkNotified(ctx, 1, 34, domain.NoticeLimit) },
		func() error {
			return db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Forced: forced(domain.PolicyLimited)})
		},
		func() error { return db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Policy: domain.PolicyLimited}) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	a, _, _ := db.Account(ctx, 1, 34)
	want := domain.AccountState{Warned: true, LimitNotified: true, Policy: domain.PolicyLimited, Forced: domain.PolicyLimited}
	if a.State != want || a.Username != "12-34" {
		t.Fatalf("state %+v, want %+v", a, want)
	}
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Forced: forced("")}); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.Account(ctx, 1, 34); a.State.Forced != "" {
		t.Fatalf("forced not cleared: %+v", a.State)
	}
	if err := db.MarkNotified(ctx, 1, 34, "spam"); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad kind: %v", err)
	}
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Forced: forced("open")}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad forced: %v", err)
	}

	// A service older than the database gets a row rather than a lost fact.
	if err := db.ChangeAccount(ctx, 1, 99, domain.AccountChange{Forced: forced(domain.PolicyStandard)}); err != nil {
		t.Fatal(err)
	}
	a, ok, _ := db.Account(ctx, 1, 99)
	if !ok || a.Username != "" || a.State.Forced != domain.PolicyStandard || !a.CreatedAt.Equal(c.t) {
		t.Fatalf("new row %+v", a)
	}
}

// CheckedAt is the time of the last usage run that measured the account,
// which the re-check interval counts from.
func TestCheckedAt(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	if a, ok, err := db.Account(ctx, 1, 34); !ok || err != nil || !a.CheckedAt.IsZero() {
		t.Fatalf("never checked: %+v %v %v", a, ok, err)
	}
	c.add(90 * time.Minute)
	err := db.RecordCollection(ctx, 1, []domain.Sample{{ServiceID: 34, At: c.t, Bytes: 1}},
		map[int64]domain.AccountState{34: {}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, ok, err := db.Account(ctx, 1, 34)
	if err != nil || !ok || !a.CheckedAt.Equal(c.t) {
		t.Fatalf("last check %v %v %v, want %v", a.CheckedAt, ok, err, c.t)
	}
}

// ChangeAccount writes the fields it is given and no other: an admin's
// click after a usage run keeps the flags the run recorded.
func TestChangeAccountWritesOnlyItsFields(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34", Group: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkNotified(ctx, 1, 34, domain.NoticeWarn); err != nil {
		t.Fatal(err)
	}
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Username: "other", Policy: domain.PolicyLimited, Forced: forced(domain.PolicyLimited)}); err != nil {
		t.Fatal(err)
	}
	a, _, _ := db.Account(ctx, 1, 34)
	want := domain.AccountState{Warned: true, Policy: domain.PolicyLimited, Forced: domain.PolicyLimited}
	if a.State != want || a.Group != "g" || a.Username != "12-34" {
		t.Fatalf("after ChangeAccount: %+v, want state %+v, group g, user 12-34", a, want)
	}
	g := "h"
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Group: &g}); err != nil {
		t.Fatal(err)
	}
	if a, _, _ = db.Account(ctx, 1, 34); a.Group != "h" || a.State != want {
		t.Fatalf("after a group change: %+v", a)
	}
	// A row made without a user name gets one later.
	if err := db.MarkNotified(ctx, 1, 35, domain.NoticeLimit); err != nil {
		t.Fatal(err)
	}
	if err := db.ChangeAccount(ctx, 1, 35, domain.AccountChange{Username: "12-35"}); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := db.Account(ctx, 1, 35); b.Username != "12-35" || !b.State.LimitNotified {
		t.Fatalf("row 35: %+v", b)
	}
	if err := db.ChangeAccount(ctx, 1, 34, domain.AccountChange{Policy: "open"}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad policy: %v", err)
	}
}

// SaveAccounts records a batch in one transaction: all of it, or none of it
// when one account is refused.
func TestSaveAccountsAllOrNone(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	batch := make([]domain.Account, 0, 3001)
	for i := int64(1); i <= 3000; i++ {
		batch = append(batch, domain.Account{ServerID: 2, ServiceID: i, Username: "u" + time.Duration(i).String()})
	}
	bad := append(batch, domain.Account{ServerID: 2, ServiceID: 9999, State: domain.AccountState{Policy: "open"}})
	if err := db.SaveAccounts(ctx, bad); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("a batch with a bad policy: %v", err)
	}
	if got, err := db.AccountsByServer(ctx, 2); err != nil || len(got) != 0 {
		t.Fatalf("after a refused batch: %d accounts, %v", len(got), err)
	}
	if err := db.SaveAccounts(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := db.AccountsByServer(ctx, 2)
	if err != nil || len(got) != 3000 {
		t.Fatalf("after the batch: %d accounts, %v", len(got), err)
	}
	if err := db.SaveAccounts(ctx, nil); err != nil {
		t.Fatalf("an empty batch: %v", err)
	}
}

func TestWithheldPolicies(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	w := domain.WithheldPolicy{Bucket: "12-34-data", Policy: `{"a":1}`, Reason: domain.WithheldSuspended, At: c.t}
	if err := db.WithholdPolicy(ctx, 1, 34, w); err != nil {
		t.Fatal(err)
	}
	// What the bucket holds later (here: nothing) never replaces the
	// tenant's own policy kept first.
	later := w
	later.Policy, later.Reason = `{"b":2}`, domain.WithheldLimited
	if err := db.WithholdPolicy(ctx, 1, 34, later); err != nil {
		t.Fatal(err)
	}
	got, err := db.WithheldPolicies(ctx, 1, 34)
	if err != nil || len(got) != 1 || got[0] != w {
		t.Fatalf("withheld %+v %v, want [%+v]", got, err, w)
	}
	if other, _ := db.WithheldPolicies(ctx, 2, 34); len(other) != 0 {
		t.Fatalf("another server sees %+v", other)
	}
	if err := db.ReleaseWithheld(ctx, 1, 34, "12-34-data"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.WithheldPolicies(ctx, 1, 34); len(got) != 0 {
		t.Fatalf("released but still kept: %+v", got)
	}
	// Deleting the account forgets what was kept for it.
	if err := db.WithholdPolicy(ctx, 1, 34, w); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount(ctx, 1, 34); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.WithheldPolicies(ctx, 1, 34); len(got) != 0 {
		t.Fatalf("kept after the account was deleted: %+v", got)
	}
}

func TestThrottle(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if ok, _, err := db.Throttle(ctx, 34, "recalculate", 5*time.Minute); !ok || err != nil {
		t.Fatalf("first: %v %v", ok, err)
	}
	c.add(4 * time.Minute)
	ok, next, err := db.Throttle(ctx, 34, "recalculate", 5*time.Minute)
	if ok || err != nil || !next.Equal(c.t.Add(time.Minute)) {
		t.Fatalf("within the interval: %v %v %v, want refused until %v", ok, next, err, c.t.Add(time.Minute))
	}
	if ok, _, _ := db.Throttle(ctx, 35, "recalculate", 5*time.Minute); !ok {
		t.Fatal("another service was throttled")
	}
	if ok, _, _ := db.Throttle(ctx, 34, "bucket.create", 5*time.Minute); !ok {
		t.Fatal("another action was throttled")
	}
	c.add(time.Minute)
	if ok, _, _ := db.Throttle(ctx, 34, "recalculate", 5*time.Minute); !ok {
		t.Fatal("refused after the interval")
	}
}

// The egress warning's month is set by the shim's confirmation only, never
// moves back, and is cleared by a usage run that re-armed it.
func TestEgressNotified(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := db.MarkEgressNotified(ctx, 1, 34, nov.Add(17*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkEgressNotified(ctx, 1, 34, nov.AddDate(0, -1, 0)); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.Account(ctx, 1, 34); !a.State.EgressNotified.Equal(nov) || a.Username != "12-34" {
		t.Fatalf("egress notified %v", a.State.EgressNotified)
	}
	// A run that keeps the month (still over) leaves it; one that re-armed
	// (under the allowance) clears it; the other flags are written as ever.
	c.add(time.Hour)
	keep := map[int64]domain.AccountState{34: {Warned: true, Policy: domain.PolicyStandard, EgressNotified: nov}}
	if err := db.RecordCollection(ctx, 1, []domain.Sample{sample(34, c.t, 1)}, keep, nil); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.Account(ctx, 1, 34); !a.State.EgressNotified.Equal(nov) || !a.State.Warned {
		t.Fatalf("kept: %+v", a.State)
	}
	c.add(time.Hour)
	rearm := map[int64]domain.AccountState{34: {Policy: domain.PolicyStandard}}
	if err := db.RecordCollection(ctx, 1, []domain.Sample{sample(34, c.t, 1)}, rearm, nil); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.Account(ctx, 1, 34); !a.State.EgressNotified.IsZero() {
		t.Fatalf("not re-armed: %+v", a.State)
	}
	// A service older than the database gets a row.
	if err := db.MarkEgressNotified(ctx, 1, 99, nov); err != nil {
		t.Fatal(err)
	}
	if a, ok, _ := db.Account(ctx, 1, 99); !ok || !a.State.EgressNotified.Equal(nov) {
		t.Fatalf("new row %+v", a)
	}
}
