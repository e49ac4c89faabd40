package rgw

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// publicPolicy lets anyone list, read and write the account's bucket
// "data".
func publicPolicy() string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket","s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`
}

// publish gives the account's bucket "data" an object and publicPolicy.
func publish(t *testing.T, a Account, secretKey string) {
	t.Helper()
	ctx := testCtx(t)
	c := mc(t, a.User, secretKey)
	if err := putObject(ctx, c, "data", "o", 5); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBucketPolicy(ctx, "data", publicPolicy()); err != nil {
		t.Fatal(err)
	}
}

// anonymousAccess tries what publicPolicy allows, as anyone: list, read
// and write the bucket, by its tenant-qualified name. It returns each
// attempt's status.
func anonymousAccess(t *testing.T, g *Gateway, a Account) map[string]int {
	t.Helper()
	b := "/" + g.naming.Tenant(a) + ":data"
	out := map[string]int{}
	out["list"], _ = anonymous(t, http.MethodGet, b, "")
	out["get"], _ = anonymous(t, http.MethodGet, b+"/o", "")
	out["put"], _ = anonymous(t, http.MethodPut, b+"/anonymous-"+unique(""), "written by anyone")
	return out
}

// What RGW itself does, measured: suspending the owner refuses object
// reads of its bucket, but a bucket policy goes on letting anyone list
// it, write and delete objects, enable versioning and replace the policy
// itself. A public-read-write ACL does not: its bucket refuses anonymous
// writes and listings once the owner is suspended.
func TestSuspendedOwnersBucketPolicyStillServes(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	c := mc(t, a.User, p.Secret)
	if err := putObject(ctx, c, "data", "o", 5); err != nil {
		t.Fatal(err)
	}
	everything := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`
	if err := c.SetBucketPolicy(ctx, "data", everything); err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx, "shared", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if status, code, _ := signedWith(t, a.User, p.Secret, http.MethodPut, "/shared?acl", map[string]string{"x-amz-acl": "public-read-write"}); status != 200 {
		t.Fatalf("public-read-write ACL: %d %s", status, code)
	}
	if err := adminClient(t).Suspend(ctx, g.naming.UID(a)); err != nil {
		t.Fatal(err)
	}
	b := "/" + g.naming.Tenant(a) + ":data"
	for _, tc := range []struct {
		what, method, path, body string
		status                   int
	}{
		{"read an object", http.MethodGet, b + "/o", "", 403},
		{"list", http.MethodGet, b, "", 200},
		{"write an object", http.MethodPut, b + "/anonymous", "written by anyone", 200},
		{"delete an object", http.MethodDelete, b + "/o", "", 204},
		{"enable versioning", http.MethodPut, b + "?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`, 200},
		{"replace the policy", http.MethodPut, b + "?policy", everything, 204},
		{"write through a public-read-write ACL", http.MethodPut, "/" + g.naming.Tenant(a) + ":shared/anonymous", "x", 403},
		{"list through a public-read-write ACL", http.MethodGet, "/" + g.naming.Tenant(a) + ":shared", "", 403},
	} {
		if status, code := anonymous(t, tc.method, tc.path, tc.body); status != tc.status {
			t.Errorf("anonymous %s on a suspended owner's bucket: %d %s, want %d", tc.what, status, code, tc.status)
		}
	}
}

