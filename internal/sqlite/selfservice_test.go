package sqlite

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

func TestAccessKeysRoundTripAndMaximum(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	k1 := domain.AccessKey{AccessKey: "PQMAAAA", Label: "Büro – backup", Scope: domain.KeyScope{Buckets: []string{"12-34-a"}, ReadOnly: true},
		Expires: c.t.AddDate(0, 1, 0), Created: c.t}
	k2 := domain.AccessKey{AccessKey: "PQMBBBB", Created: c.t.Add(time.Second)}
	for _, k := range []domain.AccessKey{k1, k2} {
		if err := db.AddAccessKey(ctx, 1, 34, k, 2); err != nil {
			t.Fatal(err)
		}
	}
	err := db.AddAccessKey(ctx, 1, 34, domain.AccessKey{AccessKey: "PQMCCCC", Created: c.t}, 2)
	if domain.ErrorCode(err) != domain.ELIMIT || domain.ErrorRefusal(err) != domain.RefuseMaxKeys {
		t.Fatalf("third key of two: %v", err)
	}
	if err := db.AddAccessKey(ctx, 1, 35, domain.AccessKey{AccessKey: "PQMCCCC", Created: c.t}, 2); err != nil {
		t.Fatalf("another service's key: %v", err)
	}
	got, err := db.AccessKeys(ctx, 1, 34)
	k2.Scope.Buckets = []string{}
	if err != nil || !reflect.DeepEqual(got, []domain.AccessKey{k1, k2}) {
		t.Fatalf("got %+v %v", got, err)
	}
	if err := db.DeleteAccessKeys(ctx, 1, 34, "PQMAAAA"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.AccessKeys(ctx, 1, 34); len(got) != 1 || got[0].AccessKey != "PQMBBBB" {
		t.Fatalf("after revoking one: %+v", got)
	}
	if err := db.DeleteAccessKeys(ctx, 1, 34); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.AccessKeys(ctx, 1, 34); len(got) != 0 {
		t.Fatalf("after a password change: %+v", got)
	}
	if got, _ := db.AccessKeys(ctx, 1, 35); len(got) != 1 {
		t.Fatalf("the other service's keys went too: %+v", got)
	}
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 35, Username: "12-35"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount(ctx, 1, 35); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.AccessKeys(ctx, 1, 35); len(got) != 0 {
		t.Fatalf("kept after terminate: %+v", got)
	}
}

// Eight creates at once against a maximum of three: three recorded.
func TestAccessKeyMaximumHoldsUnderRace(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = db.AddAccessKey(ctx, 1, 34, domain.AccessKey{AccessKey: "PQM" + string(rune('A'+i)), Created: c.t}, 3)
		}()
	}
	wg.Wait()
	if got, _ := db.AccessKeys(ctx, 1, 34); len(got) != 3 {
		t.Fatalf("%d keys recorded, want 3", len(got))
	}
}

func TestAddAndRemoveBucket(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	if err := db.AddBucket(ctx, 1, 34, "12-34-x"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.BucketUsage(ctx, 1, 34); len(got) != 0 {
		t.Fatalf("a bucket recorded for an account the store does not hold: %+v", got)
	}
	if err := db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 34, Username: "12-34"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetBuckets(ctx, 1, 34, []domain.Bucket{{Name: "12-34-data", Bytes: 5, Objects: 1, Versions: 1}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.AddBucket(ctx, 1, 34, "12-34-x"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.BucketUsage(ctx, 1, 34)
	want := []domain.Bucket{{Name: "12-34-data", Bytes: 5, Objects: 1, Versions: 1}, {Name: "12-34-x"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	if err := db.WithholdPolicy(ctx, 1, 34, domain.WithheldPolicy{Bucket: "12-34-x", Policy: "{}", Reason: domain.WithheldSuspended}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveBucket(ctx, 1, 34, "12-34-x"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.BucketUsage(ctx, 1, 34); len(got) != 1 {
		t.Fatalf("after removing: %+v", got)
	}
	if got, _ := db.WithheldPolicies(ctx, 1, 34); len(got) != 0 {
		t.Fatalf("the removed bucket's policy is kept: %+v", got)
	}
}

func TestRateLimitWindow(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	for i := range 3 {
		if ok, _, err := db.RateLimit(ctx, 34, "self", 3, time.Minute); !ok || err != nil {
			t.Fatalf("action %d: %v %v", i, ok, err)
		}
		c.add(10 * time.Second)
	}
	ok, next, err := db.RateLimit(ctx, 34, "self", 3, time.Minute)
	if ok || err != nil || !next.Equal(c.t.Add(30*time.Second)) {
		t.Fatalf("fourth in a minute: %v %v %v, want refused until %v", ok, next, err, c.t.Add(30*time.Second))
	}
	if ok, _, _ := db.RateLimit(ctx, 35, "self", 3, time.Minute); !ok {
		t.Fatal("another service was limited")
	}
	c.add(30 * time.Second)
	if ok, _, _ := db.RateLimit(ctx, 34, "self", 3, time.Minute); !ok {
		t.Fatal("refused once the oldest aged out")
	}
	if ok, _, _ := db.RateLimit(ctx, 34, "self", 3, time.Minute); ok {
		t.Fatal("the slot freed twice")
	}
}
