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
	a := Account{ServerID: 1, ServiceID: 34, Username: "12-34", Group: "tenants",
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
	if err := db.SaveAccount(ctx, Account{ServerID: 1, ServiceID: 35, State: domain.AccountState{Policy: "open"}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad policy: %v", err)
	}
}

func TestAccountsByServer(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for _, k := range [][2]int64{{2, 9}, {1, 7}, {1, 3}, {2, 3}} {
		if err := db.SaveAccount(ctx, Account{ServerID: k[0], ServiceID: k[1]}); err != nil {
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
		if err := db.SaveAccount(ctx, Account{ServerID: srv, ServiceID: 34, Username: "12-34"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RecordCollection(ctx, 2, []Sample{{ServiceID: 34, At: c.t, Bytes: 5}}, nil, nil); err != nil {
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
	if err := db.SaveAccount(ctx, Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return db.MarkNotified(ctx, 1, 34, domain.NoticeWarn) },
		func() error { return db.MarkNotified(ctx, 1, 34, domain.NoticeLimit) },
		func() error { return db.SetForced(ctx, 1, 34, domain.PolicyLimited) },
		func() error { return db.SetPolicy(ctx, 1, 34, domain.PolicyLimited) },
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
	if err := db.SetForced(ctx, 1, 34, ""); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.Account(ctx, 1, 34); a.State.Forced != "" {
		t.Fatalf("forced not cleared: %+v", a.State)
	}
	if err := db.MarkNotified(ctx, 1, 34, "spam"); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad kind: %v", err)
	}
	if err := db.SetForced(ctx, 1, 34, "open"); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("bad forced: %v", err)
	}

	// A service older than the database gets a row rather than a lost fact.
	if err := db.SetForced(ctx, 1, 99, domain.PolicyStandard); err != nil {
		t.Fatal(err)
	}
	a, ok, _ := db.Account(ctx, 1, 99)
	if !ok || a.Username != "" || a.State.Forced != domain.PolicyStandard || !a.CreatedAt.Equal(c.t) {
		t.Fatalf("new row %+v", a)
	}
}

func TestLastCheck(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	if _, ok, err := db.LastCheck(ctx, 1, 34); ok || err != nil {
		t.Fatalf("no account: ok=%v err=%v", ok, err)
	}
	if err := db.SaveAccount(ctx, Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.LastCheck(ctx, 1, 34); ok || err != nil {
		t.Fatalf("never checked: ok=%v err=%v", ok, err)
	}
	c.add(90 * time.Minute)
	err := db.RecordCollection(ctx, 1, []Sample{{ServiceID: 34, At: c.t, Bytes: 1}},
		map[int64]domain.AccountState{34: {}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at, ok, err := db.LastCheck(ctx, 1, 34)
	if err != nil || !ok || !at.Equal(c.t) {
		t.Fatalf("last check %v %v %v, want %v", at, ok, err, c.t)
	}
}

// SaveAccounts records a batch in one transaction: all of it, or none of it
// when one account is refused.
func TestSaveAccountsAllOrNone(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	batch := make([]Account, 0, 3001)
	for i := int64(1); i <= 3000; i++ {
		batch = append(batch, Account{ServerID: 2, ServiceID: i, Username: "u" + time.Duration(i).String()})
	}
	bad := append(batch, Account{ServerID: 2, ServiceID: 9999, State: domain.AccountState{Policy: "open"}})
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