// Suspend takes the bucket policies off, giving each to keep first, then
// suspends: the tenant's s3cmd is refused (UserSuspended) and so is every
// anonymous request the policy allowed. Unsuspend puts the policy back.
// Each is safe to run twice.
func TestSuspendWithdrawsAndUnsuspendRestores(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	publish(t, a, p.Secret)
	tenant := newS3cmd(t, a.User, p.Secret)
	tenant.must("ls", "s3://data")
	if got := anonymousAccess(t, g, a); got["list"] != 200 || got["get"] != 200 || got["put"] != 200 {
		t.Fatalf("anonymous access before suspend: %v", got)
	}
	// A presigned URL the tenant made before.
	presigned, err := mc(t, a.User, p.Secret).PresignedGetObject(ctx, "data", "o", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	fetch := func() (int, string) { return anonymous(t, http.MethodGet, presigned.RequestURI(), "") }
	if status, _ := fetch(); status != 200 {
		t.Fatalf("presigned GET before suspend: %d", status)
	}

	var kept []domain.WithheldPolicy
	keep := func(w domain.WithheldPolicy) error { kept = append(kept, w); return nil }
	withdrawn, err := g.Suspend(ctx, a, keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(withdrawn) != 1 || withdrawn[0].Bucket != "data" || withdrawn[0].Policy != publicPolicy() ||
		withdrawn[0].Reason != domain.WithheldSuspended || fmt.Sprint(kept) != fmt.Sprint(withdrawn) {
		t.Fatalf("Suspend withdrew %+v, kept %+v", withdrawn, kept)
	}
	if out := tenant.refused("ls", "s3://data"); !strings.Contains(out, "UserSuspended") {
		t.Fatalf("s3cmd of a suspended tenant, refused but not as suspended:\n%s", out)
	}
	if got := anonymousAccess(t, g, a); got["list"] != 403 || got["get"] != 403 || got["put"] != 403 {
		t.Fatalf("anonymous access after Suspend: %v, want all 403", got)
	}
	if status, code := fetch(); status != 403 || code != codeUserSuspended {
		t.Fatalf("presigned GET after Suspend: %d %s", status, code)
	}
	if again, err := g.Suspend(ctx, a, keep); err != nil || len(again) != 0 || len(kept) != 1 {
		t.Fatalf("second Suspend: %+v, %v (kept %d)", again, err, len(kept))
	}
	if d, err := g.Details(ctx, a); err != nil || !d.Suspended {
		t.Fatalf("Details after Suspend: %+v, %v", d, err)
	}

	r, err := g.Unsuspend(ctx, a, withdrawn)
	if err != nil || fmt.Sprint(r.Restored) != "[data]" || len(r.Skipped) != 0 {
		t.Fatalf("Unsuspend = %+v, %v", r, err)
	}
	tenant.must("ls", "s3://data")
	if got := anonymousAccess(t, g, a); got["list"] != 200 || got["get"] != 200 {
		t.Fatalf("anonymous access after Unsuspend: %v", got)
	}
	if status, _ := fetch(); status != 200 {
		t.Fatalf("presigned GET after Unsuspend: %d", status)
	}
	// Again: the bucket holds a policy, which stays.
	if r, err := g.Unsuspend(ctx, a, withdrawn); err != nil || len(r.Restored) != 0 || fmt.Sprint(r.Skipped) != "[data]" {
		t.Fatalf("second Unsuspend = %+v, %v", r, err)
	}
}

// A user suspended by other hands (radosgw-admin) with a public bucket:
// Suspend finds the policy from the admin side, lifts the suspension for
// the time of withdrawing it and suspends again.
func TestSuspendWithdrawsFromAUserSuspendedElsewhere(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	publish(t, a, p.Secret)
	if err := adminClient(t).Suspend(ctx, g.naming.UID(a)); err != nil {
		t.Fatal(err)
	}
	withdrawn, err := g.Suspend(ctx, a, nil)
	if err != nil || len(withdrawn) != 1 || withdrawn[0].Policy != publicPolicy() {
		t.Fatalf("Suspend = %+v, %v", withdrawn, err)
	}
	if got := anonymousAccess(t, g, a); got["list"] != 403 || got["put"] != 403 {
		t.Fatalf("anonymous access after Suspend: %v", got)
	}
	if d, err := g.Details(ctx, a); err != nil || !d.Suspended {
		t.Fatalf("Details after Suspend: %+v, %v", d, err)
	}
}

// A keep that fails stops Suspend before the policy is taken off and
// before the user is suspended: nothing is lost.
func TestSuspendStopsWhenKeepFails(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	publish(t, a, p.Secret)
	boom := errors.New("store is down")
	if _, err := g.Suspend(ctx, a, func(domain.WithheldPolicy) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Suspend with a failing keep: %v", err)
	}
	if pol, err := mc(t, a.User, p.Secret).GetBucketPolicy(ctx, "data"); err != nil || pol != publicPolicy() {
		t.Fatalf("policy after the failed Suspend: %q, %v", pol, err)
	}
	if d, err := g.Details(ctx, a); err != nil || d.Suspended {
		t.Fatalf("user after the failed Suspend: %+v, %v", d, err)
	}
}

// A Provision cut short leaves the user suspended and marked: Unsuspend
// will not open it, and Suspend turns the mark into a suspension WHMCS
// asked for, which a later Provision keeps (it does the rest, and says the
// default bucket waits for Unsuspend).
func TestSuspendOfAnUnfinishedProvision(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a := newAccount()
	sec := secret()
	t.Cleanup(func() { removeAccount(g, a) })
	if _, err := adminClient(t).CreateUser(ctx, rgwadmin.CreateUserReq{UID: g.naming.UID(a), DisplayName: provisioning + a.User,
		AccessKey: a.User, SecretKey: sec, Suspended: true}); err != nil {
		t.Fatal(err)
	}
	if d, err := g.Details(ctx, a); err != nil || !d.Provisioning || !d.Suspended || d.DisplayName != a.User {
		t.Fatalf("Details of an unfinished user: %+v, %v", d, err)
	}
	if _, err := g.Unsuspend(ctx, a, nil); code(err) != domain.ECONFLICT {
		t.Fatalf("Unsuspend of an unfinished user: %v", err)
	}
	if _, err := g.Suspend(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	p, err := g.Provision(ctx, a, ProvisionReq{Secret: sec, QuotaBytes: 1 << 20, DefaultBucket: "data"})
	if code(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "suspended") {
		t.Fatalf("Provision of a suspended user without its bucket: %+v, %v", p, err)
	}
	d, err := g.Details(ctx, a)
	if err != nil || !d.Suspended || d.Provisioning || d.QuotaBytes != 1<<20 {
		t.Fatalf("after Provision: %+v, %v", d, err)
	}
	if _, err := g.Unsuspend(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if p, err := g.Provision(ctx, a, ProvisionReq{Secret: sec, QuotaBytes: 1 << 20, DefaultBucket: "data"}); err != nil || p.Created {
		t.Fatalf("Provision after Unsuspend: %+v, %v", p, err)
	}
	newS3cmd(t, a.User, sec).must("ls", "s3://data")
}
