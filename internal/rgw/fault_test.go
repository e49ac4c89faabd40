package rgw

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/faultproxy"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// The fault tests stop the one gateway every test of the package shares,
// so they do not run in parallel: Go runs them before the parallel tests.

// faultProxy puts a fault proxy between a Gateway and the cluster's
// gateway.
func faultProxy(t *testing.T) (*faultproxy.Proxy, *Gateway) {
	t.Helper()
	p, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, gatewayAt(t, p.Addr())
}

// steps runs op through the proxy without faults and returns how many
// requests it sent and what they were.
func steps(t *testing.T, p *faultproxy.Proxy, op func(context.Context) error) (int, []string) {
	t.Helper()
	p.Reset()
	if err := op(testCtx(t)); err != nil {
		t.Fatalf("the run without faults: %v", err)
	}
	var names []string
	for _, r := range p.Requests() {
		names = append(names, r.Method+" "+r.Path)
	}
	return len(names), names
}

// failAt runs op with the gateway stopped when request n reaches the
// proxy (it never reaches the gateway), cancels op shortly after (the
// clients would retry a refused connection until their deadline), starts
// the gateway again and returns op's error.
func failAt(t *testing.T, p *faultproxy.Proxy, n int, op func(context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p.Reset()
	p.Inject(n, faultproxy.Rule{Fault: faultproxy.Hook, Hook: func(faultproxy.Request) {
		srv.StopGateway()
		time.AfterFunc(300*time.Millisecond, cancel)
	}})
	err := op(ctx)
	if !p.Fired(n) {
		t.Fatalf("step %d was never reached (the run ended with %v)", n, err)
	}
	if err := srv.StartGateway(); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	return err
}

// Provision cut at each of its steps by stopping the gateway, and at each
// by losing the answer of a request the gateway carried out: what is left
// is never a user that can be used without its quota, and Provision run
// again finishes the account.
func TestProvisionConvergesAfterFaults(t *testing.T) {
	g := newGateway(t)
	p, gp := faultProxy(t)
	req := func() ProvisionReq {
		return ProvisionReq{Secret: secret(), QuotaBytes: 2 << 20, MaxBuckets: 4, DefaultBucket: "data"}
	}
	probe := newAccount()
	t.Cleanup(func() { removeAccount(g, probe) })
	n, names := steps(t, p, func(ctx context.Context) error { _, err := gp.Provision(ctx, probe, req()); return err })
	t.Logf("Provision's %d requests: %s", n, strings.Join(names, ", "))

	for _, fault := range []string{"gateway stopped", "answer lost"} {
		for step := 1; step <= n; step++ {
			a, r := newAccount(), req()
			t.Cleanup(func() { removeAccount(g, a) })
			op := func(ctx context.Context) error { _, err := gp.Provision(ctx, a, r); return err }
			var err error
			if fault == "gateway stopped" {
				err = failAt(t, p, step, op)
			} else {
				p.Reset()
				p.Inject(step, faultproxy.Rule{Fault: faultproxy.DropResponse})
				err = op(testCtx(t))
			}
			where := fmt.Sprintf("%s at step %d (%s)", fault, step, names[step-1])
			if fault == "gateway stopped" && err == nil {
				t.Fatalf("%s: Provision succeeded", where)
			}
			// What is left is unusable, or usable within its quota.
			d, derr := g.Details(testCtx(t), a)
			if derr != nil {
				t.Fatalf("%s: %v", where, derr)
			}
			if d.Exists && !d.Suspended && d.QuotaBytes != r.QuotaBytes {
				t.Fatalf("%s: a usable user without its quota: %+v", where, d)
			}
			if d.Exists && d.Provisioning {
				if _, err := mc(t, a.User, r.Secret).ListBuckets(testCtx(t)); s3Code(err) != codeUserSuspended {
					t.Fatalf("%s: the unfinished user's key: %v", where, err)
				}
			}
			got, err := gp.Provision(testCtx(t), a, r)
			if err != nil {
				t.Fatalf("%s, then Provision again: %v", where, err)
			}
			d, err = g.Details(testCtx(t), a)
			if err != nil || !d.Exists || d.Suspended || d.Provisioning || d.QuotaBytes != r.QuotaBytes || d.MaxBuckets != r.MaxBuckets {
				t.Fatalf("%s, then Provision again: %+v, %v", where, d, err)
			}
			if got.Secret != r.Secret {
				t.Fatalf("%s: the secret changed", where)
			}
			bs, err := mc(t, a.User, r.Secret).ListBuckets(testCtx(t))
			if err != nil || len(bs) != 1 || bs[0].Name != "data" {
				t.Fatalf("%s: the tenant's buckets: %v, %v", where, bs, err)
			}
		}
	}
}

// Terminate cut at each of its steps: run again, it leaves no user, no
// bucket of the tenant, no topic and no helper user.
func TestTerminateConvergesAfterFaults(t *testing.T) {
	g := newGateway(t)
	p, gp := faultProxy(t)
	// An account with a public bucket, a second bucket and a topic, so
	// that every step of Terminate is taken.
	setup := func() Account {
		a, pr := provisioned(t, g, ProvisionReq{})
		publish(t, a, pr.Secret)
		if err := mc(t, a.User, pr.Secret).MakeBucket(testCtx(t), "more", minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		makeTopic(t, g, a, pr.Secret, "http://127.0.0.1:9/nowhere")
		return a
	}
	probe := setup()
	n, names := steps(t, p, func(ctx context.Context) error { _, err := gp.Terminate(ctx, probe); return err })
	t.Logf("Terminate's %d requests: %s", n, strings.Join(names, ", "))
	assertGone(t, g, probe)

	for step := 1; step <= n; step++ {
		a := setup()
		where := fmt.Sprintf("gateway stopped at step %d (%s)", step, names[step-1])
		if err := failAt(t, p, step, func(ctx context.Context) error { _, err := gp.Terminate(ctx, a); return err }); err == nil {
			t.Fatalf("%s: Terminate succeeded", where)
		}
		if _, err := gp.Terminate(testCtx(t), a); err != nil {
			t.Fatalf("%s, then Terminate again: %v", where, err)
		}
		assertGone(t, g, a)
	}
}

// assertGone fails unless nothing of a's tenant is left on the gateway.
func assertGone(t *testing.T, g *Gateway, a Account) {
	t.Helper()
	ctx := testCtx(t)
	admin := adminClient(t)
	for _, uid := range []string{g.naming.UID(a), g.naming.Tenant(a) + "$" + cleanupUser} {
		if _, err := admin.UserInfo(ctx, uid); !isCode(err, rgwadmin.CodeNoSuchUser) {
			t.Fatalf("user %s left: %v", uid, err)
		}
	}
	names, err := admin.BucketNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, g.naming.Tenant(a)+"/") {
			t.Fatalf("bucket %s left", n)
		}
	}
	if arns := topicsOf(t, g, a); len(arns) != 0 {
		t.Fatalf("topics left: %v", arns)
	}
}
