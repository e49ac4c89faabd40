package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The tenant-made surface of the client area (issue 13): a handful of
// tenants each make a bucket and two keys through the bridge's
// self-service actions (half through the binary): one key read-only for
// the bucket it made, one for all its buckets. Then every made key tries
// every other tenant's buckets (the made and the default ones) with the
// five operations, and every principal of the main run (users and the keys
// they made with S3 tools) tries the made buckets: none may get in. Before
// that, the owners' controls must work, and each read-only key is refused
// on its own tenant's other bucket (its scope).

// selfFigures is what the phase measured.
type selfFigures struct {
	tenants, buckets, keys   int
	controls                 int
	scope                    *tally // a scoped key on its own tenant's other bucket
	cross                    *tally // made keys on other self tenants' buckets
	mainOnMade, madeOnMain   *tally // the main run's principals on made buckets, and back
	refusedAfterTerminate    int
	madeKeysAfterTerminate   int
	principalsMain, targetsM int
}

// selfTenant is a tenant of the phase and what it made.
type selfTenant struct {
	*tenant
	made     string    // the bucket it made
	readOnly accessKey // scoped to made, read-only
	all      accessKey // every bucket
}

// selfService runs the phase with n tenants against the main run's.
func selfService(t *testing.T, n int, main []*tenant) selfFigures {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := fx.rootS3()
	fig := selfFigures{scope: newTally(), cross: newTally(), mainOnMade: newTally(), madeOnMain: newTally()}
	var all []*selfTenant
	for k := range n {
		bin := k%2 == 1
		p := product("", k)
		p.SelfService = "buckets=2 keys=2"
		tn, a := fx.create(t, domain.ServiceRef{ID: int64(8600 + k), ClientID: 860}, p, bin)
		if tn == nil {
			t.Fatalf("self: create: %+v", a.Error)
		}
		st := &selfTenant{tenant: tn}
		made := fx.must(t, "self bucket.create "+tn.user, fx.serviceReq("bucket.create", tn, map[string]any{"initiator": "client", "name": "made"}), bin)
		var b struct{ Bucket string }
		if err := json.Unmarshal(made.Result, &b); err != nil || b.Bucket != tn.user+"-made" {
			t.Fatalf("self: bucket.create for %s: %s", tn.user, made.Raw)
		}
		st.made = b.Bucket
		tn.buckets = append(tn.buckets, b.Bucket)
		fig.buckets++
		key := func(params map[string]any, label string) accessKey {
			a := fx.must(t, "self key.create "+tn.user, fx.serviceReq("key.create", tn, params), !bin)
			var k struct{ AccessKey, SecretKey string }
			if err := json.Unmarshal(a.Result, &k); err != nil || k.SecretKey == "" {
				t.Fatalf("self: key.create for %s: %s", tn.user, a.Raw)
			}
			fx.secrets.add(k.SecretKey, "key "+tn.user+"/"+k.AccessKey)
			fx.allow(a, k.SecretKey) // key.create's answer is where the secret is handed over
			fig.keys++
			return accessKey{access: k.AccessKey, secret: k.SecretKey, label: label}
		}
		st.readOnly = key(map[string]any{"initiator": "client", "label": "made, read-only", "buckets": []string{st.made}, "readOnly": true}, "made key (read-only)")
		st.all = key(map[string]any{"initiator": "client", "label": "all buckets"}, "made key (all buckets)")
		for _, bucket := range tn.buckets {
			body := canaryBody(bucket)
			if _, err := root.PutObject(ctx, bucket, "canary.txt", strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, st)
	}
	fig.tenants = len(all)

	// Controls: the owner's made keys work where they may.
	for _, st := range all {
		ro, rw := fx.s3(st.readOnly.access, st.readOnly.secret), fx.s3(st.all.access, st.all.secret)
		for _, c := range []struct {
			what string
			c    *minio.Client
			op   string
			b    string
		}{
			{"read-only key get", ro, "get", st.made}, {"read-only key list", ro, "list", st.made},
			{"all-buckets key get", rw, "get", st.buckets[0]}, {"all-buckets key put", rw, "put", st.made},
			{"all-buckets key list", rw, "list", st.buckets[0]},
		} {
			if ok, code := attempt(ctx, c.c, c.op, c.b, st.user); !ok {
				t.Errorf("self control: %s's %s on %s refused (%s)", st.user, c.what, c.b, code)
			}
			fig.controls++
		}
		// Its scope: the read-only key reaches nothing else of its own.
		for _, op := range ops {
			ok, code := attempt(ctx, ro, op, st.buckets[0], "scope-"+st.user)
			fig.scope.record(op, ok, code, fmt.Sprintf("%s's read-only key %s on %s", st.user, op, st.buckets[0]))
		}
		ok, code := attempt(ctx, ro, "put", st.made, "scope-"+st.user)
		fig.scope.record("put", ok, code, fmt.Sprintf("%s's read-only key put on %s", st.user, st.made))
	}

	// Every made key on every other self tenant's buckets.
	for _, st := range all {
		for _, k := range []accessKey{st.readOnly, st.all} {
			c := fx.s3(k.access, k.secret)
			for _, other := range all {
				if other == st {
					continue
				}
				for _, b := range other.buckets {
					for _, op := range ops {
						ok, code := attempt(ctx, c, op, b, st.user)
						fig.cross.record(op, ok, code, fmt.Sprintf("%s's %s %s on %s", st.user, k.label, op, b))
					}
				}
			}
		}
	}

	// The main run's principals on the made buckets, and the made keys on
	// the main run's buckets: one get each, in parallel.
	principals, targets := principalsOf(main), targetsOf(main)
	fig.principalsMain, fig.targetsM = len(principals), len(targets)
	type job struct {
		c      *minio.Client
		bucket string
		tl     *tally
		who    string
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ok, code := attempt(ctx, j.c, "get", j.bucket, "self")
				j.tl.record("get", ok, code, j.who+" get on "+j.bucket)
			}
		}()
	}
	for _, p := range principals {
		c := fx.s3(p.access, p.secret)
		for _, st := range all {
			jobs <- job{c, st.made, fig.mainOnMade, p.name}
		}
	}
	for _, st := range all {
		for _, k := range []accessKey{st.readOnly, st.all} {
			c := fx.s3(k.access, k.secret)
			for _, tg := range targets {
				jobs <- job{c, tg.bucket, fig.madeOnMain, st.user + "'s " + k.label}
			}
		}
	}
	close(jobs)
	wg.Wait()

	// Terminate takes the made buckets and keys with the account.
	for i, st := range all {
		a := fx.must(t, "self terminate "+st.user, fx.serviceReq("account.terminate", st.tenant, nil), i%2 == 0)
		var r domain.Terminated
		_ = json.Unmarshal(a.Result, &r)
		if r.Buckets != len(st.buckets) {
			t.Errorf("self: terminate %s removed %d buckets, want %d", st.user, r.Buckets, len(st.buckets))
		}
		for _, k := range []accessKey{st.readOnly, st.all} {
			fig.madeKeysAfterTerminate++
			if _, err := fx.s3(k.access, k.secret).ListBuckets(ctx); err != nil {
				fig.refusedAfterTerminate++
			} else {
				t.Errorf("self: %s's %s works after terminate", st.user, k.label)
			}
		}
	}
	for name, tl := range map[string]*tally{"scope": fig.scope, "cross": fig.cross, "main on made": fig.mainOnMade, "made on main": fig.madeOnMain} {
		checkTally(t, "self "+name, tl)
	}
	return fig
}
