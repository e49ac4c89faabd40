package rgw

import (
	"fmt"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// Provision makes the user with the WHMCS user name as its access key,
// the quota and bucket limit in force and the default bucket made with the
// tenant's key; run again it changes nothing and keeps the secret.
func TestProvision(t *testing.T) {
	g := newGateway(t)
	ctx := testCtx(t)
	a := newAccount()
	sec := secret()
	req := ProvisionReq{Secret: sec, QuotaBytes: 5 << 20, MaxBuckets: 3, DefaultBucket: "data", DisplayName: "Service + Co"}
	t.Cleanup(func() { removeAccount(g, a) })
	p, err := g.Provision(ctx, a, req)
	if err != nil {
		t.Fatal(err)
	}
	if p != (Provisioned{Secret: sec, Created: true, Bucket: "data"}) {
		t.Fatalf("Provisioned = %+v", p)
	}
	u, err := adminClient(t).UserInfo(ctx, "s"+itoa(a.Service)+"$"+a.User)
	if err != nil {
		t.Fatal(err)
	}
	if u.Suspended || u.DisplayName != "Service + Co" || u.MaxBuckets != 3 ||
		u.UserQuota != (rgwadmin.Quota{Enabled: true, MaxSize: 5 << 20, MaxObjects: rgwadmin.NoLimit}) ||
		len(u.Keys) != 1 || u.Keys[0].AccessKey != a.User || u.Keys[0].SecretKey != sec {
		t.Fatalf("user after Provision: %+v", u)
	}
	tenant := newS3cmd(t, a.User, sec)
	if out := tenant.must("ls"); !strings.Contains(out, "s3://data") {
		t.Fatalf("the tenant's buckets:\n%s", out)
	}
	tenant.must("put", file(t, 1000), "s3://data/first")

	// Again, with another new secret at hand: the one WHMCS holds works,
	// so it stays, and nothing else changes.
	p, err = g.Provision(ctx, a, ProvisionReq{Secret: sec, NewSecret: secret(), QuotaBytes: 5 << 20, MaxBuckets: 3, DefaultBucket: "data"})
	if err != nil || p != (Provisioned{Secret: sec, Bucket: "data"}) {
		t.Fatalf("second Provision = %+v, %v", p, err)
	}
	tenant.must("get", "--force", "s3://data/first", t.TempDir()+"/got")

	// WHMCS holds a secret the user does not have (a lost answer, an
	// admin's edit): the new one is set and returned.
	fresh := secret()
	p, err = g.Provision(ctx, a, ProvisionReq{Secret: "not-the-secret", NewSecret: fresh, QuotaBytes: 6 << 20, MaxBuckets: 4, DefaultBucket: "data"})
	if err != nil || p.Secret != fresh || p.Created {
		t.Fatalf("Provision with a stale secret = %+v, %v", p, err)
	}
	if got := keyOf(t, g, a); got != fresh {
		t.Fatal("the user's secret is not the new one")
	}
	tenant.refused("ls")
	newS3cmd(t, a.User, fresh).must("ls", "s3://data")
	d, err := g.Details(ctx, a)
	if err != nil || d.QuotaBytes != 6<<20 || d.MaxBuckets != 4 || d.Suspended || d.Provisioning {
		t.Fatalf("Details after the third Provision = %+v, %v", d, err)
	}
}

// A quota of 0 is no limit, and the user's bucket limit holds over S3.
func TestProvisionNoQuotaAndBucketLimit(t *testing.T) {
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{MaxBuckets: 2})
	u, err := adminClient(t).UserInfo(ctx, g.naming.UID(a))
	if err != nil || u.UserQuota != (rgwadmin.Quota{Enabled: true, MaxSize: rgwadmin.NoLimit, MaxObjects: rgwadmin.NoLimit}) {
		t.Fatalf("quota of an unlimited account: %+v, %v", u.UserQuota, err)
	}
	c := mc(t, a.User, p.Secret)
	if err := c.MakeBucket(ctx, "second", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx, "third", minio.MakeBucketOptions{}); s3Code(err) != codeTooManyBuckets {
		t.Fatalf("a bucket past the limit: %v", err)
	}
}

// An access key is global on the gateway: a user of another tenant that
// holds the WHMCS user name as its key makes Provision refuse, naming it,
// and change nothing; that user's key keeps working.
func TestProvisionKeyHeldByAnother(t *testing.T) {
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	other := Account{Service: a.Service + 1, User: a.User}
	_, err := g.Provision(ctx, other, ProvisionReq{Secret: secret(), DefaultBucket: "data"})
	if code(err) != "name_conflict" || !strings.Contains(err.Error(), g.naming.UID(a)) || !strings.Contains(err.Error(), "service "+itoa(a.Service)) {
		t.Fatalf("Provision of a key another tenant holds: %v", err)
	}
	if _, err := adminClient(t).UserInfo(ctx, g.naming.UID(other)); !isCode(err, rgwadmin.CodeNoSuchUser) {
		t.Fatalf("the refused Provision left a user: %v", err)
	}
	if _, err := mc(t, a.User, p.Secret).ListBuckets(ctx); err != nil {
		t.Fatalf("the holder's key after the attempt: %v", err)
	}
	if strings.Contains(err.Error(), p.Secret) {
		t.Fatal("the error holds a secret")
	}
}

// Printing a request or a result never shows a secret.
func TestProvisionPrintingHidesSecrets(t *testing.T) {
	sec, fresh := secret(), secret()
	for _, v := range []any{ProvisionReq{Secret: sec, NewSecret: fresh, DefaultBucket: "data"}, Provisioned{Secret: sec, Bucket: "data"}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, sec) || strings.Contains(out, fresh) || !strings.Contains(out, "data") {
				t.Errorf("%s of %T: %s", verb, v, out)
			}
		}
	}
}

// Bad input is refused before any call.
func TestProvisionRefusesBadInput(t *testing.T) {
	g := newGateway(t)
	ctx := testCtx(t)
	a := newAccount()
	for name, req := range map[string]ProvisionReq{
		"no secret":       {DefaultBucket: "data"},
		"short secret":    {Secret: "short"},
		"negative quota":  {Secret: secret(), QuotaBytes: -1},
		"negative limit":  {Secret: secret(), MaxBuckets: -1},
		"bad bucket name": {Secret: secret(), DefaultBucket: "Bad_Bucket"},
	} {
		if _, err := g.Provision(ctx, a, req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if d, err := g.Details(ctx, a); err != nil || d.Exists {
		t.Fatalf("a refused Provision left a user: %+v, %v", d, err)
	}
}
