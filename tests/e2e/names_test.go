package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// A tenant whose product lets it make access keys with S3 tools may name
// them. A key named after a user the module will create later (default
// names are predictable) made that create fail, so a tenant could block
// another client's account (finding 3 of issue 11). Now the create goes
// through and the squatting key is deleted: it never reaches the new
// account.
func TestAccessKeySquatting(t *testing.T) {
	owner, _ := fx.create(t, domain.ServiceRef{ID: 7001, ClientID: 701}, product("", 1), false)
	if owner == nil {
		t.Fatal("could not create the squatting tenant")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm, err := minioadmin.New(minioadmin.Config{Endpoint: fx.srv.Endpoint, AccessKey: owner.user, SecretKey: owner.secret})
	if err != nil {
		t.Fatal(err)
	}
	for i, bin := range []bool{false, true} {
		id := int64(7002 + i)
		future := fmt.Sprintf("702-%d", id) // the default rule's name for client 702, service id
		squat := "Sq" + domain.RandomString(30, alnum)
		fx.secrets.add(squat, "key "+owner.user+"/"+future)
		if _, err := adm.AddServiceAccount(ctx, minioadmin.AddServiceAccountReq{TargetUser: owner.user, AccessKey: future, SecretKey: squat}); err != nil {
			t.Fatalf("the tenant could not name its own access key (MinIO changed?): %v", err)
		}
		victim, a := fx.create(t, domain.ServiceRef{ID: id, ClientID: 702}, product("", 2), bin)
		if victim == nil {
			t.Fatalf("create of %s blocked by a tenant's access key: %+v", future, a.Error)
		}
		if victim.user != future {
			t.Fatalf("created %s, want %s", victim.user, future)
		}
		if ok, _ := attempt(ctx, fx.s3(future, squat), "list", victim.buckets[0], "squat"); ok {
			t.Errorf("the squatting key %s reads the new account's bucket", future)
		}
		if ok, _ := attempt(ctx, fx.s3(victim.user, victim.secret), "list", victim.buckets[0], "owner"); !ok {
			t.Errorf("the new account %s cannot list its own bucket", victim.user)
		}
	}
}

// Two creations whose names overlap, started at the same moment, one in
// process and one through the binary: at most one may be created. Before
// the name lock both were, and "raceN" owned the buckets of "raceN-<id>".
func TestConcurrentOverlappingCreates(t *testing.T) {
	for i := 0; i < 5; i++ {
		base := fmt.Sprintf("race%d", i)
		var wg sync.WaitGroup
		res := make([]*tenant, 2)
		ans := make([]answer, 2)
		for j, rule := range []string{base, base + "-{service_id}"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[j], ans[j] = fx.create(t, domain.ServiceRef{ID: int64(7100 + 10*i + j), ClientID: 710}, product(rule, j), (i+j)%2 == 0)
			}()
		}
		wg.Wait()
		switch {
		case res[0] != nil && res[1] != nil:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			reads, _ := attempt(ctx, fx.s3(res[0].user, res[0].secret), "list", res[1].buckets[0], "race")
			cancel()
			t.Errorf("both %s and %s were created: their namespaces overlap (%s lists %s: %v)", res[0].user, res[1].user, res[0].user, res[1].buckets[0], reads)
		case res[0] == nil && res[1] == nil:
			t.Errorf("neither %s nor %s-… was created: %+v / %+v", base, base, ans[0].Error, ans[1].Error)
		default:
			for j := range res {
				if res[j] == nil && (ans[j].Error == nil || ans[j].Error.Code != domain.ECONFLICT) {
					t.Errorf("the refused one of %s: %+v, want name_conflict", base, ans[j].Error)
				}
			}
		}
	}
}
